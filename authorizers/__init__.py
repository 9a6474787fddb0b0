"""authorizers: Lambda authorizers for Amazon API Gateway."""
