"""JWKS traffic: how many requests the identity provider sees, counted by a JwksServer on
127.0.0.1, while the authorizer handles 10,000 requests. Time is a fake monotonic clock that
advances between requests, so hours pass in a second and nothing sleeps.

Scenarios (ours: ``Authorizer.handler`` over a ``RemoteJwks`` with the default cache
settings; the verified-token cache is off, so every request looks its key up):

- a known kid, 10,000 requests in 100 s, then in 1 hour: one fetch, then one per max-age;
- a flood of tokens with invented kids: at most one fetch per cooldown;
- an outage after the keys were fetched: stale keys keep serving, retries back off;
- an outage from the start: every request fails closed (500), retries back off.

    python benchmarks/jwks_traffic.py            # 10,000 requests per scenario
    python benchmarks/jwks_traffic.py --quick    # smoke run
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, common_arguments, markdown_table, print_section

from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.jwks.cache import CacheSettings
from authorizers.jwks.sources import RemoteJwks
from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer, encode_jws
from authorizers.testing.jwks_server import Fault, JwksServer
from authorizers.validators.jwt import JwtValidator

AUDIENCE = "https://api.example.test"
ROUTE = "GET /pets/1"
DEFAULTS = CacheSettings()


@dataclass(frozen=True)
class Result:
    scenario: str
    requests: int
    seconds: float
    fetches: int
    limit: int  # what the cache policy allows at most
    outcomes: Counter[str]

    def row(self) -> list[str]:
        outcomes = ", ".join(f"{name} {count:,}" for name, count in sorted(self.outcomes.items()))
        verdict = "ok" if self.fetches <= self.limit else "**over**"
        return [
            self.scenario,
            f"{self.requests:,} in {self.seconds:,.0f} s",
            str(self.fetches),
            f"≤ {self.limit}",
            verdict,
            outcomes,
        ]


def _outcome(handler: Callable[[dict[str, Any]], Any], event: dict[str, Any]) -> str:
    try:
        response = handler(event)
    except Exception as error:  # the handler's contract: 401 and 500 are raised
        return "401" if str(error) == "Unauthorized" else "500"
    return "allow" if response["policyDocument"]["Statement"][0]["Effect"] == "Allow" else "deny"


@contextlib.contextmanager
def _authorizer(server: JwksServer, issuer: TestIssuer) -> Iterator[tuple[Any, FakeClock]]:
    clock = FakeClock(0.0)
    keys = RemoteJwks(server.jwks_url, allow_http_loopback=True, monotonic=clock)
    validator = JwtValidator(issuer=issuer.issuer, keys=keys, audience=AUDIENCE, cache_size=0)
    authorizer = Authorizer(validator, observability=None)
    yield (lambda event: authorizer.handler(event, None)), clock


def _run(
    scenario: str,
    events: Sequence[dict[str, Any]],
    *,
    requests: int,
    seconds: float,
    limit: int,
    issuer: TestIssuer,
    fault_after_first: Fault | None = None,
    fault_from_start: Fault | None = None,
) -> Result:
    with JwksServer(issuer.jwks) as server, _authorizer(server, issuer) as (handle, clock):
        if fault_from_start is not None:
            server.inject(fault_from_start)
        outcomes: Counter[str] = Counter()
        step = seconds / requests
        for index in range(requests):
            outcomes[_outcome(handle, events[index % len(events)])] += 1
            if index == 0 and fault_after_first is not None:
                server.inject(fault_after_first)
                clock.advance(DEFAULTS.max_age)  # the outage starts as the keys expire
            clock.advance(step)
        return Result(scenario, requests, seconds, server.fetch_count(), limit, outcomes)


def _backoff_limit(seconds: float) -> int:
    """The most fetches backoff allows in ``seconds`` from a first failed one: after failure
    n the next try waits ``min(cap, base * 2**(n-1))`` times a jitter of at least 0.5."""
    fetches, elapsed = 1, 0.0
    while True:
        elapsed += 0.5 * min(DEFAULTS.backoff_cap, DEFAULTS.backoff_base * 2 ** (fetches - 1))
        if elapsed > seconds:
            return fetches
        fetches += 1


def run(*, requests: int = 10_000) -> Section:
    logging.getLogger("authorizers.jwks").setLevel(logging.ERROR)  # the outages warn per fetch
    issuer = TestIssuer(audience=AUDIENCE)
    known = [token_event(ROUTE, f"Bearer {issuer.mint()}") for _ in range(min(requests, 50))]
    claims = issuer.claims()
    flood = [
        token_event(ROUTE, "Bearer " + encode_jws(header, claims, lambda _: b"\0" * 256))
        for header in ({"alg": "RS256", "kid": f"invented-{n}"} for n in range(requests))
    ]
    hour = 3600.0
    results = [
        _run("known kid", known, requests=requests, seconds=100, limit=1, issuer=issuer),
        _run(
            "known kid, over an hour",
            known,
            requests=requests,
            seconds=hour,
            limit=1 + int(hour // DEFAULTS.max_age),
            issuer=issuer,
        ),
        _run(
            "invented kids (flood)",
            flood,
            requests=requests,
            seconds=100,
            limit=1 + int(100 // DEFAULTS.cooldown),
            issuer=issuer,
        ),
        _run(
            "IdP down after the first fetch (HTTP 503)",
            known,
            requests=requests,
            seconds=1000,
            limit=1 + _backoff_limit(1000),
            issuer=issuer,
            fault_after_first=Fault.http_status(503),
        ),
        _run(
            "IdP down from the start (HTTP 503)",
            known,
            requests=requests,
            seconds=1000,
            limit=_backoff_limit(1000),
            issuer=issuer,
            fault_from_start=Fault.http_status(503),
        ),
    ]
    body = (
        "JWKS requests the IdP received (JwksServer's counter) while `Authorizer.handler` "
        "served the requests, on a fake monotonic clock; default cache settings: max-age "
        f"{DEFAULTS.max_age:g} s, unknown-kid cooldown {DEFAULTS.cooldown:g} s, stale use "
        f"{DEFAULTS.stale_if_error:g} s past max-age, backoff {DEFAULTS.backoff_base:g} s "
        f"doubling to {DEFAULTS.backoff_cap:g} s with jitter. In the first outage the keys "
        "expire as the IdP goes down: stale keys keep serving while refreshes back off.\n\n"
        + markdown_table(
            ["scenario", "requests", "fetches", "the policy allows", "within", "outcomes"],
            [result.row() for result in results],
        )
    )
    return Section("JWKS traffic", body)


def main(argv: Sequence[str] | None = None) -> int:
    args = common_arguments("JWKS fetches per 10,000 requests").parse_args(argv)
    print_section(run(requests=200 if args.quick else 10_000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
