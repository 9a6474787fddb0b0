"""Security and resilience suite: adversarial tokens, differential and property tests, fault
injection, concurrency and log redaction (see docs/security.md)."""
