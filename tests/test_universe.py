"""The route universe: its file, its checks, and what declaring it changes in a policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authorizers.config import build_authorizer
from authorizers.errors import ConfigurationError
from authorizers.grants import Grants
from authorizers.identity import Identity
from authorizers.keystores.base import hash_api_key
from authorizers.request import AuthRequest, RequestKind
from authorizers.requirements import groups_any
from authorizers.rules import AccessRules, RouteForbidden, allow_route
from authorizers.testing.events import request_event
from authorizers.testing.simulator import GatewayDecision, request_arn, simulate
from authorizers.universe import RouteUniverse

USER = Identity("u", "test")
ADMIN = Identity("a", "test", groups=frozenset({"admins"}))
SERVED = ["GET /pets/{id}", "GET /pets/{id}/medical-records", "ANY /admin/{proxy+}"]


def test_the_file_format(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(json.dumps({"version": 1, "api": "http", "routes": [*SERVED, "$default"]}))
    universe = RouteUniverse.load(path)
    assert universe.api == "http"
    assert universe.routes[0] == ("GET", "/pets/{id}")
    assert universe.routes[-1] == ("ANY", "$default")
    assert RouteUniverse.from_json(universe.to_json()) == universe


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"version": 2, "api": "rest", "routes": SERVED},
        {"version": 1, "api": "graphql", "routes": SERVED},
        {"version": 1, "api": "rest", "routes": "GET /pets"},
        {"version": 1, "api": "rest", "routes": []},
        {"version": 1, "api": "rest", "routes": ["FETCH /pets"]},
        {"version": 1, "api": "rest", "routes": ["GET pets"]},
        {"version": 1, "api": "rest", "routes": ["GET /pets/*"]},
        {"version": 1, "api": "rest", "routes": [7]},
        {"version": 1, "api": "websocket", "routes": ["send message"]},
        {"version": 1, "api": "rest", "routes": SERVED, "extra": 1},
    ],
)
def test_a_bad_universe_is_refused(document: Any) -> None:
    with pytest.raises(ConfigurationError):
        RouteUniverse.from_json(document)


def test_unreadable_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        RouteUniverse.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ConfigurationError, match="not JSON"):
        RouteUniverse.load(tmp_path / "bad.json")


def test_a_rule_for_a_route_the_api_does_not_serve_is_refused() -> None:
    universe = RouteUniverse.from_route_keys(SERVED)
    with pytest.raises(ConfigurationError, match="does not serve"):
        AccessRules(allow_route("GET", "/dogs/{id}"), universe=universe)


def gateway(grants: Grants, route: str) -> GatewayDecision:
    from authorizers.responses import policy_response  # noqa: PLC0415

    request = AuthRequest(RequestKind.REST_TOKEN, request_arn(route))
    return simulate(policy_response(request, "u", grants), request).decision


def test_a_served_route_without_rules_is_refused_fresh_and_cached() -> None:
    rules = AccessRules(
        allow_route("GET", "/pets/{id}"),
        allow_route("ANY", "/admin/{proxy+}", groups_any("admins")),
        universe=RouteUniverse.from_route_keys(SERVED),
    )
    grants = rules.grants(USER, AuthRequest(RequestKind.REST_TOKEN, request_arn("GET /pets/1")))
    assert gateway(grants, "GET /pets/2") is GatewayDecision.ALLOW
    assert gateway(grants, "GET /pets/2/medical-records") is not GatewayDecision.ALLOW
    assert gateway(grants, "DELETE /admin/x") is not GatewayDecision.ALLOW
    with pytest.raises(RouteForbidden, match="no rule"):
        rules.grants(
            USER, AuthRequest(RequestKind.REST_TOKEN, request_arn("GET /pets/1/medical-records"))
        )
    # an identity allowed every route of a complete universe gets "*" (and the universe
    # route without rules stays refused to everyone, so only a Deny of it remains)
    admin = rules.grants(ADMIN, AuthRequest(RequestKind.REST_TOKEN, request_arn("GET /pets/1")))
    assert admin.allow == ("*",)
    assert gateway(admin, "GET /pets/2/medical-records") is not GatewayDecision.ALLOW
    assert gateway(admin, "PATCH /admin/a/b") is GatewayDecision.ALLOW


def test_routes_under_one_prefix_merge_when_exact() -> None:
    keys = [f"GET /shop/{n}/{{id}}" for n in range(20)] + ["GET /admin/{id}"]
    rules = AccessRules(
        *(allow_route("GET", f"/shop/{n}/{{id}}") for n in range(20)),
        allow_route("GET", "/admin/{id}", groups_any("admins")),
        universe=RouteUniverse.from_route_keys(keys),
    )
    grants = rules.grants(USER, AuthRequest(RequestKind.REST_TOKEN, request_arn("GET /shop/1/7")))
    assert len(grants.allow) + len(grants.deny) <= 2
    assert gateway(grants, "GET /shop/19/x") is GatewayDecision.ALLOW
    assert gateway(grants, "GET /admin/x") is not GatewayDecision.ALLOW


def test_the_configuration_key(tmp_path: Path) -> None:
    (tmp_path / "routes.json").write_text(
        json.dumps({"version": 1, "api": "rest", "routes": SERVED})
    )
    key = "pk_universe-test-key"
    store = {"type": "static", "keys": {hash_api_key(key): {"owner": "o"}}}
    document = {
        "validators": [{"type": "api_key", "store": store}],
        "routes": [{"allow": "GET /pets/{id}"}],
        "route_universe": "routes.json",
    }
    authorizer = build_authorizer(document, base_dir=tmp_path)
    event = request_event("GET /pets/1", headers={"x-api-key": key}, resource="/pets/{id}")
    response = authorizer.handler(event)
    assert simulate(response, event).decision is GatewayDecision.ALLOW
    later = request_event("GET /pets/1/medical-records", resource="/pets/{id}/medical-records")
    assert simulate(response, later).decision is not GatewayDecision.ALLOW
    with pytest.raises(ConfigurationError, match="route_universe"):
        build_authorizer({**document, "route_universe": "nowhere.json"}, base_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="route_universe"):
        build_authorizer({k: v for k, v in document.items() if k != "routes"}, base_dir=tmp_path)
