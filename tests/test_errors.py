"""Error details that help and leak nothing (issue 14.9): an issuer mismatch names the trusted
issuers and the ``iss`` the token carried, with a trailing-slash hint; an OIDC discovery
document naming another issuer is a ConfigurationError that says so, at cold start and when
found at first use (not a bare ``ConfigurationError at oidc.py:108``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from authorizers import Authorizer
from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.jwks.sources import StaticJwks
from authorizers.testing import TestIssuer, token_event
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.jwt import IssuerConfig, JwtValidator
from authorizers.validators.oidc import OidcValidator

NOW = 1_767_225_600.0
TRUSTED = TestIssuer("https://idp.example/tenant", clock=lambda: NOW)


def jwt() -> JwtValidator:
    configs = [
        IssuerConfig(name, keys=StaticJwks(TRUSTED.jwks), audience=TRUSTED.audience)
        for name in (TRUSTED.issuer, "https://other.example")
    ]
    return JwtValidator(configs, clock=lambda: NOW)


def refusal(token: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as refused:
        jwt().verify(token)
    assert refused.value.reason is ReasonCode.WRONG_ISSUER
    return refused.value


def test_an_issuer_mismatch_names_the_trusted_issuers_and_the_one_sent() -> None:
    detail = refusal(TRUSTED.mint({"iss": "https://evil.example"})).detail
    assert "'https://evil.example'" in detail
    assert "'https://idp.example/tenant', 'https://other.example'" in detail
    assert "trailing slash" not in detail


def test_a_trailing_slash_difference_gets_a_hint() -> None:
    detail = refusal(TRUSTED.mint({"iss": TRUSTED.issuer + "/"})).detail
    assert "differs from 'https://idp.example/tenant' only by a trailing slash" in detail


def test_an_attacker_chosen_iss_is_cut_short_and_escaped() -> None:
    detail = refusal(TRUSTED.mint({"iss": "x\n" + "y" * 5000})).detail
    assert "\n" not in detail
    assert len(detail) < 400


@pytest.fixture
def served() -> Iterator[tuple[TestIssuer, JwksServer]]:
    issuer = TestIssuer(clock=lambda: NOW)
    with issuer.serve() as server:
        yield issuer, server


def _oidc(issuer: str) -> OidcValidator:
    return OidcValidator(
        issuer, "api", allow_http_loopback=True, clock=lambda: NOW, monotonic=FakeClock(0.0)
    )


def test_a_discovery_document_naming_another_issuer_says_which(
    served: tuple[TestIssuer, JwksServer],
) -> None:
    issuer, server = served
    server.set_discovery(
        {
            "issuer": issuer.issuer + "/",
            "jwks_uri": server.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )
    with pytest.raises(ConfigurationError) as refused:
        _oidc(issuer.issuer).prefetch()
    message = str(refused.value)
    assert (
        f"'issuer' {issuer.issuer + '/'!r} is not trusted (trusted: {issuer.issuer!r})" in message
    )
    assert "only by a trailing slash" in message


def test_found_at_first_use_the_decision_carries_that_message(
    served: tuple[TestIssuer, JwksServer],
) -> None:
    issuer, server = served
    server.set_discovery(
        {
            "issuer": "https://elsewhere.example",
            "jwks_uri": server.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
        }
    )
    authorizer = Authorizer(_oidc(issuer.issuer))
    event = token_event("GET /pets", f"Bearer {issuer.mint(audience='api')}")
    decision = authorizer.authorize(parse_event(event))
    assert decision.outcome.value == "error"
    assert decision.reason is ReasonCode.INTERNAL_ERROR
    assert decision.detail.startswith("ConfigurationError: ")
    assert "'https://elsewhere.example' is not trusted" in decision.detail
