"""The policy compiler's costs, as ratios to the raw ``cryptography`` RS256 verify (the floor
every request pays anyway), measured in this process in interleaved rounds.

    python benchmarks/bench_policy.py            # full run (about a minute)
    python benchmarks/bench_policy.py --quick    # smoke run, for tests

Cases:

- compile: build ``AccessRules`` for a 300-route table (the REST/HTTP quota: "Resources per
  API 300", "Routes per API 300") with its route universe, and compute the broadest
  identity's policy (compiled on first use);
- refusal: the worst case of the request path - a refused request with a 1,600-byte method
  ARN (API Gateway's maximum) against 300 routes whose Allow patterns all stay alive along
  the ARN (``GET/r/?*/?*/m<n>/?*/?*/end``), so the linear-time matcher has to track every one
  (a backtracking regex took 19 s on a 466-byte ARN);
- policy bytes of the broadest identity: compacted with a universe, kept to each route
  without one, and one Allow per route (what the project returned before, no Denies).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    TIMES,
    Case,
    Row,
    common_arguments,
    interleaved,
    markdown_table,
    ratio_table,
    raw_verifier,
)

from authorizers.arn import MAX_ARN_BYTES
from authorizers.identity import Identity
from authorizers.request import AuthRequest, RequestKind
from authorizers.requirements import groups_any, scopes_any
from authorizers.responses import policy_response
from authorizers.rules import AccessRules, RouteForbidden, RouteRule, allow_route
from authorizers.rules.universe import RouteUniverse
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.simulator import request_arn

RAW = "raw cryptography RS256 verify"
ROUTES = 300


def wide_table() -> list[RouteRule]:
    """300 routes: 59 resources x 5 routes, 4 greedy file routes, an admin catch-all."""
    table: list[RouteRule] = []
    for n in range(59):
        read, write = scopes_any(f"r{n}:read"), scopes_any(f"r{n}:write")
        table += [
            allow_route("GET", f"/resource{n}", read),
            allow_route("POST", f"/resource{n}", write),
            allow_route("GET", f"/resource{n}/{{id}}", read),
            allow_route("PUT", f"/resource{n}/{{id}}", write),
            allow_route("DELETE", f"/resource{n}/{{id}}", write),
        ]
    table += [allow_route("GET", f"/resource{n}/{{id}}/files/{{proxy+}}") for n in range(4)]
    table.append(allow_route("ANY", "/admin/{proxy+}", groups_any("admins")))
    return table


def universe_of(table: Sequence[RouteRule]) -> RouteUniverse:
    return RouteUniverse.from_route_keys(
        f"{'ANY' if rule.verb == '*' else rule.verb} {rule.path}" for rule in table
    )


def adversarial_table() -> list[RouteRule]:
    """299 routes whose patterns share their head and tail, and a catch-all for admins."""
    table = [allow_route("GET", f"/r/{{a}}/{{b}}/m{n}/{{c}}/{{d}}/end") for n in range(ROUTES - 1)]
    return [*table, allow_route("ANY", "/r/{proxy+}", groups_any("admins"))]


BROADEST = Identity(
    "broad", "bench", scopes=frozenset(f"r{n}:{a}" for n in range(59) for a in ("read", "write"))
)
USER = Identity("user", "bench")


def _request(route: str) -> AuthRequest:
    return AuthRequest(RequestKind.REST_TOKEN, request_arn(route))


def worst_arn_request() -> AuthRequest:
    prefix = len(str(request_arn("GET /r/")))
    segments = (MAX_ARN_BYTES - prefix) // 3
    request = _request("GET /r/" + "/".join(["m1"] * segments))
    assert len(str(request.arn)) <= MAX_ARN_BYTES
    return request


def compile_once(_: object) -> object:
    table = wide_table()
    rules = AccessRules(*table, universe=universe_of(table))
    return rules.grants(BROADEST, _request("GET /resource1"))


def refuse(rules_and_request: tuple[AccessRules, AuthRequest]) -> object:
    rules, request = rules_and_request
    try:
        return rules.grants(USER, request)
    except RouteForbidden as refused:
        return refused.grants


def policy_sizes() -> list[tuple[str, int]]:
    """JSON bytes of the broadest identity's response, three ways."""
    table = wide_table()
    request = _request("GET /resource1")
    exact = AccessRules(*table, universe=universe_of(table)).grants(BROADEST, request)
    kept = AccessRules(*table).grants(BROADEST, request)
    one_each = [rule for rule in table if rule.requirement.unmet(BROADEST, request) is None]
    naive = type(exact)(tuple(_naive_pattern(rule) for rule in one_each))
    return [
        (name, len(json.dumps(policy_response(request, "broad", grants)).encode()))
        for name, grants in (
            ("one Allow per route, no Denies (before)", naive),
            ("no universe: each Allow kept to its route", kept),
            ("complete universe: compacted", exact),
        )
    ]


def _naive_pattern(rule: RouteRule) -> str:
    path = "/".join("*" if s.startswith("{") else s for s in rule.path.split("/"))
    return f"{rule.verb}{path}"


def run(*, rounds: int, repeat: int) -> list[Row]:
    issuer = TestIssuer(alg="RS256")
    tokens = [issuer.mint() for _ in range(repeat)]
    adversarial = AccessRules(*adversarial_table())
    worst = worst_arn_request()
    refuse((adversarial, worst))  # the policy of this identity is compiled once, then kept
    cases = [
        Case(RAW, RAW, raw_verifier(issuer), lambda _: tokens),
        Case("compile 300 routes + broadest policy", RAW, compile_once, lambda _: [None]),
        Case(
            "refusal, 1,600-byte ARN, 300 live patterns",
            RAW,
            refuse,
            lambda _: [(adversarial, worst)] * repeat,
        ),
    ]
    return interleaved(cases, rounds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("policy compiler cost vs raw verify")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args(argv)
    rounds, repeat = (1, 2) if args.quick else (args.rounds, 20)
    print(f"## Policy compiler\n\nPython {sys.version.split()[0]}: {rounds} interleaved rounds\n")
    print(ratio_table(run(rounds=rounds, repeat=repeat), ratio=f"{TIMES} raw verify"))
    print()
    sizes = policy_sizes()
    before = sizes[0][1]
    rows = [[name, size, f"{size / before:.2f}"] for name, size in sizes]
    print(markdown_table(["broadest identity's response", "bytes", f"{TIMES} before"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
