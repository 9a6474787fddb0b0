"""Regression tests for the breaks of issue 13 ("Exact policies"), each as it was reported.

A policy is judged by what API Gateway does with it: fresh (the response to this request)
and cached (the response to an earlier request of the same credential, replayed on this one).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from authorizers.authorizer import Authorizer
from authorizers.errors import ConfigurationError, Forbidden
from authorizers.identity import Identity
from authorizers.request import AuthRequest, RequestKind
from authorizers.requirements import groups_any
from authorizers.responses import policy_response
from authorizers.rules import AccessRules, RouteForbidden, allow_route
from authorizers.testing.simulator import (
    DEFAULT_HTTP_API,
    GatewayDecision,
    request_arn,
    resource_matches,
    simulate,
)
from authorizers.universe import RouteUniverse

ALLOW = GatewayDecision.ALLOW
USER = Identity("user-1", "test")
G1 = Identity("user-2", "test", groups=frozenset({"g1"}))
ADMIN = Identity("admin-1", "test", groups=frozenset({"admins"}))


def rest(route: str) -> AuthRequest:
    return AuthRequest(RequestKind.REST_TOKEN, request_arn(route))


def http(route: str, route_key: str | None = None) -> AuthRequest:
    kind = RequestKind.HTTP_V2 if route_key else RequestKind.HTTP_V1
    return AuthRequest(kind, request_arn(route, DEFAULT_HTTP_API), route_key=route_key)


def response(rules: Any, identity: Identity, request: AuthRequest) -> dict[str, Any]:
    """The authorizer's response for ``request`` (a 403 still carries the full policy)."""
    try:
        grants = rules.grants(identity, request)
    except RouteForbidden as refused:
        grants = refused.grants
    return policy_response(request, identity.principal_id, grants)


def cached(rules: Any, identity: Identity, first: AuthRequest, then: AuthRequest) -> bool:
    """Is ``then`` allowed by the policy cached from ``first``?"""
    return simulate(response(rules, identity, first), then).decision is ALLOW


# -- break 1: routes the API serves but the rules do not list ------------------------------


def test_a_served_route_no_rule_lists_is_refused_from_the_cache() -> None:
    rules = AccessRules(allow_route("GET", "/pets/{id}"))
    assert cached(rules, USER, rest("GET /pets/1"), rest("GET /pets/1"))
    assert not cached(rules, USER, rest("GET /pets/1"), rest("GET /pets/2/medical-records"))


def test_an_any_route_does_not_reach_other_paths_with_its_segment() -> None:
    rules = AccessRules(allow_route("ANY", "/public/{file}"))
    first = rest("GET /public/a.txt")
    assert cached(rules, USER, first, rest("POST /public/b.txt"))
    for elsewhere in ("GET /admin/public/x", "DELETE /users/1/public/x", "GET /public/a/b"):
        assert not cached(rules, USER, first, rest(elsewhere)), elsewhere


# -- break 2: HTTP API route selection -------------------------------------------------------

TENANTS = (
    allow_route("ANY", "/files/{proxy+}"),
    allow_route("GET", "/{tenant}/admin", groups_any("g1")),
)


def test_http_apis_rank_a_full_match_above_a_greedy_route() -> None:
    rules = AccessRules(*TENANTS)
    # the event names the selected route; without it, HTTP precedence selects the same one
    for request in (http("GET /files/admin", "GET /{tenant}/admin"), http("GET /files/admin")):
        with pytest.raises(Forbidden):
            rules.grants(USER, request)
        assert rules.grants(G1, request).allow
    # cached from an allowed call, the policy still refuses it
    first = http("GET /files/report.pdf", "ANY /files/{proxy+}")
    assert cached(rules, USER, first, first)
    assert not cached(rules, USER, first, http("GET /files/admin", "GET /{tenant}/admin"))


def test_rest_apis_select_through_the_resource_tree() -> None:
    """REST walks literal "files" first: GET /files/admin is the greedy files route."""
    rules = AccessRules(*TENANTS)
    assert rules.grants(USER, rest("GET /files/admin")).allow
    assert cached(rules, USER, rest("GET /files/a"), rest("GET /files/admin"))
    with pytest.raises(Forbidden):
        rules.grants(USER, rest("GET /acme/admin"))
    assert not cached(rules, USER, rest("GET /files/a"), rest("GET /acme/admin"))


# -- break 3: catastrophic backtracking ------------------------------------------------------


def test_a_long_refused_arn_is_decided_in_linear_time() -> None:
    """Was 19 s of CPU in ``rules._sealed`` (a backtracking regex per allowed pattern)."""
    rules = AccessRules(
        allow_route("GET", "/r/{a}/{b}/{c}/{d}/{e}/end"),
        allow_route("ANY", "/r/{proxy+}", groups_any("admins")),
    )
    path = "/r/" + "/".join(["x"] * 225)
    request = rest("GET " + path)
    assert len(str(request.arn)) >= 466
    with pytest.raises(RouteForbidden) as refused:
        rules.grants(USER, request)
    assert simulate(response(rules, USER, request), request).decision is not ALLOW
    assert refused.value.grants.allow


