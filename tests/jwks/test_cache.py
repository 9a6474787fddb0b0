"""The per-URL JWKS cache through RemoteJwks: refresh, cooldown, negative cache, single-flight,
backoff, stale window, snapshot seeding, sharing. Fake fetcher and fake clock: no network, no
sleeping for time to pass."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from jwks_support import FakeFetcher, jwks, public_jwk

import authorizers.jwks.cache as cache_module
from authorizers.clock import FakeClock
from authorizers.errors import (
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.jwks.fetch import FetchError
from authorizers.jwks.sources import KeySource, RemoteJwks

URL = "https://idp.test/.well-known/jwks.json"
A = public_jwk("RSA", "a")
B = public_jwk("P-256", "b")
C = public_jwk("Ed25519", "c")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


def remote(fetcher: FakeFetcher, clock: FakeClock, **settings: Any) -> RemoteJwks:
    return RemoteJwks(URL, fetcher=fetcher, monotonic=clock, **settings)


def reason_of(source: RemoteJwks, kid: str, alg: str = "RS256") -> ReasonCode:
    with pytest.raises((Unauthorized, InfrastructureError)) as raised:
        source.get_key(kid, alg)
    return raised.value.reason


def test_remote_jwks_is_a_key_source(clock: FakeClock) -> None:
    assert isinstance(remote(FakeFetcher(jwks(A)), clock), KeySource)


def test_fresh_keys_are_served_without_fetching_or_reparsing(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real_parse = cache_module.parse_jwk
    monkeypatch.setattr(
        cache_module, "parse_jwk", lambda jwk: parsed.append(jwk["kid"]) or real_parse(jwk)
    )
    fetcher = FakeFetcher(jwks(A, B), clock)
    source = remote(fetcher, clock)
    first = source.get_key("a", "RS256")
    for _ in range(1000):
        assert source.get_key("a", "RS256") is first
        assert source.get_key("b", "ES256").kty == "EC"
        clock.advance(0.5)  # 500 s in total: still within the 600 s max-age
    assert fetcher.calls == 1
    assert sorted(parsed) == ["a", "b"]


def test_refresh_after_max_age_reuses_unchanged_parsed_keys(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, max_age=600)
    key = source.get_key("a", "RS256")
    clock.advance(599)
    source.get_key("a", "RS256")
    assert fetcher.calls == 1
    clock.advance(1)
    assert source.get_key("a", "RS256") is key  # same JWK: same parsed object
    assert fetcher.calls == 2


def test_rotation_new_kid_costs_one_refresh_and_removed_key_stops_being_served(
    clock: FakeClock,
) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock)
    old = source.get_key("a", "RS256")
    clock.advance(30)
    fetcher.doc = jwks(A, B)  # the IdP publishes a new key
    assert source.get_key("b", "ES256").kid == "b"
    assert fetcher.calls == 2
    for _ in range(100):
        source.get_key("b", "ES256")
    assert fetcher.calls == 2
    fetcher.doc = jwks(B)  # the old key is withdrawn
    assert source.is_current(old)  # not refreshed yet
    clock.advance(600)
    assert reason_of(source, "a") is ReasonCode.UNKNOWN_KEY
    assert not source.is_current(old)
    assert fetcher.calls == 3


def test_a_key_replaced_under_the_same_kid_stops_being_current(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock)
    old = source.get_key("a", "RS256")
    fetcher.doc = jwks(public_jwk("RSA", "a", index=1))  # new key material, same kid
    clock.advance(600)
    new = source.get_key("a", "RS256")
    assert new is not old and fetcher.calls == 2
    assert source.is_current(new)
    assert not source.is_current(old)


def test_unknown_kid_flood_fetches_at_most_once_per_cooldown(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, cooldown=10)
    source.get_key("a", "RS256")
    clock.advance(10)  # the initial load counts as a refresh: the cooldown starts there
    start = clock()
    rng = random.Random(7)
    for _ in range(10_000):
        assert reason_of(source, f"{rng.getrandbits(64):x}") is ReasonCode.UNKNOWN_KEY
        clock.advance(0.005)  # 10,000 lookups over 50 s
    refreshes = fetcher.at[1:]
    assert 4 <= len(refreshes) <= 50 / 10 + 1
    assert all(later - earlier >= 10 for earlier, later in itertools.pairwise(fetcher.at))
    assert refreshes[0] == start  # the first unknown kid did refresh at once
    assert source.get_key("a", "RS256").kid == "a"  # known keys unaffected throughout


def test_negative_cache_stops_one_repeated_bogus_kid_from_refreshing_every_cooldown(
    clock: FakeClock,
) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, cooldown=10, negative_ttl=60)
    source.get_key("a", "RS256")
    clock.advance(10)
    assert reason_of(source, "bogus") is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 2  # proven absent by a fresh fetch
    clock.advance(30)  # cooldown over, negative entry still live
    assert reason_of(source, "bogus") is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 2
    assert reason_of(source, "other") is ReasonCode.UNKNOWN_KEY  # a new kid still refreshes
    assert fetcher.calls == 3
    clock.advance(31)  # past the negative TTL of "bogus"
    fetcher.doc = jwks(A, public_jwk("RSA", "bogus", index=1))
    assert source.get_key("bogus", "RS256").kid == "bogus"
    assert fetcher.calls == 4


def test_negative_cache_is_bounded_oldest_first_and_expires(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "NEGATIVE_CACHE_SIZE", 2)
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, cooldown=1, negative_ttl=60)
    source.get_key("a", "RS256")
    for kid in ("x", "y", "z"):  # each proven absent by its own fetch
        clock.advance(1)
        assert reason_of(source, kid) is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 4
    clock.advance(1)
    for kid in ("y", "z"):  # remembered: no fetch
        assert reason_of(source, kid) is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 4
    assert reason_of(source, "x") is ReasonCode.UNKNOWN_KEY  # the oldest was dropped
    assert fetcher.calls == 5
    clock.advance(61)
    assert reason_of(source, "z") is ReasonCode.UNKNOWN_KEY  # expired: fetched again
    assert fetcher.calls == 6
    unremembered = remote(FakeFetcher(jwks(A), clock), clock, cooldown=1, negative_ttl=0)
    unremembered.get_key("a", "RS256")
    clock.advance(1)
    assert reason_of(unremembered, "x") is ReasonCode.UNKNOWN_KEY


def test_kid_unknown_in_a_refreshed_set_is_found_once_the_cooldown_passed(
    clock: FakeClock,
) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, cooldown=10)
    source.get_key("a", "RS256")
    fetcher.doc = jwks(A, B)
    clock.advance(5)  # refresh at 1000 was the initial load; cooldown still running
    assert reason_of(source, "b", "ES256") is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 1
    clock.advance(5)
    assert source.get_key("b", "ES256").kid == "b"
    assert fetcher.calls == 2


def test_disallowed_algorithm_and_huge_kids_never_fetch(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock)
    assert reason_of(source, "a", "ES256") is ReasonCode.DISALLOWED_ALGORITHM
    assert reason_of(source, "a", "HS256") is ReasonCode.DISALLOWED_ALGORITHM
    clock.advance(20)
    assert reason_of(source, "k" * 10_000) is ReasonCode.UNKNOWN_KEY
    assert fetcher.calls == 1


def test_sixteen_threads_missing_the_same_kid_cause_exactly_one_fetch(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A, B), clock)
    source = remote(fetcher, clock)
    entered = threading.Semaphore(0)
    all_in = threading.Event()

    def slow_fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
        for _ in range(16):  # hold the one fetch until every thread is inside get_key
            entered.acquire(timeout=5)
        all_in.set()
        time.sleep(0.05)  # a slow IdP: the other threads reach the in-flight fetch meanwhile
        return FakeFetcher.fetch(fetcher, url, timeout=timeout, max_bytes=max_bytes)

    fetcher.fetch = slow_fetch  # type: ignore[method-assign]
    results: list[Any] = []

    def lookup() -> None:
        entered.release()
        try:
            results.append(source.get_key("b", "ES256"))
        except Exception as error:  # collected and asserted below
            results.append(error)

    threads = [threading.Thread(target=lookup) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert all_in.is_set()
    assert fetcher.calls == 1
    assert len(results) == 16 and all(getattr(r, "kid", None) == "b" for r in results)


def test_waiters_give_up_at_the_fetch_deadline(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    fetcher.hold = threading.Event()  # never released: the IdP hangs
    source = remote(fetcher, clock, timeout=0.3)
    outcomes: list[tuple[float, ReasonCode]] = []

    def lookup() -> None:
        started = time.monotonic()
        with pytest.raises(InfrastructureError) as raised:
            source.get_key("a", "RS256")
        outcomes.append((time.monotonic() - started, raised.value.reason))

    threads = [threading.Thread(target=lookup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert fetcher.calls == 1
    assert [reason for _, reason in outcomes] == [ReasonCode.KEY_UNAVAILABLE] * 4
    assert max(elapsed for elapsed, _ in outcomes) < 0.3 + 0.25


def test_stale_keys_serve_during_an_outage_then_fail_closed(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, max_age=600, stale_if_error=3600, backoff_cap=30)
    key = source.get_key("a", "RS256")
    fetcher.error = FetchError("idp down")
    clock.advance(600)  # expired: one refresh attempt, it fails, the stale key is served
    assert source.get_key("a", "RS256") is key
    assert fetcher.calls == 2
    while clock() < 1000 + 600 + 3600 - 1:  # the whole stale window
        assert source.get_key("a", "RS256") is key
        clock.advance(7)
    attempts = fetcher.calls
    assert 3600 / 30 <= attempts <= 3600 / 15 + 2  # retried with backoff, not per request
    clock.advance(2)  # past the stale window
    assert reason_of(source, "a") is ReasonCode.KEY_UNAVAILABLE
    assert not source.is_current(key)
    fetcher.error = None  # the IdP recovers: served again after the backoff
    clock.advance(30)
    assert source.get_key("a", "RS256") is key


def test_invalid_document_counts_as_a_failure_and_keeps_the_last_good_keys(
    clock: FakeClock,
) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock)
    key = source.get_key("a", "RS256")
    fetcher.doc = {"error": "maintenance"}
    clock.advance(600)
    assert source.get_key("a", "RS256") is key
    assert fetcher.calls == 2


@pytest.mark.parametrize(("rand", "delays"), [(1.0, [1, 2, 4, 8, 16, 30, 30])])
def test_backoff_doubles_up_to_the_cap(clock: FakeClock, rand: float, delays: list[int]) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    fetcher.error = FetchError("down")
    source = remote(fetcher, clock, backoff_base=1, backoff_cap=30, random=lambda: rand)
    while len(fetcher.at) < len(delays) + 1:
        assert reason_of(source, "a") is ReasonCode.KEY_UNAVAILABLE
        clock.advance(0.25)
    gaps = [later - earlier for earlier, later in itertools.pairwise(fetcher.at)]
    assert gaps == pytest.approx(delays, abs=0.25)


def test_backoff_jitter_comes_from_the_injected_random(clock: FakeClock) -> None:
    schedules = []
    for rand in (0.0, 0.5):
        fetcher = FakeFetcher(jwks(A), clock)
        fetcher.error = FetchError("down")
        source = remote(fetcher, clock, random=lambda rand=rand: rand, backoff_cap=8)
        start = clock()
        while len(fetcher.at) < 5:
            reason_of(source, "a")
            clock.advance(0.125)
        schedules.append([t - start for t in fetcher.at])
    assert schedules[0] == pytest.approx([0, 0.5, 1.5, 3.5, 7.5], abs=0.125)
    assert schedules[1] == pytest.approx([0, 0.75, 2.25, 5.25, 11.25], abs=0.125)


def test_no_keys_and_failing_fetch_is_key_unavailable_without_refetching_in_backoff(
    clock: FakeClock,
) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    fetcher.error = OSError("network unreachable")  # any error fails closed
    source = remote(fetcher, clock)
    for _ in range(50):
        assert reason_of(source, "a") is ReasonCode.KEY_UNAVAILABLE
    assert fetcher.calls == 1


def test_snapshot_seeds_keys_with_no_network_until_max_age(
    clock: FakeClock, tmp_path: Path
) -> None:
    snapshot = tmp_path / "jwks.json"
    snapshot.write_text(json.dumps(jwks(A, B)))
    fetcher = FakeFetcher(jwks(A, C), clock)
    source = remote(fetcher, clock, snapshot_file=snapshot)
    assert source.get_key("b", "ES256").kid == "b"
    assert source.get_key("a", "RS256").kid == "a"
    assert fetcher.calls == 0
    clock.advance(600)  # the snapshot expires like any fetched set and is replaced
    assert source.get_key("c", "EdDSA").kid == "c"
    assert fetcher.calls == 1
    clock.advance(60)
    assert reason_of(source, "b", "ES256") is ReasonCode.UNKNOWN_KEY


def test_snapshot_serves_when_the_idp_is_down_at_cold_start(
    clock: FakeClock, tmp_path: Path
) -> None:
    snapshot = tmp_path / "jwks.json"
    snapshot.write_text(json.dumps(jwks(A)))
    fetcher = FakeFetcher(jwks(A), clock)
    fetcher.error = FetchError("down")
    source = remote(fetcher, clock, snapshot_file=snapshot, prefetch=True)
    assert fetcher.calls == 1  # prefetch tried the network, the snapshot covers the failure
    assert source.get_key("a", "RS256").kid == "a"


@pytest.mark.parametrize("content", ["{}", "not json", '{"keys": "x"}'])
def test_broken_snapshot_is_a_configuration_error(
    clock: FakeClock, tmp_path: Path, content: str
) -> None:
    snapshot = tmp_path / "jwks.json"
    snapshot.write_text(content)
    with pytest.raises(ConfigurationError):
        remote(FakeFetcher(jwks(A)), clock, snapshot_file=snapshot)
    with pytest.raises(ConfigurationError):
        remote(FakeFetcher(jwks(A)), clock, snapshot_file=tmp_path / "missing.json")


def test_prefetch_flag_fetches_at_init_and_swallows_failure(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    source = remote(fetcher, clock, prefetch=True)
    assert fetcher.calls == 1
    source.prefetch()  # within the cooldown: nothing to do
    assert fetcher.calls == 1
    source.get_key("a", "RS256")
    assert fetcher.calls == 1

    failing = FakeFetcher(jwks(A), clock)
    failing.error = FetchError("down")
    cold = remote(failing, clock, prefetch=True)  # does not raise at init
    assert failing.calls == 1
    clock.advance(60)
    with pytest.raises(InfrastructureError) as raised:
        cold.prefetch()  # the explicit call reports it
    assert raised.value.reason is ReasonCode.KEY_UNAVAILABLE
    failing.error = None
    clock.advance(60)
    cold.prefetch()
    assert cold.get_key("a", "RS256").kid == "a"


def test_one_cache_per_url_and_settings_shared_across_sources(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    first, second = remote(fetcher, clock), remote(fetcher, clock)
    assert first.cache is second.cache
    first.get_key("a", "RS256")
    second.get_key("a", "RS256")
    assert fetcher.calls == 1
    assert remote(fetcher, clock, max_age=60).cache is not first.cache
    assert remote(FakeFetcher(jwks(A)), clock).cache is not first.cache
    other_url = RemoteJwks(URL + "?v=2", fetcher=fetcher, monotonic=clock)
    assert other_url.cache is not first.cache


@pytest.mark.parametrize(
    ("url", "settings"),
    [
        ("http://idp.test/jwks", {}),
        ("http://127.0.0.1:9/jwks", {}),  # loopback http only when allowed
        ("ftp://idp.test/jwks", {}),
        ("https://user:pw@idp.test/jwks", {}),
        ("https://idp.test/jwks", {"cooldown": 31}),
        ("https://idp.test/jwks", {"timeout": 0}),
        ("https://idp.test/jwks", {"max_age": 0}),
        ("https://idp.test/jwks", {"stale_if_error": -1}),
    ],
)
def test_unsafe_configuration_is_refused(url: str, settings: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        RemoteJwks(url, fetcher=FakeFetcher(jwks(A)), **settings)


def test_exceptions_name_no_key_material(clock: FakeClock) -> None:
    fetcher = FakeFetcher(jwks(A), clock)
    fetcher.error = FetchError("down")
    source = remote(fetcher, clock)
    with pytest.raises(InfrastructureError) as raised:
        source.get_key("a", "RS256")
    assert A["n"][:16] not in str(raised.value)
    assert "idp.test" in str(raised.value)
