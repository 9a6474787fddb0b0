"""OidcValidator: lazy discovery, exact issuer, HTTPS jwks_uri, algorithm intersection, retries.

Discovery and keys are served by a ``JwksServer`` on 127.0.0.1 (``TestIssuer.serve()``); both
clocks are fake, so the retry cooldown is tested without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.jwks.discovery import DEFAULT_RETRY_AFTER
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import DISCOVERY_PATH, Fault, JwksServer
from authorizers.validators.oidc import OidcValidator

AUD = "https://api.example.test"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000)


@pytest.fixture
def monotonic() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture(scope="module")
def _rsa_issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
def served(_rsa_issuer: TestIssuer, clock: FakeClock) -> Iterator[tuple[TestIssuer, JwksServer]]:
    _rsa_issuer.clock = clock
    with _rsa_issuer.serve() as server:
        yield _rsa_issuer, server


def oidc(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock, **kw: Any
) -> OidcValidator:
    issuer, _ = served
    kw.setdefault("allow_http_loopback", True)
    return OidcValidator(issuer.issuer, AUD, clock=clock, monotonic=monotonic, **kw)


def counts(server: JwksServer) -> tuple[int, int]:
    return server.fetch_count(DISCOVERY_PATH), server.fetch_count()


def test_discovery_is_lazy_and_happens_once(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, server = served
    validator = oidc(served, clock, monotonic, name="idp")
    assert counts(server) == (0, 0)
    identity = validator.verify(issuer.mint())
    assert (identity.validator, identity.issuer) == ("idp", issuer.issuer)
    assert counts(server) == (1, 1)
    validator.verify(issuer.mint())
    assert counts(server) == (1, 1)
    assert validator.keys.algorithms == {"RS256"}


def test_prefetch_discovers_and_loads_keys(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    _, server = served
    validator = oidc(served, clock, monotonic)
    validator.prefetch()
    assert counts(server) == (1, 1)


def test_foreign_issuer_is_refused_without_discovery(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    _, server = served
    stranger = TestIssuer("https://stranger.test", clock=clock)
    with pytest.raises(Unauthorized) as caught:
        oidc(served, clock, monotonic).verify(stranger.mint())
    assert caught.value.reason is ReasonCode.WRONG_ISSUER
    assert counts(server) == (0, 0)


@pytest.mark.parametrize(
    "document",
    [
        {"issuer_suffix": "/"},
        {"issuer_suffix": "/other"},
        {"issuer": None},
        {"jwks_uri": None},
        {"jwks_uri": "http://idp.example.test/jwks.json"},  # plain HTTP, not loopback
        {"jwks_uri": "ftp://127.0.0.1/jwks.json"},
        {"jwks_uri": 42},
        {"id_token_signing_alg_values_supported": None},
        {"id_token_signing_alg_values_supported": "RS256"},
        {"id_token_signing_alg_values_supported": ["ES256", "HS256", "none"]},
        {"id_token_signing_alg_values_supported": []},
    ],
)
def test_discovery_documents_that_fail_closed(
    served: tuple[TestIssuer, JwksServer],
    clock: FakeClock,
    monotonic: FakeClock,
    document: dict[str, Any],
) -> None:
    issuer, server = served
    doc: dict[str, Any] = {
        "issuer": issuer.issuer + document.pop("issuer_suffix", ""),
        "jwks_uri": server.jwks_url,
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    doc.update(document)
    server.set_discovery({name: value for name, value in doc.items() if value is not None})
    validator = oidc(served, clock, monotonic)
    with pytest.raises(ConfigurationError):
        validator.prefetch()
    with pytest.raises(ConfigurationError):
        validator.verify(issuer.mint())
    assert server.fetch_count() == 0  # keys are never fetched from an unvetted document


def test_algorithms_are_narrowed_to_what_the_provider_offers(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, server = served
    es = TestIssuer(issuer.issuer, alg="ES256", clock=clock)
    server.set_jwks({"keys": issuer.jwks["keys"] + es.jwks["keys"]})
    doc = {
        "issuer": issuer.issuer,
        "jwks_uri": server.jwks_url,
        "id_token_signing_alg_values_supported": ["RS256", "PS256"],
    }
    server.set_discovery(doc)
    validator = oidc(served, clock, monotonic, algorithms=["RS256", "ES256"])
    assert validator.verify(issuer.mint())
    assert validator.keys.algorithms == {"RS256"}
    with pytest.raises(Unauthorized) as caught:
        validator.verify(es.mint())
    assert caught.value.reason is ReasonCode.DISALLOWED_ALGORITHM


def test_failed_discovery_is_retried_after_a_cooldown(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, server = served
    server.inject(Fault.http_status(503), path=DISCOVERY_PATH, times=1)
    validator = oidc(served, clock, monotonic)
    token = issuer.mint()
    for _ in range(3):
        with pytest.raises(InfrastructureError) as caught:
            validator.verify(token)
        assert caught.value.reason is ReasonCode.KEY_UNAVAILABLE
        assert token not in str(caught.value)
    assert counts(server) == (1, 0)  # one attempt per cooldown, not one per request
    monotonic.advance(DEFAULT_RETRY_AFTER)
    assert validator.verify(token).principal_id == "user-1"
    assert counts(server) == (2, 1)


def test_bad_document_is_retried_after_a_cooldown(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, server = served
    server.set_discovery({"issuer": "https://elsewhere.test", "jwks_uri": server.jwks_url})
    validator = oidc(served, clock, monotonic, retry_after=5)
    with pytest.raises(ConfigurationError):
        validator.prefetch()
    server.set_discovery(None)  # fixed
    with pytest.raises(ConfigurationError):
        validator.prefetch()
    assert counts(server)[0] == 1
    monotonic.advance(5)
    validator.prefetch()
    assert validator.verify(issuer.mint())


def test_settings_pass_through(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, _ = served
    validator = oidc(served, clock, monotonic, token_type="at+jwt", scopes_all="read", leeway=0)
    assert validator.verify(issuer.mint(headers={"typ": "at+jwt"}, scope="read"))
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(issuer.mint(scope="read"))
    assert caught.value.reason is ReasonCode.WRONG_TOKEN_TYPE
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(issuer.mint(headers={"typ": "at+jwt"}, audience="other", scope="read"))
    assert caught.value.reason is ReasonCode.WRONG_AUDIENCE


def test_key_fetching_options_reach_the_discovered_keys(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    """``jwks_options`` and the ``monotonic`` clock tune the cache of the ``jwks_uri`` that
    discovery finds, as they tune a ``jwks_url``'s."""
    issuer, server = served
    validator = oidc(served, clock, monotonic, jwks_options={"max_age": 60})
    validator.verify(issuer.mint())
    monotonic.advance(59)
    validator.verify(issuer.mint())
    assert counts(server) == (1, 1)
    monotonic.advance(2)  # past the configured max-age: the keys are fetched again
    validator.verify(issuer.mint())
    assert counts(server) == (1, 2)


def test_issuer_must_be_https_unless_loopback_is_allowed(
    served: tuple[TestIssuer, JwksServer], clock: FakeClock, monotonic: FakeClock
) -> None:
    issuer, _ = served
    with pytest.raises(ConfigurationError):
        OidcValidator(issuer.issuer, AUD)  # http://127.0.0.1 without the test opt-in
    with pytest.raises(ConfigurationError):
        OidcValidator("http://idp.example.test", AUD, allow_http_loopback=True)
    with pytest.raises(ConfigurationError):
        OidcValidator("https://idp.example.test")  # no audience
    assert OidcValidator("https://idp.example.test", AUD).issuers == ("https://idp.example.test",)
