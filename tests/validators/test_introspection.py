"""IntrospectionValidator without a network: a recording HTTP client plays the provider.

What is checked here is the validator's own logic - which answers count, the cache's bounds,
single flight, the miss rate limit, outages - while
tests/validators/test_introspection_oidc_provider.py runs it against a real provider.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import (
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.jwks.fetch import FetchError
from authorizers.validators.client_auth import ClientSecretBasic, ClientSecretPost
from authorizers.validators.introspection import IntrospectionValidator

ISSUER = "https://idp.example.test"
ENDPOINT = f"{ISSUER}/token/introspection"
NOW = 1_700_000_000.0

Answer = Callable[[str], Mapping[str, Any]]


class Provider:
    """Answers discovery and introspection; records each introspected token (by value)."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer = answer or (lambda token: active())
        self.asked: list[str] = []
        self.forms: list[dict[str, list[str]]] = []
        self.headers: list[Mapping[str, str]] = []
        self.down = False
        self.gate: threading.Event | None = None

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        doc = {"issuer": ISSUER, "introspection_endpoint": ENDPOINT}
        return json.dumps(doc).encode()

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float, max_bytes: int
    ) -> bytes:
        assert url == ENDPOINT
        if self.gate is not None:
            self.gate.wait(5)
        if self.down:
            raise FetchError(f"{url}: HTTP 503")
        form = parse_qs(body.decode())
        self.forms.append(form)
        self.headers.append(headers)
        token = form["token"][0]
        self.asked.append(token)
        return json.dumps(self.answer(token)).encode()


def active(**claims: Any) -> dict[str, Any]:
    return {
        "active": True,
        "iss": ISSUER,
        "sub": "alice",
        "client_id": "app",
        "aud": "https://api.example.test",
        "scope": "api:read",
        "token_type": "Bearer",
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 3600,
    } | claims


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


def make(provider: Provider, clock: FakeClock, **options: Any) -> IntrospectionValidator:
    settings: dict[str, Any] = {
        "client": ClientSecretBasic("rs", "s3cret"),
        "audience": "https://api.example.test",
        "fetcher": provider,
        "clock": clock,
        "monotonic": clock,
    } | options
    return IntrospectionValidator(ISSUER, **settings)


def refused(validator: IntrospectionValidator, token: str) -> ReasonCode:
    with pytest.raises((Unauthorized, Forbidden)) as raised:
        validator.introspect(token)
    return raised.value.reason  # type: ignore[union-attr]


def test_active_token_gives_an_identity_and_the_form_is_rfc7662(clock: FakeClock) -> None:
    provider = Provider()
    identity = make(provider, clock, scopes_any="api:read").introspect("opaque-1")
    assert (identity.principal_id, identity.scopes, identity.issuer) == (
        "alice",
        frozenset({"api:read"}),
        ISSUER,
    )
    assert provider.forms[0] == {"token": ["opaque-1"], "token_type_hint": ["access_token"]}
    assert provider.headers[0]["Authorization"].startswith("Basic ")
    assert provider.headers[0]["Content-Type"] == "application/x-www-form-urlencoded"


def test_client_secret_post_sends_the_credentials_in_the_form(clock: FakeClock) -> None:
    provider = Provider()
    make(provider, clock, client=ClientSecretPost("rs", "s3cret")).introspect("t")
    assert provider.forms[0]["client_id"] == ["rs"]
    assert provider.forms[0]["client_secret"] == ["s3cret"]
    assert "Authorization" not in provider.headers[0]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"active": False}, ReasonCode.TOKEN_INACTIVE),
        ({"active": "true"}, ReasonCode.TOKEN_INACTIVE),
        (active(iss="https://evil.example.test"), ReasonCode.WRONG_ISSUER),
        (active(aud="https://other.example.test"), ReasonCode.WRONG_AUDIENCE),
        (active(exp=int(NOW) - 100), ReasonCode.EXPIRED),
        ({k: v for k, v in active().items() if k != "exp"}, ReasonCode.MISSING_CLAIM),
        (active(token_type="refresh_token"), ReasonCode.WRONG_TOKEN_TYPE),
        (active(scope="other"), ReasonCode.INSUFFICIENT_SCOPE),
        (active(scope=["api:read"]), ReasonCode.INVALID_CLAIM),
    ],
)
def test_only_an_active_answer_meeting_every_rule_is_accepted(
    clock: FakeClock, answer: dict[str, Any], reason: ReasonCode
) -> None:
    validator = make(
        Provider(lambda token: answer), clock, scopes_any="api:read", token_type="Bearer"
    )
    assert refused(validator, "t") is reason


