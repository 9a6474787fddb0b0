"""The example of docs/testing.md ("Test your authorizer in twenty lines"), kept runnable."""

import pytest

from authorizers import Authorizer, JwtValidator
from authorizers.jwks import StaticJwks
from authorizers.rules import AccessRules, allow_route, scopes_any
from authorizers.testing import (
    BrokenToken,
    TestIssuer,
    assert_allows,
    assert_denies,
    assert_unauthorized,
    token_event,
)

issuer = TestIssuer()  # an RSA key pair; issuer.jwks is its public JWK Set
authorizer = Authorizer(
    JwtValidator(issuer=issuer.issuer, keys=StaticJwks(issuer.jwks), audience=issuer.audience),
    rules=AccessRules(
        allow_route("GET", "/pets/{id}"),
        allow_route("POST", "/pets", requires=scopes_any("pets:write")),
    ),
)


def test_a_reader_may_read_any_pet_but_not_add_one():
    event = token_event("GET /pets/1", f"Bearer {issuer.mint(scope='pets:read')}")
    response = authorizer.handler(event, None)
    assert_allows(response, event, "GET /pets/2")  # the cached policy must cover /pets/2 too
    assert_denies(response, "POST /pets")


@pytest.mark.parametrize("kind", list(BrokenToken))
def test_every_broken_token_gets_a_401(kind):
    event = token_event("GET /pets/1", f"Bearer {issuer.mint_broken(kind)}")
    assert_unauthorized(authorizer.handler, event)
