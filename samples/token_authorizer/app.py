"""REST API TOKEN authorizer: Amazon Cognito user pool access tokens (or any JWT issuer), with
route rules.

Environment (read once, at import - the function's init phase):

- ``USER_POOL_ID`` and ``APP_CLIENT_IDS`` (comma-separated): accept access tokens of these
  app clients of the pool; ``JWKS_URL`` optionally overrides where the pool's keys are
  fetched (a local key server in tests).
- Without ``USER_POOL_ID``: ``ISSUER`` and ``AUDIENCE`` of any JWT issuer, keys from
  ``JWKS_URL`` (default ``<ISSUER>/.well-known/jwks.json``).
- ``RESULT_TTL_SECONDS``: the authorizer's result-cache TTL as deployed (default 300).
- ``REVOCATION_TABLE`` (optional): a DynamoDB revocation table (``authorizers revoke`` writes
  it); revoked tokens are refused within 10 s - plus the result-cache TTL, for API Gateway's
  cached answers.

Deploy with the ``authorizers`` layer; the handler is ``app.handler``.
"""

from __future__ import annotations

import os

from authorizers import (
    Authorizer,
    CognitoValidator,
    DynamoDBRevocations,
    JwtValidator,
    RevocationCheck,
    Validator,
)
from authorizers.rules import AccessRules, allow_route, groups_any, scopes_any

USER_POOL_ID = os.environ.get("USER_POOL_ID", "")
APP_CLIENT_IDS = [c.strip() for c in os.environ.get("APP_CLIENT_IDS", "").split(",") if c.strip()]
# Plain HTTP is accepted only for a loopback address (a test's key server); any other
# JWKS_URL must be HTTPS - the library refuses it otherwise.
JWKS_URL = os.environ.get("JWKS_URL") or None
REVOCATION_TABLE = os.environ.get("REVOCATION_TABLE") or None
# The table is read at the first request (boto3 is imported then), never at import.
CHECKS = [RevocationCheck(DynamoDBRevocations(REVOCATION_TABLE))] if REVOCATION_TABLE else []


def _validator() -> Validator:
    if USER_POOL_ID:
        # Issuer (both forms Cognito uses), JWKS URL, token_use and client_id all follow
        # from the pool id; group membership comes from cognito:groups.
        return CognitoValidator(
            USER_POOL_ID,
            APP_CLIENT_IDS,
            token_use="access",
            jwks_url=JWKS_URL,
            allow_http_loopback=JWKS_URL is not None,
            context_claims={"username": "username", "cognito:groups": "groups"},
            checks=CHECKS,
        )
    issuer = os.environ["ISSUER"]
    return JwtValidator(
        issuer=issuer,
        audience=os.environ["AUDIENCE"],
        jwks_url=JWKS_URL or issuer.rstrip("/") + "/.well-known/jwks.json",
        allow_http_loopback=JWKS_URL is not None,
        context_claims=["scope"],
        checks=CHECKS,
    )


# Every route of the API is listed: API Gateway caches the returned policy per token and
# reuses it for other routes, so the policy names every route this caller may use.
RULES = AccessRules(
    allow_route("GET", "/whoami"),
    allow_route("GET", "/pets/{id}"),
    allow_route("POST", "/pets", requires=scopes_any("pets/write")),
    allow_route("ANY", "/admin/{proxy+}", requires=groups_any("admins")),
)

authorizer = Authorizer(
    _validator(),
    rules=RULES,
    result_ttl_seconds=int(os.environ.get("RESULT_TTL_SECONDS", "300")),
)


def handler(event: dict, context: object) -> dict:
    """401 (no or bad token), 403 (route not allowed), else the caller's policy."""
    return authorizer.handler(event, context)
