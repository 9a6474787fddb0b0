"""The per-request cost of a DPoP check (RFC 9449), as a ratio to a plain bearer JWT verify
measured in the same process, round after round (``_common.interleaved``).

Every case sees a new request (a new proof: DPoP proofs are single-use); the access token is
new per request, or the same one for a whole round (a client reuses its token for an hour,
so the token cache answers and the proof dominates). The floor is ``JwtValidator.validate``
on a REST REQUEST carrying a new bearer token; events are parsed beforehand.

    python benchmarks/dpop_check.py [--quick]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUDIENCE, TIMES, Case, Section, common_arguments, interleaved, print_section
from _common import ratio_table as table

from authorizers._internal.event_parsing import parse_event
from authorizers.clock import FakeClock
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.dpop import DpopClient
from authorizers.testing.events import request_event
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.dpop_replay import MemoryReplayStore
from authorizers.validators.jwt import JwtValidator

URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets/7"
FLOOR = "bearer: JwtValidator.validate, new RS256 token"


def _requests(headers: Sequence[dict[str, str]]) -> list[Any]:
    return [parse_event(request_event("GET /pets/7", headers=h)) for h in headers]


def run(*, per_round: int = 300, rounds: int = 7) -> Section:
    clock = FakeClock()
    issuer, client = (
        TestIssuer(alg="RS256", audience=AUDIENCE, clock=clock),
        DpopClient(clock=clock),
    )
    keys = StaticJwks(issuer.jwks)

    def tokens() -> JwtValidator:
        return JwtValidator(issuer=issuer.issuer, audience=AUDIENCE, keys=keys, clock=clock)

    bearer, dpop = tokens(), DpopValidator(tokens(), clock=clock, replay=MemoryReplayStore())
    bound = [[issuer.mint({"cnf": client.cnf}) for _ in range(per_round)] for _ in range(rounds)]
    plain = [_requests([{"Authorization": f"Bearer {t}"} for t in batch]) for batch in bound]
    fresh = [_requests([client.headers("GET", URL, t) for t in batch]) for batch in bound]
    reused = [_requests([client.headers("GET", URL, b[0]) for _ in b]) for b in bound]
    rows = interleaved(
        [
            Case(FLOOR, FLOOR, bearer.validate, lambda r: plain[r]),
            Case("DPoP: new token, new ES256 proof", FLOOR, dpop.validate, lambda r: fresh[r]),
            Case("DPoP: same token, new ES256 proof", FLOOR, dpop.validate, lambda r: reused[r]),
        ],
        rounds,
    )
    new, same = (rows[1], rows[2])
    body = "\n\n".join(
        [
            "µs of CPU per request (median of the rounds); the ratio is to the bearer row of "
            "the same round. The DPoP rows include the proof's parse, its ES256 verify, the "
            "htm/htu/iat/ath/jkt checks and the in-memory replay store.",
            table(rows, ratio=f"{TIMES} bearer verify"),
        ]
    )
    highlight = (
        f"DPoP check: {new.median:.0f} µs per request with a new token, {same.median:.0f} µs "
        f"with a reused one (bearer verify: {rows[0].median:.0f} µs)"
    )
    return Section("DPoP check (RFC 9449), per request", body, highlights=[highlight])


def main(argv: Sequence[str] | None = None) -> int:
    args = common_arguments("The per-request cost of a DPoP check").parse_args(argv)
    print_section(run(per_round=5, rounds=2) if args.quick else run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
