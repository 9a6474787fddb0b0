"""HTTP API Lambda authorizer (payload format 2.0) with simple responses, for JWT bearer tokens.

Simple responses are ``{"isAuthorized": true|false, "context": {...}}``: one answer for the
whole API, so API Gateway may cache it for every route (this authorizer allows every route
to every valid token; use IAM responses when routes differ per caller). A simple response
cannot say 401: an invalid or missing token is ``isAuthorized: false`` (403). The context may
hold lists and maps; the backend reads it at ``requestContext.authorizer.lambda``.

Environment (read once, at import): ``ISSUER`` and ``AUDIENCE`` of the accepted tokens;
``JWKS_URL`` (default ``<ISSUER>/.well-known/jwks.json``); ``RESULT_TTL_SECONDS`` (default
300). Configure the authorizer with ``AuthorizerPayloadFormatVersion: "2.0"`` and
``EnableSimpleResponses: true``.
"""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator

ISSUER = os.environ["ISSUER"]
# Plain HTTP is accepted only for a loopback address (a test's key server).
JWKS_URL = os.environ.get("JWKS_URL") or None

authorizer = Authorizer(
    JwtValidator(
        issuer=ISSUER,
        audience=os.environ["AUDIENCE"],
        jwks_url=JWKS_URL or ISSUER.rstrip("/") + "/.well-known/jwks.json",
        allow_http_loopback=JWKS_URL is not None,
        context_claims={"sub": "user", "scope": "scope", "email": "email"},
    ),
    simple_responses=True,
    result_ttl_seconds=int(os.environ.get("RESULT_TTL_SECONDS", "300")),
)


def handler(event: dict, context: object) -> dict:
    """``{"isAuthorized": true, "context": {...}}`` for a valid token, else ``false``."""
    return authorizer.handler(event, context)
