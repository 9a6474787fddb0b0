"""Sixteen threads verifying tokens through the handler while the keys refresh.

A Lambda execution environment runs one request at a time, but the same validator serves
threads in a container, a custom runtime or a local gateway, and the JWKS cache and the
verified-token cache are shared. Whatever the interleaving: exactly one fetch per refresh,
every thread gets the answer a single thread gets, and no thread hangs.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from authorizers.clock import FakeClock
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.events import token_event
from authorizers.testing.issuer import BrokenToken, TestIssuer
from authorizers.testing.jwks_server import DISCOVERY_PATH, JWKS_PATH, Fault
from authorizers.validators.jwt import JwtValidator

from . import keys
from .keys import NOW
from .runner import call_handler
from .served import WATCHDOG, jwt_validator, oidc_validator, server

THREADS = 16
ROUNDS = 4


def outcome(validator: Any, token: str) -> str:
    """``allow`` or the reason code, as the handler decided it."""
    decision = call_handler(validator, token_event("GET /pets/1", f"Bearer {token}")).decision
    return decision.outcome.value if decision.reason is None else decision.reason.value


def storm(validator: Any, tokens: dict[str, str]) -> list[dict[str, str]]:
    """Every thread runs every token ``ROUNDS`` times, each thread in its own order; returns
    each thread's verdicts (a verdict that changed between rounds is recorded as such)."""
    barrier = threading.Barrier(THREADS)
    verdicts: list[dict[str, str]] = [{} for _ in range(THREADS)]
    names = sorted(tokens)

    def work(index: int) -> None:
        order = names[index % len(names) :] + names[: index % len(names)]
        barrier.wait()
        for _ in range(ROUNDS):
            for name in order:
                got = outcome(validator, tokens[name])
                seen = verdicts[index].setdefault(name, got)
                if seen != got:
                    verdicts[index][name] = f"{seen} then {got}"

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WATCHDOG)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return verdicts


def test_sixteen_threads_during_a_refresh_see_one_fetch_and_the_same_answers(
    idp: TestIssuer,
) -> None:
    clock = FakeClock()
    validator = jwt_validator(idp, clock)
    old = idp.mint()
    assert outcome(validator, old) == "allow"
    idp.rotate()  # a new signing key, the old one still published
    clock.advance(601)  # the held keys are due for a refresh
    server(idp).inject(Fault.delay(0.3), times=1)  # slow enough for every thread to overlap
    tokens = {
        "old key": old,
        "new key": idp.mint(),
        "expired": idp.mint_broken(BrokenToken.EXPIRED),
        "foreign key": idp.mint_broken(BrokenToken.FOREIGN_KEY),
        "alg none": idp.mint_broken(BrokenToken.ALG_NONE),
        "unknown kid": idp.mint(headers={"kid": "attacker-1"}),
    }
    verdicts = storm(validator, tokens)
    assert server(idp).fetch_count() == 2  # the first fetch, and exactly one refresh
    expected = {
        "old key": "allow",
        "new key": "allow",
        "expired": "expired",
        "foreign key": "bad_signature",
        "alg none": "disallowed_algorithm",
        "unknown kid": "unknown_key",
    }
    assert all(verdict == expected for verdict in verdicts), Counter(map(str, verdicts))
    single = {name: outcome(validator, token) for name, token in tokens.items()}
    assert single == expected  # afterwards, one thread alone gets the same answers
    assert server(idp).fetch_count() == 2


def test_sixteen_threads_on_a_cold_start_discover_and_fetch_once(idp: TestIssuer) -> None:
    for path in (DISCOVERY_PATH, JWKS_PATH):
        server(idp).inject(Fault.delay(0.2), path=path, times=1)
    validator = oidc_validator(idp, FakeClock())
    verdicts = storm(validator, {"valid": idp.mint()})
    assert verdicts == [{"valid": "allow"}] * THREADS
    assert server(idp).fetch_count(DISCOVERY_PATH) == 1
    assert server(idp).fetch_count(JWKS_PATH) == 1


def test_the_verified_token_cache_stays_consistent_under_churn(idp: TestIssuer) -> None:
    """A cache of 4 entries and 24 tokens: constant eviction while threads read and write."""
    validator = JwtValidator(
        issuer=idp.issuer,
        keys=StaticJwks(idp.jwks),
        audience=keys.AUDIENCE,
        clock=FakeClock(NOW),
        cache_size=4,
    )
    tokens = {f"user-{n}": idp.mint(subject=f"user-{n}") for n in range(24)}
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(ROUNDS):
            for name, token in tokens.items():
                got = validator.verify(token).principal_id
                with lock:
                    seen.append((name, got))

    threads = [threading.Thread(target=work, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WATCHDOG)
    assert not any(thread.is_alive() for thread in threads)
    assert len(seen) == THREADS * ROUNDS * len(tokens)
    assert all(name == got for name, got in seen)  # never another token's identity
