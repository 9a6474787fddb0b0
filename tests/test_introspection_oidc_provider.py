"""IntrospectionValidator against a real provider (node ``oidc-provider`` on 127.0.0.1).

Opaque access tokens and JWTs, the three client authentication methods, tokens revoked at
the provider's RFC 7009 endpoint, and a provider restart (which, with its in-memory storage,
forgets every token it issued: they must stop working, and while it is down nothing is
allowed).
"""

from __future__ import annotations

from typing import Any

import pytest
from servers.oidc_provider import INTROSPECTION_CLIENTS

from authorizers._internal.event_parsing import parse_event
from authorizers.errors import AuthorizerError, InfrastructureError, ReasonCode
from authorizers.jwks.http_client_fetch import HttpClientFetcher
from authorizers.testing.events import http_v2_event
from authorizers.validator import AllOf
from authorizers.validators.client_auth import (
    ClientAuth,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
)
from authorizers.validators.introspection import IntrospectionValidator
from authorizers.validators.oidc import OidcValidator


def client_auth(provider: Any, method: str, tmp_path: Any) -> ClientAuth:
    client_id = INTROSPECTION_CLIENTS[method]
    if method == "private_key_jwt":
        pem = tmp_path / "client-key.pem"
        pem.write_bytes(provider.client_key.private_pem())
        return PrivateKeyJwt.from_file(client_id, pem, kid=provider.client_key.kid)
    kind = ClientSecretBasic if method == "client_secret_basic" else ClientSecretPost
    return kind(client_id, provider.client_secret)


def introspector(provider: Any, client: ClientAuth, **options: Any) -> IntrospectionValidator:
    options.setdefault("audience", provider.opaque_audience)
    return IntrospectionValidator(
        provider.issuer,
        client=client,
        allow_http_loopback=True,
        fetcher=HttpClientFetcher(),
        **options,
    )


def reason(validator: Any, token: str) -> ReasonCode:
    with pytest.raises(AuthorizerError) as caught:
        validator.introspect(token)
    return caught.value.reason


@pytest.mark.parametrize("method", sorted(INTROSPECTION_CLIENTS))
def test_opaque_token_with_each_client_authentication(
    oidc_provider: Any, method: str, tmp_path: Any
) -> None:
    validator = introspector(
        oidc_provider,
        client_auth(oidc_provider, method, tmp_path),
        scopes_any="api:read",
        token_type="Bearer",
    )
    token = oidc_provider.opaque_token("api:read")
    assert token.count(".") == 0  # opaque: not a JWT
    identity = validator.introspect(token)
    assert identity.principal_id == "m2m"  # client credentials: the client is the caller
    assert identity.issuer == oidc_provider.issuer
    assert "api:read" in identity.scopes
    assert reason(validator, "not-a-token-the-provider-issued") is ReasonCode.TOKEN_INACTIVE


def test_wrong_client_secret_fails_closed(oidc_provider: Any) -> None:
    validator = introspector(oidc_provider, ClientSecretBasic("m2m", "wrong-secret"))
    with pytest.raises(InfrastructureError) as caught:
        validator.introspect(oidc_provider.opaque_token())
    assert caught.value.reason is ReasonCode.INTROSPECTION_UNAVAILABLE


def test_scope_and_audience_rules_apply(oidc_provider: Any) -> None:
    basic = ClientSecretBasic("m2m", oidc_provider.client_secret)
    needs_write = introspector(oidc_provider, basic, scopes_all="api:write")
    assert reason(needs_write, oidc_provider.opaque_token("api:read")) is (
        ReasonCode.INSUFFICIENT_SCOPE
    )
    other_api = introspector(oidc_provider, basic, audience="https://elsewhere.example.com")
    assert reason(other_api, oidc_provider.opaque_token()) is ReasonCode.WRONG_AUDIENCE


def test_a_token_revoked_at_the_provider_stops_working_after_the_cache(
    oidc_provider: Any,
) -> None:
    basic = ClientSecretBasic("m2m", oidc_provider.client_secret)
    validator = introspector(oidc_provider, basic)
    token = oidc_provider.opaque_token()
    assert validator.introspect(token).principal_id == "m2m"
    oidc_provider.revoke(token)
    assert validator.introspect(token).principal_id == "m2m"  # cached: the documented caveat
    validator.cache.clear()  # what cache_ttl seconds would do
    assert reason(validator, token) is ReasonCode.TOKEN_INACTIVE
    uncached = introspector(oidc_provider, basic, cache_ttl=0)
    fresh = oidc_provider.opaque_token()
    assert uncached.introspect(fresh).principal_id == "m2m"
    oidc_provider.revoke(fresh)
    assert reason(uncached, fresh) is ReasonCode.TOKEN_INACTIVE


def test_jwt_access_tokens_with_all_of(oidc_provider: Any) -> None:
    """This provider refuses to introspect JWTs (it answers 400 unsupported_token_type): the
    combination fails closed instead of trusting the signature alone."""
    jwt = OidcValidator(oidc_provider.issuer, oidc_provider.api_audience, allow_http_loopback=True)
    basic = ClientSecretBasic("m2m", oidc_provider.client_secret)
    both = AllOf(jwt, introspector(oidc_provider, basic, audience=oidc_provider.api_audience))
    token = oidc_provider.token()
    assert jwt.verify(token).principal_id == "m2m"
    event = http_v2_event("GET /pets", headers={"authorization": f"Bearer {token}"})
    with pytest.raises(InfrastructureError):
        both.validate(parse_event(event))


def test_provider_restart(oidc_provider: Any) -> None:
    basic = ClientSecretBasic("m2m", oidc_provider.client_secret)
    validator = introspector(oidc_provider, basic, cache_ttl=0)
    token = oidc_provider.opaque_token()
    assert validator.introspect(token).principal_id == "m2m"
    port = oidc_provider.port
    oidc_provider.stop()
    try:
        with pytest.raises(InfrastructureError):  # down: never an Allow
            validator.introspect(token)
    finally:
        oidc_provider.start(port)
    # in-memory storage: the restarted provider no longer knows the token
    assert reason(validator, token) is ReasonCode.TOKEN_INACTIVE
    assert validator.introspect(oidc_provider.opaque_token()).principal_id == "m2m"