def test_client_credentials_token_without_sub_is_the_client(clock: FakeClock) -> None:
    answer = {k: v for k, v in active(client_id="m2m").items() if k != "sub"}
    assert make(Provider(lambda t: answer), clock).introspect("t").principal_id == "m2m"


def test_active_answer_is_cached_until_the_ttl(clock: FakeClock) -> None:
    provider = Provider()
    validator = make(provider, clock, cache_ttl=60)
    for _ in range(1000):
        validator.introspect("t")
    assert len(provider.asked) == 1
    clock.advance(60)
    validator.introspect("t")
    assert len(provider.asked) == 2


def test_a_cached_answer_never_outlives_the_tokens_exp(clock: FakeClock) -> None:
    provider = Provider(lambda token: active(exp=int(NOW) + 20))
    validator = make(provider, clock, cache_ttl=300)
    validator.introspect("t")
    clock.advance(19)
    validator.introspect("t")
    clock.advance(1)
    assert refused(validator, "t") is ReasonCode.EXPIRED
    assert len(provider.asked) == 1


def test_refusals_are_cached_briefly_and_boundedly(clock: FakeClock) -> None:
    provider = Provider(lambda token: {"active": False})
    validator = make(provider, clock, negative_cache_ttl=10, negative_cache_size=4)
    for _ in range(50):
        refused(validator, "bad")
    assert provider.asked == ["bad"]
    clock.advance(10)
    refused(validator, "bad")
    assert provider.asked == ["bad", "bad"]
    for n in range(20):
        refused(validator, f"random-{n}")
    assert validator.cache._refused is not None and len(validator.cache._refused) == 4


def test_a_flood_of_random_tokens_is_rate_limited(clock: FakeClock) -> None:
    provider = Provider(lambda token: {"active": False})
    validator = make(provider, clock, misses_per_second=5)  # burst 10
    outcomes = []
    for n in range(100):
        try:
            validator.introspect(f"random-{n}")
        except InfrastructureError as error:
            outcomes.append(error.reason)
        except Unauthorized:
            outcomes.append(ReasonCode.TOKEN_INACTIVE)
    assert len(provider.asked) == 10
    assert outcomes.count(ReasonCode.INTROSPECTION_UNAVAILABLE) == 90
    clock.advance(1)  # the bucket refills at 5 per second
    for n in range(10):
        with pytest.raises((Unauthorized, InfrastructureError)):
            validator.introspect(f"later-{n}")
    assert len(provider.asked) == 15


def test_a_known_token_is_answered_during_a_flood(clock: FakeClock) -> None:
    provider = Provider(lambda token: active() if token == "good" else {"active": False})
    validator = make(provider, clock, misses_per_second=1)
    validator.introspect("good")
    for n in range(10):
        with pytest.raises((Unauthorized, InfrastructureError)):
            validator.introspect(f"random-{n}")
    assert validator.introspect("good").principal_id == "alice"


def test_outage_is_an_infrastructure_error_and_is_not_cached(clock: FakeClock) -> None:
    provider = Provider()
    provider.down = True
    validator = make(provider, clock)
    with pytest.raises(InfrastructureError) as raised:
        validator.introspect("t")
    assert raised.value.reason is ReasonCode.INTROSPECTION_UNAVAILABLE
    provider.down = False
    assert validator.introspect("t").principal_id == "alice"


def test_concurrent_callers_of_one_token_share_one_request(clock: FakeClock) -> None:
    provider = Provider()
    provider.gate = threading.Event()
    validator = make(provider, clock)
    results: list[str] = []

    def call() -> None:
        results.append(validator.introspect("same").principal_id)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    provider.gate.set()
    for thread in threads:
        thread.join(5)
    assert results == ["alice"] * 8
    assert provider.asked == ["same"]


