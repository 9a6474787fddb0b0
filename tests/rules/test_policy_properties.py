"""Properties of the policy compiler, judged by an evaluator that shares no code with it.

The evaluator below selects routes and evaluates IAM policies the plain way (a segment walk
over every route, a dynamic-programming wildcard match): slow, obviously right, and
independent of ``authorizers.rules``. Random tables with overlapping templates, random
identities, random concrete requests (declared paths and undeclared ones), REST and HTTP
selection, with and without a complete route universe:

- never an over-grant, fresh (the policy answering this request) or cached (the policy of an
  earlier request of the same credential, replayed on this one);
- under-grants (a 403 for a request the rules allow) are the documented inexpressible class
  (IAM has no "except": a Deny needed for a refused route also covers some requests of an
  allowed one). They are counted and printed in the test summary.

Without a universe the API may serve routes the rules do not list; an unlisted route that
takes requests a listed template also matches (a literal sibling of ``{id}``) is the
documented limit of that mode (declare the universe), counted apart and not judged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from helpers import PROPERTY_STATS
from hypothesis import assume, given
from hypothesis import strategies as st

from authorizers.identity import Identity
from authorizers.request import AuthRequest, RequestKind
from authorizers.requirements import scopes_any
from authorizers.responses import policy_response
from authorizers.rules import AccessRules, RouteForbidden, allow_route, deny_route
from authorizers.rules.universe import RouteUniverse
from authorizers.testing.simulator import DEFAULT_API, DEFAULT_HTTP_API, request_arn

SCOPES = ("s1", "s2", "s3")
SEGMENTS = ("pets", "mine", "a", "{}")
VALUES = ("7", "mine", "pets", "a", "x")
VERBS = ("GET", "POST", "ANY")

# -- the independent evaluator ----------------------------------------------------------------


def template_matches(template: str, path: str) -> bool:
    """Does the route template take this concrete path? (Plain segment comparison; one
    trailing slash is ignored - so ``//`` is the root with one, as ``/a//`` is ``/a/`` - and
    an empty segment fills no ``{param}``.)"""
    want = [s for s in template.split("/") if s]
    path = path[:-1] if path.endswith("/") else path
    got = path.split("/")[1:] if path not in ("", "/") else []
    for i, segment in enumerate(want):
        if segment.endswith("+}"):
            return len(got) > i
        if i >= len(got):
            return False
        if segment.startswith("{"):
            if got[i] == "":
                return False
        elif got[i] != segment:
            return False
    return len(got) == len(want)


def kinds(template: str) -> tuple[int, ...]:
    return tuple(
        2 if s.endswith("+}") else 1 if s.startswith("{") else 0 for s in template.split("/") if s
    )


def select(routes: list[tuple[str, str]], verb: str, path: str, api: str) -> int | None:
    """The route index API Gateway sends the request to (None: the authorizer is not called).
    ``api`` "http" ranks a method's greedy route above a full ``ANY`` match (the documented
    order read literally), "http-greedy-last" every full match above any greedy route: the
    documentation allows both readings, so the policy must hold under both."""
    matching = [i for i, (_, t) in enumerate(routes) if template_matches(t, path)]
    if api == "rest":
        if not matching:
            return None
        best = min(kinds(routes[i][1]) for i in matching)
        here = [i for i in matching if kinds(routes[i][1]) == best]
        for wanted in (verb, "ANY"):
            for i in here:
                if routes[i][0] == wanted:
                    return i
        return None
    candidates = [i for i in matching if routes[i][0] in (verb, "ANY")]
    if not candidates:
        return None

    def rank(i: int) -> tuple[int, int, tuple[int, ...]]:
        k, any_verb = kinds(routes[i][1]), int(routes[i][0] == "ANY")
        return (any_verb, 2 in k, k) if api == "http" else (2 in k, any_verb, k)

    return min(candidates, key=rank)


def glob(pattern: str, text: str) -> bool:
    """IAM wildcard match by dynamic programming (no backtracking)."""

    @cache
    def at(p: int, t: int) -> bool:
        if p == len(pattern):
            return t == len(text)
        if pattern[p] == "*":
            return at(p + 1, t) or (t < len(text) and at(p, t + 1))
        if t < len(text) and pattern[p] in ("?", text[t]):
            return at(p + 1, t + 1)
        return False

    return at(0, 0)


def gateway_allows(response: dict[str, Any], arn: str) -> bool:
    """Explicit Deny wins; otherwise an Allow must match."""
    allowed = False
    for statement in response["policyDocument"]["Statement"]:
        if any(glob(pattern, arn) for pattern in statement["Resource"]):
            if statement["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


# -- random tables ----------------------------------------------------------------------------


@st.composite
def templates(draw: st.DrawFn) -> str:
    """Parameters are named by position: API Gateway refuses /{a} beside /{b}."""
    segments = draw(st.lists(st.sampled_from(SEGMENTS), max_size=3))
    named = [f"{{p{i}}}" if s == "{}" else s for i, s in enumerate(segments)]
    if draw(st.integers(0, 3)) == 0:
        named.append("{proxy+}")
    return "/" + "/".join(named)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    table = []
    routes: dict[tuple[str, str], None] = {}
    for _ in range(draw(st.integers(1, 6))):
        verb, template = draw(st.sampled_from(VERBS)), draw(templates())
        scope = draw(st.sampled_from(SCOPES))
        build = deny_route if draw(st.integers(0, 6)) == 0 else allow_route
        table.append(build(verb, template, scopes_any(scope)))
        routes[(verb, template)] = None
    extra = draw(st.lists(st.tuples(st.sampled_from(VERBS), templates()), max_size=3))
    served = list(dict.fromkeys([*routes, *extra]))
    return {
        "rules": table,
        "declared": list(routes),
        "served": served,
        "api": draw(st.sampled_from(["rest", "http", "http-greedy-last"])),
        "complete": draw(st.booleans()),
        "scopes": draw(st.sets(st.sampled_from(SCOPES))),
    }


def concrete(template: str, draw: st.DrawFn) -> str:
    """A path the template takes, sometimes with a trailing slash."""
    parts: list[str] = []
    for segment in (s for s in template.split("/") if s):
        if segment.endswith("+}"):
            parts += draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=3))
        else:
            parts.append(draw(st.sampled_from(VALUES)) if segment.startswith("{") else segment)
    slash = "/" if parts and draw(st.booleans()) else ""
    return "/" + "/".join(parts) + slash


def allowed_routes(rules: list[Any], scopes: set[str]) -> set[tuple[str, str]]:
    """Plainly from the rules: some allow rule met and no deny rule met."""
    met: dict[tuple[str, str], list[bool]] = {}
    identity = Identity("u", "t", scopes=frozenset(scopes))
    anywhere = AuthRequest(RequestKind.REST_TOKEN, request_arn("GET /"))
    for rule in rules:
        verb = "ANY" if rule.verb == "*" else rule.verb
        holds = rule.requirement.unmet(identity, anywhere) is None
        allow, deny = met.setdefault((verb, rule.path), [False, False])
        met[(verb, rule.path)] = [
            allow or (rule.allow and holds),
            deny or (not rule.allow and holds),
        ]
    return {route for route, (allow, deny) in met.items() if allow and not deny}


# -- the property -----------------------------------------------------------------------------


def decided(scenario: dict[str, Any], data: Any) -> list[tuple[AuthRequest, bool, Any]]:
    """Each request the scenario's API routes to the authorizer: (request, may the identity
    call its route, the policy the compiler answers it with)."""
    served, selection, complete = scenario["served"], scenario["api"], scenario["complete"]
    api = selection.partition("-")[0]
    universe = None
    if complete:
        keys = [f"{verb} {template}" for verb, template in served]
        universe = RouteUniverse.from_route_keys(keys, api)
    rules = AccessRules(*scenario["rules"], universe=universe)
    identity = Identity("u", "t", scopes=frozenset(scenario["scopes"]))
    entitled = allowed_routes(scenario["rules"], scenario["scopes"])
    declared = scenario["declared"]
    base = DEFAULT_API if api == "rest" else DEFAULT_HTTP_API

    requests = []
    for verb, template in served * 2:
        method = data.draw(st.sampled_from(["GET", "POST", "PUT"])) if verb == "ANY" else verb
        requests.append((method, concrete(template, data.draw)))
    for _ in range(3):  # undeclared paths as well, with empty segments and trailing slashes
        path = "/" + "/".join(data.draw(st.lists(st.sampled_from((*VALUES, "")), max_size=4)))
        requests.append((data.draw(st.sampled_from(["GET", "POST"])), path))

    routed = []
    for method, path in requests:
        index = select(served, method, path, selection)
        if index is None:
            continue  # API Gateway answers without calling the authorizer
        route = served[index]
        shadowing = any(template_matches(t, path) for _, t in declared)
        if not complete and route not in declared and shadowing:
            count("unlisted route shadowing a listed one (limit without universe)")
            continue
        kind = RequestKind.REST_TOKEN if api == "rest" else RequestKind.HTTP_V2
        key = f"{route[0]} {route[1]}" if api == "http" else None
        request = AuthRequest(kind, request_arn(f"{method} {path}", base), route_key=key)
        try:
            grants = rules.grants(identity, request)
        except RouteForbidden as refused:
            grants = refused.grants
        routed.append((request, route in entitled, policy_response(request, "u", grants)))
    return routed


def count(what: str) -> None:
    stats = PROPERTY_STATS.setdefault("policy compiler", {})
    stats[what] = stats.get(what, 0) + 1


@given(scenario=scenarios(), data=st.data())
def test_policies_never_over_grant_fresh_or_cached(scenario: dict[str, Any], data: Any) -> None:
    mode = "universe" if scenario["complete"] else "no universe"
    routed = decided(scenario, data)
    for request, may, fresh in routed:
        arn = str(request.arn)
        assert may or not gateway_allows(fresh, arn), f"fresh over-grant {arn}: {fresh}"
        if not arn.endswith("/"):  # the same route: every policy answers both alike
            for _, _, policy in routed:
                same = gateway_allows(policy, arn) == gateway_allows(policy, arn + "/")
                assert same, f"{arn} and its trailing slash answered apart: {policy}"
        count(f"checked ({mode})")
        if may and not gateway_allows(fresh, arn):
            count(f"under-grants, fresh ({mode})")
        for _, _, earlier in routed:
            allows = gateway_allows(earlier, arn)
            assert may or not allows, f"cached over-grant {arn}: {earlier}"
            if may and not allows:
                count(f"under-grants, cached ({mode})")


@given(scenario=scenarios(), data=st.data())
def test_an_identity_entitled_to_every_route_is_never_refused(
    scenario: dict[str, Any], data: Any
) -> None:
    """The other side (a compiler that denied everything passes the property above): with a
    complete universe and every served route open to the identity no Deny is needed, so
    every request is allowed, fresh and from the cache."""
    allows = [rule for rule in scenario["rules"] if rule.allow]
    assume(allows)
    served = list(dict.fromkeys(("ANY" if r.verb == "*" else r.verb, r.path) for r in allows))
    scenario |= {"rules": allows, "declared": served, "served": served, "complete": True}
    scenario["scopes"] = set(SCOPES)
    routed = decided(scenario, data)
    for request, may, fresh in routed:
        arn = str(request.arn)
        assert may, f"{arn}: the evaluator says the identity may not call its route"
        assert gateway_allows(fresh, arn), f"fresh under-grant {arn}: {fresh}"
        for _, _, earlier in routed:
            assert gateway_allows(earlier, arn), f"cached under-grant {arn}: {earlier}"
