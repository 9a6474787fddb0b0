"""Revocation and introspection: what they add per request once their caches are warm, and
how often they reach the store or the provider.

Per-request cost (µs of CPU per call, interleaved rounds, medians; each ratio against the
baseline measured in the same rounds):

- baseline: ``JwtValidator.verify`` of a repeated token (its verified-token cache hit);
- the same validator carrying a ``RevocationCheck`` whose answers are cached (goal: the
  difference to the baseline is at most 2 µs);
- ``IntrospectionValidator.introspect`` of a repeated token (its cache hit).

Traffic (a fake clock advances between calls, nothing sleeps): introspection requests and
revocation-store reads while 10,000 authorizations use 100 distinct tokens over ten minutes
(goal: one per token per TTL).

    python benchmarks/revocation.py            # full run
    python benchmarks/revocation.py --quick    # smoke run
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    TIMES,
    Case,
    Section,
    common_arguments,
    interleaved,
    markdown_table,
    print_section,
    ratios,
)

from authorizers.clock import FakeClock, monotonic_clock, system_clock
from authorizers.jwks.sources import StaticJwks
from authorizers.revocation.base import Revocation
from authorizers.revocation.check import MEMO_SIZE, RevocationCheck
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.client_auth import ClientSecretBasic
from authorizers.validators.introspection import IntrospectionValidator
from authorizers.validators.jwt import IssuerConfig, JwtValidator

AUDIENCE = "https://api.example.test"
ISSUER = "https://idp.example.test"
GOAL_MICROS = 2.0
BASELINE = "baseline: JwtValidator.verify, repeated token"


class CountingStore:
    """An in-memory revocation store that counts its reads (nothing is revoked)."""

    name = "counting"

    def __init__(self) -> None:
        self.reads = 0

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]:
        self.reads += 1
        return {}


class CountingProvider:
    """Answers every introspection "active" (exp in an hour of the fake clock); counts them."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests = 0

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        doc = {"issuer": ISSUER, "introspection_endpoint": f"{ISSUER}/introspect"}
        return json.dumps(doc).encode()

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float, max_bytes: int
    ) -> bytes:
        self.requests += 1
        now = int(self.clock())
        answer = {"active": True, "iss": ISSUER, "sub": "alice", "aud": AUDIENCE}
        return json.dumps(answer | {"iat": now, "exp": now + 3600, "scope": "read"}).encode()


def _jwt(issuer: TestIssuer, check: RevocationCheck | None, clock: Any) -> JwtValidator:
    config = IssuerConfig(
        issuer.issuer,
        keys=StaticJwks(issuer.jwks),
        audience=AUDIENCE,
        checks=[check] if check is not None else [],
    )
    return JwtValidator([config], clock=clock)


def _introspection(
    clock: Any, provider: CountingProvider, monotonic: Any = None
) -> IntrospectionValidator:
    return IntrospectionValidator(
        ISSUER,
        client=ClientSecretBasic("api", "benchmark-secret"),
        audience=AUDIENCE,
        fetcher=provider,
        clock=clock,
        monotonic=monotonic or clock,
        cache_ttl=60,
        misses_per_second=None,
    )


