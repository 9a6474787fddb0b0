"""Fault injection on the JWKS and OIDC discovery endpoints, through the whole handler.

``tests/jwks/test_fetch.py`` checks each fault at the fetch level; here a real JwksServer on
127.0.0.1 misbehaves under a JwtValidator (keys from the JWKS URL) or an OidcValidator (keys
found through discovery) and the question is what API Gateway gets: a 500 naming
``key_unavailable`` (or a Deny when so configured) within the deadline, stale keys while the
IdP is down, backoff between attempts, and never an Allow that should not be. Every handler
call runs under a watchdog, so a hang fails the test instead of the run.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.decision import Outcome
from authorizers.jwks.sources import RemoteJwks
from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import DISCOVERY_PATH, JWKS_PATH, Fault, JwksServer
from authorizers.testing.simulator import GatewayDecision
from authorizers.validators.jwt import JwtValidator

from . import keys
from .keys import AUDIENCE, NOW
from .runner import ROUTE, HandlerResult, call_handler
from .served import CUT_OFF, DEADLINE, WATCHDOG, jwt_validator, oidc_validator, server

FAULTS = {
    "http-500": Fault.http_status(500),
    "http-503": Fault.http_status(503),
    "http-404": Fault.http_status(404),
    "slow-headers": Fault.delay(60),
    "trickling-body": Fault.trickle(interval=0.05),  # ~400 bytes: 20 s
    "html-body": Fault.html(),
    "truncated-json": Fault.truncated(),
    "10-mb-body": Fault.oversize(10 * 1024 * 1024, declare_length=False),
    "connection-reset": Fault.drop(),
}


def handle(validator: Any, token: str, **options: Any) -> tuple[HandlerResult, float]:
    """One handler call under a watchdog: (result, seconds taken)."""
    box: dict[str, HandlerResult] = {}
    started = time.monotonic()
    worker = threading.Thread(
        target=lambda: box.update(
            result=call_handler(validator, token_event(ROUTE, f"Bearer {token}"), **options)
        ),
        daemon=True,
    )
    worker.start()
    worker.join(WATCHDOG)
    assert not worker.is_alive(), f"the handler hung for {WATCHDOG} s"
    return box["result"], time.monotonic() - started


def assert_key_unavailable(result: HandlerResult) -> None:
    assert result.decision.outcome is Outcome.ERROR
    assert result.decision.reason == "key_unavailable"
    assert str(result.response) == "authorizer failed (key_unavailable)"
    assert result.gateway is GatewayDecision.INVALID  # API Gateway answers 500


def assert_allowed(result: HandlerResult) -> None:
    assert result.decision.outcome is Outcome.ALLOW, result.decision
    assert result.gateway is GatewayDecision.ALLOW


# --- each fault, on each endpoint ------------------------------------------------------------


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("path", [JWKS_PATH, DISCOVERY_PATH], ids=["jwks", "discovery"])
def test_a_faulty_endpoint_fails_closed_within_the_deadline(
    idp: TestIssuer, fault: str, path: str
) -> None:
    server(idp).inject(FAULTS[fault], path=path)
    build = jwt_validator if path == JWKS_PATH else oidc_validator
    result, elapsed = handle(build(idp, FakeClock()), idp.mint())
    assert_key_unavailable(result)
    assert elapsed < CUT_OFF
    assert server(idp).fetch_count(path) == 1  # one attempt per request, no retry loop


@pytest.mark.parametrize("path", [JWKS_PATH, DISCOVERY_PATH], ids=["jwks", "discovery"])
def test_a_redirect_to_another_host_is_not_followed(idp: TestIssuer, path: str) -> None:
    with JwksServer(keys.jwks("attacker")) as elsewhere:
        target = elsewhere.url + path
        server(idp).inject(Fault.redirect(target.replace("127.0.0.1", "localhost")), path=path)
        build = jwt_validator if path == JWKS_PATH else oidc_validator
        result, _ = handle(build(idp, FakeClock()), idp.mint())
        assert_key_unavailable(result)
        assert elsewhere.fetch_count(path) == 0


def test_the_deny_policy_for_faults_answers_403_instead(idp: TestIssuer) -> None:
    server(idp).inject(Fault.http_status(503))
    result, _ = handle(jwt_validator(idp, FakeClock()), idp.mint(), on_infrastructure_error="deny")
    assert result.decision.outcome is Outcome.DENY
    assert result.decision.reason == "key_unavailable"
    assert result.gateway is GatewayDecision.EXPLICIT_DENY


def test_connection_refused_fails_fast(idp: TestIssuer) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = RemoteJwks(
        f"http://127.0.0.1:{port}/jwks.json",
        allow_http_loopback=True,
        timeout=DEADLINE,
        monotonic=FakeClock(),
    )
    validator = JwtValidator(
        issuer=idp.issuer, keys=source, audience=AUDIENCE, clock=FakeClock(NOW)
    )
    result, elapsed = handle(validator, idp.mint())
    assert_key_unavailable(result)
    assert elapsed < CUT_OFF


class Resolver:
    """Stands in for DNS: ``.invalid`` names (RFC 6761) fail here, and no query is sent (the
    system resolver would ask the configured nameserver). An answer waits until ``answer``
    is set, to model a slow resolver; ``asked`` lists the names looked up."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.answer = threading.Event()
        self.asked: list[str] = []
        self._real = real

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.rstrip(".").endswith(".invalid"):
            return self._real(host, *args, **kwargs)
        self.asked.append(name)
        self.answer.wait(WATCHDOG)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # a proxy would resolve the name elsewhere
    fake = Resolver(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    yield fake
    fake.answer.set()  # release a worker still waiting


@pytest.mark.parametrize("slow", [False, True], ids=["unresolvable", "slow-resolver"])
def test_an_unresolvable_host_fails_closed_within_the_deadline(
    idp: TestIssuer, resolver: Resolver, slow: bool
) -> None:
    if not slow:
        resolver.answer.set()
    source = RemoteJwks(
        "https://jwks.idp.invalid/.well-known/jwks.json", timeout=DEADLINE, monotonic=FakeClock()
    )
    validator = JwtValidator(
        issuer=idp.issuer, keys=source, audience=AUDIENCE, clock=FakeClock(NOW)
    )
    result, elapsed = handle(validator, idp.mint())
    assert_key_unavailable(result)
    assert elapsed < CUT_OFF
    assert resolver.asked == ["jwks.idp.invalid"]


# --- outages over time: stale keys, backoff, recovery -------------------------------------


def test_stale_keys_serve_through_an_outage_with_backoff_then_fail_closed(
    idp: TestIssuer,
) -> None:
    clock = FakeClock()
    validator = jwt_validator(
        idp, clock, max_age=600, stale_if_error=3600, backoff_base=1, backoff_cap=4
    )
    idp_server = server(idp)

    def call(expect_fetches: int) -> HandlerResult:
        result, elapsed = handle(validator, idp.mint())
        assert elapsed < CUT_OFF
        assert idp_server.fetch_count() == expect_fetches
        return result

    assert_allowed(call(1))
    idp_server.inject(Fault.http_status(503))
    clock.advance(601)  # keys past max-age: a refresh is due, and fails
    assert_allowed(call(2))  # stale keys serve
    assert_allowed(call(2))  # backing off (1 s): no fetch
    for delay in (1, 2, 4, 4):  # doubling, capped at 4 s
        clock.advance(delay - 0.01)
        assert_allowed(call(idp_server.fetch_count()))  # still inside the backoff
        clock.advance(0.01)
        assert_allowed(call(idp_server.fetch_count() + 1))
    clock.advance(3600)  # past max-age + stale_if_error: nobody vouched for these keys
    assert_key_unavailable(call(idp_server.fetch_count() + 1))
    idp_server.clear_faults()
    clock.advance(4)
    assert_allowed(call(idp_server.fetch_count() + 1))  # recovered


def test_failed_discovery_is_retried_only_after_retry_after(idp: TestIssuer) -> None:
    clock = FakeClock()
    validator = oidc_validator(idp, clock)
    server(idp).inject(Fault.http_status(500), path=DISCOVERY_PATH)
    for _ in range(3):
        assert_key_unavailable(handle(validator, idp.mint())[0])
    assert server(idp).fetch_count(DISCOVERY_PATH) == 1
    server(idp).clear_faults()
    clock.advance(10)  # DEFAULT_RETRY_AFTER
    assert_allowed(handle(validator, idp.mint())[0])
    assert server(idp).fetch_count(DISCOVERY_PATH) == 2


# --- keys that change: removal and rotation ------------------------------------------------


def test_a_key_removed_mid_flight_stops_being_trusted_once_a_refresh_saw_it_gone(
    idp: TestIssuer,
) -> None:
    clock = FakeClock()
    # A refresh that takes 2 s of a 3 s deadline: the request made during it has a wide window
    # to run in even on a loaded machine (0.3 s of 0.5 s was a race there).
    validator = jwt_validator(idp, clock, timeout=3.0)
    token = idp.mint()
    assert_allowed(handle(validator, token)[0])  # verified
    idp.rotate(keep_old=False)  # the IdP withdraws rsa-1 (say, compromised)
    # within max-age: still trusted (documented), and remembered (its second verification)
    assert_allowed(handle(validator, token)[0])
    clock.advance(601)
    server(idp).inject(Fault.delay(2.0), times=1)  # the refresh is slow: requests overlap it
    results: list[HandlerResult] = []
    refresher = threading.Thread(target=lambda: results.append(handle(validator, token)[0]))
    refresher.start()
    while server(idp).fetch_count() < 2:  # the refresh is now in flight (inside the delay)
        assert refresher.is_alive()
        time.sleep(0.005)
    during, _ = handle(validator, token)
    refresher.join(WATCHDOG)
    assert_allowed(during)  # the last good keys answer while the refresh runs
    (after_refresh,) = results
    for result in (after_refresh, handle(validator, token)[0]):
        assert result.decision.outcome is Outcome.UNAUTHORIZED
        assert result.decision.reason == "unknown_key"
    assert_allowed(handle(validator, idp.mint())[0])  # the new key works
    assert server(idp).fetch_count() == 2


@pytest.mark.parametrize("keep_old", [True, False], ids=["overlap", "hard-cut"])
def test_rotation_picks_up_the_new_kid_at_once(idp: TestIssuer, keep_old: bool) -> None:
    clock = FakeClock()
    validator = jwt_validator(idp, clock)
    old = idp.mint()
    assert_allowed(handle(validator, old)[0])
    idp.rotate(keep_old=keep_old)
    clock.advance(11)  # past the unknown-kid cooldown since the first fetch
    assert_allowed(handle(validator, idp.mint())[0])  # unknown kid: one refresh, accepted
    assert server(idp).fetch_count() == 2
    if keep_old:
        assert_allowed(handle(validator, old)[0])
    else:
        refused = handle(validator, old)[0]
        assert refused.decision.reason == "unknown_key"
    assert server(idp).fetch_count() == 2  # nothing more was fetched
