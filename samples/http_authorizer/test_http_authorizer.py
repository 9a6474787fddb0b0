"""The HTTP API simple-response sample, against a local issuer serving its keys on 127.0.0.1."""

from __future__ import annotations

import pytest

from authorizers.testing import (
    BrokenToken,
    TestIssuer,
    assert_allows,
    assert_context,
    assert_denies,
    http_v2_event,
    simulate,
)

AUDIENCE = "https://api.example.com"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer("https://login.example.com/", audience=AUDIENCE)


@pytest.fixture
def app(load_app, issuer, keys):
    return load_app(
        ISSUER=issuer.issuer, AUDIENCE=AUDIENCE, JWKS_URL=keys.jwks_url, RESULT_TTL_SECONDS=None
    )


def call(route: str, authorization: str | None) -> dict:
    return http_v2_event(route, headers={"authorization": authorization})


def test_a_valid_token_is_authorized_with_its_claims_in_the_context(app, issuer):
    event = call("GET /orders", f"Bearer {issuer.mint({'email': 'a@example.com'}, scope='read')}")
    response = app.handler(event, None)
    assert response["isAuthorized"] is True
    assert_allows(response, event, "DELETE /orders/1")  # one answer for every route
    assert_context(
        response,
        {"user": "user-1", "scope": "read", "email": "a@example.com"},
        request=event,
        exact=True,
    )


@pytest.mark.parametrize("kind", list(BrokenToken))
def test_a_broken_token_is_not_authorized(app, issuer, kind):
    event = call("GET /orders", f"Bearer {issuer.mint_broken(kind)}")
    response = app.handler(event, None)
    assert response == {"isAuthorized": False}  # no context leaks for a refused caller
    assert_denies(response, event)


def test_a_token_for_another_audience_or_no_token_is_not_authorized(app, issuer):
    for authorization in (f"Bearer {issuer.mint(audience='https://other.example.com')}", None):
        event = call("GET /orders", authorization)
        result = simulate(app.handler(event, None), event)
        assert result.status == 403  # simple responses cannot answer 401