def test_discovery_finds_the_endpoint_and_configuration_is_checked(clock: FakeClock) -> None:
    validator = make(Provider(), clock)
    assert validator.endpoint() == ENDPOINT
    with pytest.raises(ConfigurationError):
        make(Provider(), clock, endpoint="http://idp.example.test/introspect")
    with pytest.raises(ConfigurationError):  # the same audience rule as JwtValidator
        IntrospectionValidator(ISSUER, client=ClientSecretBasic("rs", "s"))


class Discovering(Provider):
    """Answers discovery with ``doc`` instead of the right document."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        super().__init__()
        self.doc = doc

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        return json.dumps(self.doc).encode()


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"issuer": ISSUER + "/", "introspection_endpoint": ENDPOINT}, "trailing slash"),
        ({"issuer": ISSUER}, "no 'introspection_endpoint'"),
        ({"issuer": ISSUER, "introspection_endpoint": "http://idp.example.test/i"}, "https"),
    ],
)
def test_a_discovery_document_that_cannot_serve_is_a_configuration_error(
    clock: FakeClock, doc: Mapping[str, Any], says: str
) -> None:
    """As for OIDC key discovery: the provider answered, and no retry will change its answer."""
    with pytest.raises(ConfigurationError, match=says):
        make(Discovering(doc), clock).endpoint()


class FlakyDiscovery(Provider):
    """Discovery fails while ``discovery_down``; counts discovery requests."""

    def __init__(self) -> None:
        super().__init__()
        self.discovery_down = True
        self.discoveries = 0

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        self.discoveries += 1
        if self.discovery_down:
            raise FetchError(f"{url}: HTTP 503")
        return super().fetch(url, timeout=timeout, max_bytes=max_bytes)


def test_failed_discovery_is_retried_only_after_retry_after(clock: FakeClock) -> None:
    provider = FlakyDiscovery()
    validator = make(provider, clock, retry_after=5)
    for _ in range(3):
        with pytest.raises(InfrastructureError) as raised:
            validator.introspect("t")
        assert raised.value.reason is ReasonCode.INTROSPECTION_UNAVAILABLE
    assert provider.discoveries == 1  # the provider is not asked per request
    provider.discovery_down = False
    clock.advance(4.9)
    with pytest.raises(InfrastructureError):
        validator.prefetch()
    clock.advance(0.1)
    assert validator.introspect("t").principal_id == "alice"
    assert validator.introspect("u").principal_id == "alice"
    assert provider.discoveries == 2  # found once: kept for good


def test_overlong_tokens_are_refused_without_a_request(clock: FakeClock) -> None:
    provider = Provider()
    assert refused(make(provider, clock), "a" * 20_000) is ReasonCode.MALFORMED_TOKEN
    assert provider.asked == []


def test_tokens_are_hashed_and_never_logged(
    clock: FakeClock,
    register_secret: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    good, bad = register_secret("opaque-good-token-value"), register_secret("opaque-bad-value")
    provider = Provider(lambda token: active() if token == good else {"active": False})
    validator = make(provider, clock, negative_cache_ttl=10)
    validator.introspect(good)
    with pytest.raises(Unauthorized) as raised:
        validator.introspect(bad)
    provider.down = True
    with pytest.raises(InfrastructureError) as outage:
        validator.introspect("opaque-third-value")
    for error in (raised.value, outage.value):
        assert "opaque" not in str(error)
    keys = [*validator.cache._active.keys(), *validator.cache._refused.keys()]  # type: ignore[union-attr]
    assert len(keys) == 2 and all(isinstance(k, bytes) and len(k) == 32 for k in keys)


def test_active_answers_are_bounded(clock: FakeClock) -> None:
    provider = Provider()
    validator = make(provider, clock, cache_size=4)
    for n in range(20):
        validator.introspect(f"token-{n}")
    assert validator.cache._active is not None and len(validator.cache._active) == 4
    validator.introspect("token-19")  # among the newest: still cached
    validator.introspect("token-0")  # evicted long ago: asked again
    assert provider.asked.count("token-19") == 1 and provider.asked.count("token-0") == 2
