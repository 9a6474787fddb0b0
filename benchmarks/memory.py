"""Memory: peak RSS (``VmHWM``) of a fresh interpreter that imports the handler, makes the
first authorization (JWKS fetched from 127.0.0.1) and then 20,000 more: 10,000 distinct
tokens, each sent twice in a row, their method ARNs drawn from the realistic routes, ours
(default configuration) against the naive stack (the functions of :mod:`cold_start`).

Every authorization verifies a signature, and the second sighting of each token is what our
verified-token cache admits (a token is cached at its second verification), so the cache is
full and evicting: its worst case. The two sightings are adjacent because the hashes of
tokens seen once are bounded (``SEEN_PER_ENTRY`` per cache entry): a token coming back
10,000 authorizations later would have been forgotten and never cached.

    python benchmarks/memory.py            # 20,000 authorizations, 3 runs per stack
    python benchmarks/memory.py --quick    # smoke run
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import TIMES, Budget, Section, common_arguments, markdown_table, print_section
from cold_start import REQUESTS_STACK, Place, fixture, probe

STACKS = ("ours", REQUESTS_STACK, "naive", "naive without requests", "ours, token cache of 1024")
#: The goals (ratios of peak RSS to the naive stack's, one run).
GOAL_FIRST = 0.75
GOAL_AFTER = 0.8
#: A smoke run: a few authorizations, the two stacks the budget compares.
QUICK: dict[str, Any] = {
    "authorizations": 100,
    "distinct": 20,
    "runs": 1,
    "stacks": ("ours", "naive"),
}


def run(
    *,
    authorizations: int = 20_000,
    distinct: int = 10_000,
    runs: int = 3,
    stacks: Sequence[str] = STACKS,
) -> Section:
    place = Place("here", sys.executable)
    found: dict[str, list[dict[str, float]]] = {stack: [] for stack in stacks}
    with fixture() as fix, tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        tokens_file = Path(tmp, "tokens.txt")
        tokens = [fix.issuer.mint() for _ in range(distinct)]
        tokens_file.write_text("".join(f"{token}\n{token}\n" for token in tokens))
        extra = {"BENCH_REPEAT": str(authorizations), "BENCH_TOKENS_FILE": str(tokens_file)}
        for _ in range(runs):
            for stack, results in found.items():
                results.append(probe(fix, place, stack, **extra))

    def mib(stack: str, key: str) -> float:
        return float(statistics.median(r[key] for r in found[stack])) / 1024

    rows = [
        [
            stack,
            f"{mib(stack, 'first_rss_kib'):.1f}",
            f"{mib(stack, 'rss_kib'):.1f}",
            f"{mib(stack, 'rss_kib') / mib('naive', 'rss_kib'):.2f}",
        ]
        for stack in stacks
    ]
    body = (
        f"Peak RSS in MiB, medians of {runs} fresh interpreters per stack (Python "
        f"{sys.version_info[0]}.{sys.version_info[1]}); {authorizations:,} authorizations after "
        f"the first one, cycling over {distinct:,} distinct RS256 tokens each sent twice in a "
        "row, method ARNs drawn from the 64 realistic routes.\n\n"
        + markdown_table(
            ["stack", "after the 1st", f"after {authorizations:,}", f"{TIMES} naive"], rows
        )
    )
    rows.append(
        [
            f"(ours {TIMES} naive)",
            f"{mib('ours', 'first_rss_kib') / mib('naive', 'first_rss_kib'):.2f}",
            f"{mib('ours', 'rss_kib') / mib('naive', 'rss_kib'):.2f}",
            "",
        ]
    )
    body = (
        body.rsplit("\n\n", 1)[0]
        + "\n\n"
        + markdown_table(
            ["stack", "after the 1st", f"after {authorizations:,}", f"{TIMES} naive"], rows
        )
    )
    budgets = [
        Budget(
            "peak RSS after the 1st authorization, default config",
            GOAL_FIRST,
            mib("ours", "first_rss_kib") / mib("naive", "first_rss_kib"),
        ),
        Budget(
            f"peak RSS after {distinct:,} distinct tokens, default config",
            GOAL_AFTER,
            mib("ours", "rss_kib") / mib("naive", "rss_kib"),
        ),
    ]
    return Section("Memory", body, budgets)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("Peak RSS of ours vs the naive stack")
    parser.add_argument("--runs", type=int, default=3, help="fresh interpreters per stack")
    args = parser.parse_args(argv)
    print_section(run(**QUICK) if args.quick else run(runs=args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
