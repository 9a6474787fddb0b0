"""Zero-code configuration of sender-constrained tokens: ``dpop`` and ``cert_bound`` validator
objects wrapping a token validator; both per request (``result_ttl_seconds`` must be 0)."""

from __future__ import annotations

from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.config import build_authorizer
from authorizers.errors import ConfigurationError
from authorizers.testing import TestIssuer, assert_allows, assert_unauthorized, request_event
from authorizers.testing.certificates import TestCa
from authorizers.testing.dpop import DpopClient
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.dpop_replay import DynamoDBReplayStore

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders/1"
CLOCK = FakeClock()
ISSUER = TestIssuer(clock=CLOCK)


def jwt() -> dict[str, Any]:
    issuer = {"issuer": ISSUER.issuer, "audience": ISSUER.audience, "jwks": ISSUER.jwks}
    return {"type": "jwt", "issuers": [issuer]}


def document(validator: dict[str, Any], ttl: int = 0) -> dict[str, Any]:
    return {"validators": [validator], "result_ttl_seconds": ttl}


def test_a_dpop_document_accepts_a_proof_once_and_is_per_request() -> None:
    config = {"type": "dpop", "tokens": jwt(), "max_age": 30, "algorithms": ["ES256"]}
    authorizer = build_authorizer(document(config), clock=CLOCK)
    client = DpopClient(clock=CLOCK)
    event = request_event(
        "GET /orders/1", headers=client.headers("GET", URL, ISSUER.mint({"cnf": client.cnf}))
    )
    assert_allows(authorizer.handler(event, None), event)
    assert_unauthorized(authorizer.handler, event)
    with pytest.raises(ConfigurationError, match="result_ttl_seconds"):
        build_authorizer(document(config, ttl=300))
    with pytest.raises(ConfigurationError, match="tokens"):
        build_authorizer(
            document({"type": "dpop", "tokens": {"type": "any_of", "validators": [jwt()]}})
        )
    with pytest.raises(ConfigurationError):
        build_authorizer(document({**config, "algorithms": ["HS256"]}))


def test_a_shared_replay_table_is_configured() -> None:
    config = {"type": "dpop", "tokens": jwt(), "replay_table": "proofs", "region": "eu-west-1"}
    validator = build_authorizer(document(config))._validator
    assert isinstance(validator, DpopValidator)
    assert isinstance(validator.replay, DynamoDBReplayStore)
    assert validator.replay.table_name == "proofs"


def test_a_cert_bound_document_needs_the_certificate() -> None:
    ca = TestCa()
    cert, other = ca.issue("a"), ca.issue("b")
    config = {"type": "cert_bound", "validator": jwt(), "require_for_issuers": [ISSUER.issuer]}
    authorizer = build_authorizer(document(config), clock=CLOCK)
    headers = {"Authorization": f"Bearer {ISSUER.mint({'cnf': cert.cnf})}"}
    good = request_event("GET /orders/1", headers=headers, client_cert=cert.event_block())
    assert_allows(authorizer.handler(good, None), good)
    swapped = request_event("GET /orders/1", headers=headers, client_cert=other.event_block())
    assert_unauthorized(authorizer.handler, swapped)
    cached = {**config, "cert_in_cache_key": True}
    assert build_authorizer(document(cached, ttl=300))
