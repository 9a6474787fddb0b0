"""OidcValidator against a real OpenID Provider (node ``oidc-provider`` on 127.0.0.1).

RFC 9068 ``at+jwt`` access tokens from the client-credentials grant (RS256 and ES256), ID tokens
from the authorization-code flow with PKCE, discovery and JWKS as a production IdP serves them,
and a key rotation: the provider generates new keys (and kids) at every restart.
"""

from __future__ import annotations

from typing import Any

import pytest
from servers.oidc_provider import M2M_CLIENTS, WEB_CLIENTS

from authorizers.clock import FakeClock
from authorizers.errors import AuthorizerError, Forbidden, ReasonCode
from authorizers.validators.oidc import OidcValidator


def access_validator(provider: Any, **options: Any) -> OidcValidator:
    options.setdefault("algorithms", ["RS256", "ES256"])
    return OidcValidator(
        provider.issuer,
        provider.api_audience,
        allow_http_loopback=True,
        token_type="at+jwt",
        required_claims=["client_id", "jti", "iat"],  # RFC 9068 §2.2
        **options,
    )


def reason(validator: OidcValidator, token: str) -> ReasonCode:
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(token)
    return caught.value.reason


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_client_credentials_access_tokens(oidc_provider: Any, alg: str) -> None:
    validator = access_validator(oidc_provider, scopes_any="api:read", context_claims=["scope"])
    identity = validator.verify(oidc_provider.token(scope="api:read", alg=alg))
    assert identity.principal_id == M2M_CLIENTS[alg]
    assert identity.claims["client_id"] == M2M_CLIENTS[alg]
    assert identity.issuer == oidc_provider.issuer
    assert "api:read" in identity.scopes
    assert identity.context == {"scope": "api:read"}
    with pytest.raises(Forbidden) as caught:
        validator.verify(oidc_provider.token(scope="api:write", alg=alg))
    assert caught.value.reason is ReasonCode.INSUFFICIENT_SCOPE


def test_algorithms_stay_within_the_allow_list(oidc_provider: Any) -> None:
    rs_only = access_validator(oidc_provider, algorithms=["RS256"])
    assert rs_only.verify(oidc_provider.token(alg="RS256"))
    es_token = oidc_provider.token(alg="ES256")
    assert reason(rs_only, es_token) is ReasonCode.DISALLOWED_ALGORITHM


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_id_token_from_code_flow_with_pkce(oidc_provider: Any, alg: str) -> None:
    id_validator = OidcValidator(
        oidc_provider.issuer,
        WEB_CLIENTS[alg],
        algorithms=["RS256", "ES256"],
        allow_http_loopback=True,
        required_claims=["nonce"],
        context_claims={"email": "email"},
    )
    id_token = oidc_provider.id_token(alg=alg, login="bob")
    identity = id_validator.verify(id_token)
    assert identity.principal_id == "bob"
    assert identity.context == {"email": "bob@example.com"}
    # token kinds stay apart: the access-token validator wants typ at+jwt and the API audience
    assert reason(access_validator(oidc_provider), id_token) is ReasonCode.WRONG_TOKEN_TYPE
    access_token = oidc_provider.token(alg=alg)
    assert reason(id_validator, access_token) is ReasonCode.WRONG_AUDIENCE


def test_restart_rotates_keys_and_unknown_kids_refresh(oidc_provider: Any) -> None:
    monotonic = FakeClock(0.0)  # drives the JWKS refresh cooldown without sleeping
    validator = access_validator(oidc_provider, monotonic=monotonic)
    before = oidc_provider.token()
    for _ in range(2):  # cached at its second verification
        assert validator.verify(before).principal_id == M2M_CLIENTS["RS256"]
    assert validator.cached_identity(before) is not None
    oidc_provider.restart()
    monotonic.advance(60)
    after = oidc_provider.token()  # signed with a new key under a new kid
    assert validator.verify(after).principal_id == M2M_CLIENTS["RS256"]
    # the old key is gone from the provider's JWKS: the cached token no longer passes
    assert reason(validator, before) is ReasonCode.UNKNOWN_KEY