def per_request(*, per_round: int, rounds: int) -> tuple[str, list[str]]:
    # the real clocks, as deployed: time.time and time.monotonic cost what they cost
    clock: Any = system_clock
    issuer = TestIssuer(audience=AUDIENCE)
    # Distinct tokens within reach of the memo and of the validators' token caches (both keep
    # MEMO_SIZE, the default cache size), sent round-robin: cycling more tokens than an LRU
    # holds would miss on every one.
    distinct = [
        issuer.mint({"origin_jti": f"sign-in-{n}"}) for n in range(min(per_round, MEMO_SIZE))
    ]
    tokens = [distinct[n % len(distinct)] for n in range(per_round)]
    plain = _jwt(issuer, None, clock)
    check = RevocationCheck(CountingStore(), ttl=3600)
    revocable = _jwt(issuer, check, clock)
    introspection = _introspection(clock, CountingProvider(FakeClock(time.time())), monotonic_clock)
    opaque = [f"opaque-{n:04d}-" + "x" * 40 for n in range(per_round)]
    for token in tokens:  # a token is cached at its second verification
        revocable.verify(token)
        plain.verify(token)
    claims = [revocable.verify(token).claims for token in tokens]  # warms both caches
    # The check alone gets its own memo: sharing one with the validator's check above, the
    # two cases would evict each other's verdicts.
    lone_check = RevocationCheck(check.store, ttl=3600)
    for item in claims:
        lone_check({}, item)
    for token in tokens:
        plain.verify(token)
    for token in opaque:
        introspection.introspect(token)
    rows = interleaved(
        [
            Case(
                "baseline: JwtValidator.verify, repeated token",
                BASELINE,
                plain.verify,
                lambda _: tokens,
            ),
            Case(
                "+ RevocationCheck (cached answers)", BASELINE, revocable.verify, lambda _: tokens
            ),
            Case(
                "RevocationCheck alone (cached answers)",
                BASELINE,
                lambda c: lone_check({}, c),
                lambda _: claims,
            ),
            Case(
                "IntrospectionValidator.introspect, repeated token",
                BASELINE,
                introspection.introspect,
                lambda _: opaque,
            ),
        ],
        rounds,
    )
    of = ratios(rows)
    by_name = {row.name: row for row in rows}
    base = by_name[BASELINE].median
    added = by_name["+ RevocationCheck (cached answers)"].median - base
    alone = by_name["RevocationCheck alone (cached answers)"].median
    verdict = "met" if max(added, alone) <= GOAL_MICROS else "**missed**"
    table = markdown_table(
        ["case", "median µs", f"{TIMES} baseline"],
        [[row.name, f"{row.median:.2f}", f"{of[row.name]:.2f}"] for row in rows],
    )
    body = (
        f"{per_round} calls per round ({len(distinct)} distinct tokens, round-robin), {rounds} "
        "interleaved rounds, caches warm (µs of CPU per call). Tokens carry `jti`, "
        "`origin_jti` and `sub`, three keys for the check; a validator's cache hit hands it "
        "the claims object it answered before, so both check rows take its remembered "
        f"verdict, without a key lookup.\n\n{table}\n\nRevocation check on a cache hit: "
        f"+{added:.2f} µs over the baseline, {alone:.2f} µs alone "
        f"(goal ≤ {GOAL_MICROS:g} µs: {verdict})."
    )
    highlight = f"revocation check, cache hit: +{added:.2f} µs per request ({verdict})"
    return body, [highlight]


def traffic(*, requests: int, tokens: int = 100, seconds: float = 600.0) -> tuple[str, list[str]]:
    clock = FakeClock()
    provider = CountingProvider(clock)
    introspection = _introspection(clock, provider)
    issuer = TestIssuer(audience=AUDIENCE, clock=clock)
    store = CountingStore()
    revocable = _jwt(issuer, RevocationCheck(store, ttl=10, monotonic=clock), clock)
    jwts = [issuer.mint({"origin_jti": f"s-{n}"}, expires_in=7200) for n in range(tokens)]
    opaque = [f"opaque-{n}" for n in range(tokens)]
    step = seconds / requests
    for index in range(requests):
        introspection.introspect(opaque[index % tokens])
        revocable.verify(jwts[index % tokens])
        clock.advance(step)
    intro_limit = tokens * math.ceil(seconds / 60)
    store_limit = tokens * math.ceil(seconds / 10)
    rows = [
        [
            "introspection requests (cache_ttl 60 s)",
            f"{provider.requests:,}",
            f"{intro_limit:,}",
            "ok" if provider.requests <= intro_limit else "**over**",
        ],
        [
            "revocation store reads (cache_ttl 10 s, 3 keys per token, one batch)",
            f"{store.reads:,}",
            f"{store_limit:,}",
            "ok" if store.reads <= store_limit else "**over**",
        ],
    ]
    body = (
        f"{requests:,} authorizations over {seconds:g} s of a fake clock, {tokens} distinct "
        "tokens repeated round-robin.\n\n"
        + markdown_table(["what", "calls", "one per token per TTL", "within"], rows)
    )
    per_10k = provider.requests * 10_000 / requests
    return body, [
        f"introspection: {per_10k:,.0f} requests per 10,000 authorizations "
        f"({tokens} tokens, {seconds:g} s, TTL 60 s)"
    ]


def run(*, quick: bool = False) -> Section:
    cost, cost_lines = per_request(per_round=20 if quick else 500, rounds=2 if quick else 9)
    counts, count_lines = traffic(requests=200 if quick else 10_000)
    body = f"### Per request, caches warm\n\n{cost}\n\n### Store and provider traffic\n\n{counts}"
    return Section("Revocation and introspection", body, highlights=cost_lines + count_lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = common_arguments("Revocation check and introspection costs").parse_args(argv)
    print_section(run(quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
