"""Real local servers for the integration tests (moto, oidc-provider); see tests/conftest.py."""
