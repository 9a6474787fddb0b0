"""The WebSocket $connect sample, against a local issuer serving its keys on 127.0.0.1."""

from __future__ import annotations

import pytest

from authorizers.testing import (
    BrokenToken,
    TestIssuer,
    assert_allows,
    assert_context,
    assert_unauthorized,
    websocket_connect_event,
)

AUDIENCE = "chat"


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer("https://login.example.com", audience=AUDIENCE)


@pytest.fixture
def app(load_app, issuer, keys):
    return load_app(ISSUER=issuer.issuer, AUDIENCE=AUDIENCE, JWKS_URL=keys.jwks_url)


def test_a_token_in_the_query_string_may_connect(app, issuer):
    event = websocket_connect_event(query={"token": issuer.mint(scope="chat:write")})
    response = app.handler(event, None)
    assert_allows(response, event)
    assert_context(response, {"user": "user-1", "scope": "chat:write"}, request=event)


def test_a_bearer_header_works_too(app, issuer):
    event = websocket_connect_event(headers={"Authorization": f"Bearer {issuer.mint()}"})
    assert_allows(app.handler(event, None), event)


def test_no_token_is_a_401(app):
    assert_unauthorized(app.handler, websocket_connect_event())


@pytest.mark.parametrize("kind", list(BrokenToken))
def test_a_broken_token_is_a_401(app, issuer, kind):
    assert_unauthorized(
        app.handler, websocket_connect_event(query={"token": issuer.mint_broken(kind)})
    )
