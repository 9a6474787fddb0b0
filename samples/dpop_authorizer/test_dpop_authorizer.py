"""The sender-constrained sample: DPoP proofs and certificate-bound tokens, against a local
issuer serving its keys on 127.0.0.1."""

from __future__ import annotations

import pytest

from authorizers.testing import TestIssuer, assert_allows, assert_unauthorized, request_event
from authorizers.testing.certificates import TestCa
from authorizers.testing.dpop import DpopClient

AUDIENCE = "https://api.example.com"
URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders/1"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer("https://login.example.com/", audience=AUDIENCE)


@pytest.fixture
def app(load_app, issuer, keys):
    return load_app(
        ISSUER=issuer.issuer,
        AUDIENCE=AUDIENCE,
        JWKS_URL=keys.jwks_url,
        REPLAY_TABLE=None,
        CERT_BOUND_ISSUERS=None,
        ALLOW_BEARER=None,
    )


def test_a_dpop_proof_allows_the_called_method_once(app, issuer):
    client = DpopClient()
    event = request_event(
        "GET /orders/1", headers=client.headers("GET", URL, issuer.mint({"cnf": client.cnf}))
    )
    response = app.handler(event, None)
    assert_allows(response, event)
    assert response["policyDocument"]["Statement"][0]["Resource"] in (
        event["methodArn"],
        [event["methodArn"]],
    )
    assert_unauthorized(app.handler, event)  # the same proof again


def test_a_certificate_bound_token_needs_its_certificate(app, issuer):
    ca = TestCa()
    cert, other = ca.issue("client-a"), ca.issue("client-b")
    headers = {"Authorization": f"Bearer {issuer.mint({'cnf': cert.cnf})}"}
    good = request_event("GET /orders/1", headers=headers, client_cert=cert.event_block())
    assert_allows(app.handler(good, None), good)
    swapped = request_event("GET /orders/1", headers=headers, client_cert=other.event_block())
    assert_unauthorized(app.handler, swapped)


def test_issuers_may_require_binding(load_app, issuer, keys):
    app = load_app(
        ISSUER=issuer.issuer,
        AUDIENCE=AUDIENCE,
        JWKS_URL=keys.jwks_url,
        CERT_BOUND_ISSUERS=issuer.issuer,
    )
    plain = request_event("GET /orders/1", headers={"Authorization": f"Bearer {issuer.mint()}"})
    assert_unauthorized(app.handler, plain)