def test_the_simulator_matches_pathological_patterns_in_linear_time() -> None:
    """``*a*a*...*b`` against a 1,563-byte ARN never finished with a regex."""
    arn = str(request_arn("GET /" + "a" * 1500))
    assert len(arn) >= 1563
    pattern = "*a" * 60 + "*b"
    assert not resource_matches(pattern, arn)
    assert resource_matches(pattern[:-1] + "*", arn)
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [pattern]}
    policy = {
        "principalId": "u",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }
    assert simulate(policy, arn).decision is GatewayDecision.IMPLICIT_DENY


# -- break 4: broad identities and the response size ---------------------------------------


def _broad_table(count: int) -> list[Any]:
    return [allow_route("GET", f"/resource-number-{n}/{{id}}/details") for n in range(count)]


def test_a_broad_rest_identity_gets_a_policy_not_a_500() -> None:
    """~150 allowed routes used to exceed the project's own 8 KB and fail every call."""
    rules = AccessRules(*_broad_table(150))
    authorizer = Authorizer(_Accept(), rules=rules, observability=None)
    event = {
        "type": "TOKEN",
        "authorizationToken": "t",
        "methodArn": str(request_arn("GET /resource-number-3/7/details")),
    }
    answer = authorizer.handler(event)
    assert len(json.dumps(answer).encode()) > 8 * 1024  # REST accepts it (no 8 KB quota)
    assert simulate(answer, rest("GET /resource-number-149/1/details")).decision is ALLOW


def test_a_websocket_table_that_cannot_fit_8_kb_is_refused_at_build_time() -> None:
    rules = AccessRules(*(allow_route("*", f"$action_{'x' * 40}_{n}") for n in range(120)))
    with pytest.raises(ConfigurationError) as refused:
        Authorizer(_Accept(), rules=rules, observability=None)
    message = str(refused.value)
    for fix in ("universe", "per-route", "TTL"):
        assert fix in message


# -- break 6: avoidable false 403s -------------------------------------------------------------


def test_a_narrow_deny_keeps_the_files_route_of_non_admins() -> None:
    rules = AccessRules(
        allow_route("ANY", "/{proxy+}", groups_any("admins")),
        allow_route("GET", "/users/{id}/files/{proxy+}"),
    )
    first = rest("GET /users/7/files/a.txt")
    for then in ("GET /users/7/files/a.txt", "GET /users/8/files/dir/b.txt"):
        assert cached(rules, USER, first, rest(then)), then
    for then in ("GET /users/7/x/files/a.txt", "GET /admin", "POST /users/7/files/a"):
        assert not cached(rules, USER, first, rest(then)), then
    assert cached(rules, ADMIN, first, rest("DELETE /anything/at/all"))


def test_the_root_is_not_taken_by_a_greedy_route() -> None:
    """``{proxy+}`` needs one character at least: its Deny must not cover ``GET /``."""
    rules = AccessRules(
        allow_route("GET", "/"),
        allow_route("GET", "/{proxy+}", groups_any("g1")),
        allow_route("ANY", "/{proxy+}"),  # other verbs: for everyone
    )
    for first in ("GET /", "POST /x"):
        assert cached(rules, USER, rest(first), rest("GET /")), first
        assert cached(rules, USER, rest(first), rest("DELETE /a/b")), first
        assert not cached(rules, USER, rest(first), rest("GET /x")), first
    assert cached(rules, G1, rest("GET /"), rest("GET /x/y"))


def test_a_trailing_slash_on_an_allowed_route_is_not_denied() -> None:
    """Found by Hypothesis: ``GET /pets/pets/`` reaches ``GET /pets/{id}`` (API Gateway
    ignores one trailing slash), yet the excess Deny ``GET/pets/*/*`` matched its ARN."""
    rules = AccessRules(allow_route("GET", "/pets/{id}"), allow_route("GET", "/x/{a}/y/{b}"))
    for first in ("GET /pets/pets/", "GET /pets/1", "GET /x/1/y/2/"):
        for then in ("GET /pets/pets/", "GET /pets/1", "GET /x/1/y/2", "GET /x/1/y/2/"):
            assert cached(rules, USER, rest(first), rest(then)), (first, then)
        refused = ("GET /pets/1/y", "GET /pets//", "GET /x/1/y/", "GET /pets/a/b/", "GET /x//y/2")
        for then in refused:
            assert not cached(rules, USER, rest(first), rest(then)), (first, then)


def test_a_trailing_slash_reaches_neither_more_nor_less_than_the_route() -> None:
    """``POST /pets/`` is ``POST /pets`` (allowed, not a false 403), and ``GET /pets/mine/`` is
    the refused ``GET /pets/mine``, not ``GET /pets/{id}`` (it was allowed from the cache)."""
    universe = RouteUniverse.from_route_keys(
        ["GET /pets/{id}", "GET /pets/mine", "POST /pets"], "rest"
    )
    for declared in (universe, None):
        rules = AccessRules(
            allow_route("GET", "/pets/{id}"),
            allow_route("GET", "/pets/mine", groups_any("g1")),
            allow_route("POST", "/pets"),
            universe=declared,
        )
        for first in ("GET /pets/1", "POST /pets/"):
            for then in ("POST /pets", "POST /pets/", "GET /pets/1/"):
                assert cached(rules, USER, rest(first), rest(then)), (first, then)
            for then in ("GET /pets/mine", "GET /pets/mine/", "POST /pets//"):
                assert not cached(rules, USER, rest(first), rest(then)), (first, then)


class _Accept:
    """A validator that accepts every caller (the rules are what is under test)."""

    name = "accept"

    def validate(self, request: AuthRequest) -> Identity:
        return USER
