"""REST REQUEST authorizer for sender-constrained JWT access tokens.

- DPoP (RFC 9449): ``Authorization: DPoP <token>`` with a ``DPoP`` proof of this request; each
  proof is accepted once (``REPLAY_TABLE``: a DynamoDB table shared by every instance; without
  it, each instance remembers the proofs it saw).
- Mutual TLS (RFC 8705): a token carrying ``cnf.x5t#S256`` is accepted only with that client
  certificate (API Gateway custom domain with mutual TLS); ``CERT_BOUND_ISSUERS`` lists issuers
  whose tokens must always be certificate-bound.
- Plain ``Bearer`` tokens without any binding are accepted too (``ALLOW_BEARER=false``: not).

Both checks hold for one request only, so the authorizer runs with a result TTL of 0
(``ReauthorizeEvery: 0``) and allows only the called method.

Environment (read once, at import): ``ISSUER``, ``AUDIENCE``, ``JWKS_URL`` (default
``<ISSUER>/.well-known/jwks.json``), ``REPLAY_TABLE``, ``CERT_BOUND_ISSUERS``,
``ALLOW_BEARER``.
"""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator
from authorizers.validators.cert_binding import CertificateBoundValidator
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.dpop_replay import DynamoDBReplayStore

ISSUER = os.environ["ISSUER"]
JWKS_URL = os.environ.get("JWKS_URL") or None  # plain HTTP only for a loopback test server
REPLAY_TABLE = os.environ.get("REPLAY_TABLE") or None

tokens = JwtValidator(
    issuer=ISSUER,
    audience=os.environ["AUDIENCE"],
    jwks_url=JWKS_URL or ISSUER.rstrip("/") + "/.well-known/jwks.json",
    allow_http_loopback=JWKS_URL is not None,
    context_claims={"sub": "user", "scope": "scope"},
)
dpop = DpopValidator(
    tokens,
    replay=DynamoDBReplayStore(REPLAY_TABLE) if REPLAY_TABLE else None,
    allow_bearer=os.environ.get("ALLOW_BEARER", "true").lower() != "false",
)
bound_issuers = [name for name in os.environ.get("CERT_BOUND_ISSUERS", "").split(",") if name]
authorizer = Authorizer(
    CertificateBoundValidator(dpop, require_for_issuers=bound_issuers),
    result_ttl_seconds=0,
)


def handler(event: dict, context: object) -> dict:
    """The called method's Allow for a valid, correctly bound token; else 401."""
    return authorizer.handler(event, context)
