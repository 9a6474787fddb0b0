"""WebSocket API ``$connect`` authorizer: a JWT from the ``token`` query parameter.

Browsers cannot set headers on a WebSocket handshake, so clients connect to
``wss://.../prod?token=<JWT>``; an ``Authorization: Bearer`` header works too (other
clients). Authorization happens once, at connect: the connection then carries every later
message. The response is an IAM policy for ``$connect``.

Keep tokens short-lived: a token in a URL can end up in access logs. Configure the
authorizer's identity source as ``route.request.querystring.token``.

Environment (read once, at import): ``ISSUER``, ``AUDIENCE``, ``JWKS_URL`` (default
``<ISSUER>/.well-known/jwks.json``).
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
        query_parameter="token",  # read when no Authorization header carries a token
        context_claims={"sub": "user", "scope": "scope"},
    ),
    result_ttl_seconds=0,  # WebSocket authorizer results are not cached
)


def handler(event: dict, context: object) -> dict:
    """401 for a missing or invalid token, else a policy allowing ``$connect``."""
    return authorizer.handler(event, context)
