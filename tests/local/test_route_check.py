"""The route universe from a SAM template, and the rules-versus-template check (issue 13):
``authorizers routes``, ``assert_rules_cover_template`` and the warning of ``serve``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authorizers.cli import main
from authorizers.cli.serve import rule_warnings
from authorizers.errors import ConfigurationError
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.local.model import FunctionSpec
from authorizers.local.route_check import (
    Relation,
    check_routes,
    function_document,
    reaches,
    relation,
    rule_keys,
    template_checks,
)
from authorizers.local.route_universe import select_authorizer
from authorizers.local.template import load_template
from authorizers.rules import AccessRules, RouteForbidden, allow_route, deny_route
from authorizers.rules._patterns import VERBS
from authorizers.testing import assert_rules_cover_template
from authorizers.testing.events import http_v2_event, request_event, websocket_connect_event

REPO = Path(__file__).resolve().parents[2]
COVERS, PARTIAL, NONE = Relation.COVERS, Relation.PARTIAL, Relation.NONE
IDENTITY = Identity(principal_id="user", validator="test")

CONFIG = {
    "validators": [{"type": "hmac", "secrets": {"k": "s" * 32}}],
    "result_ttl_seconds": 0,
    "routes": [
        {"allow": "GET /pets/{petId}"},
        {"allow": "ANY /admin/{proxy+}"},
        {"deny": "DELETE /admin/audit"},
        {"allow": "GET /pest/{id}"},  # a typo
        {"allow": "GET /open"},  # served, but without this authorizer
    ],
}

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: auth/
      Handler: authorizers.handler.handler
      Runtime: python3.13
      Environment:
        Variables:
          AUTHORIZER_CONFIG_FILE: config.json
  OtherFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: other/, Handler: app.handler, Runtime: python3.13}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: backend/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Pet: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/pets/{id}", Method: get}}
        Admin: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/admin/{proxy+}", Method: ANY}}
        Orders: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /orders, Method: ANY}}
        Open:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /open, Method: GET, Auth: {Authorizer: NONE}}
        Other:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /other, Method: GET, Auth: {Authorizer: Other}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Main
        Authorizers:
          Main:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {Headers: [x-signature], ReauthorizeEvery: 0}
          Other:
            FunctionArn: !GetAtt OtherFn.Arn
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    (tmp_path / "auth").mkdir()
    (tmp_path / "auth" / "config.json").write_text(json.dumps(CONFIG))
    return tmp_path


# -- the one comparison ------------------------------------------------------------------------

RELATIONS = [
    (("GET", "/pets/{petId}"), ("GET", "/pets/{id}"), COVERS),  # parameter names differ
    (("*", "/pets/{id}"), ("GET", "/pets/{id}"), COVERS),  # ANY covers every verb
    (("GET", "/pets/{id}"), ("ANY", "/pets/{id}"), PARTIAL),  # the route serves more verbs
    (("GET", "/pets/{id}/"), ("GET", "/pets/{id}"), COVERS),  # one trailing slash ignored
    (("POST", "/pets/{id}"), ("GET", "/pets/{id}"), NONE),
    (("GET", "/pets/{id}"), ("GET", "/pets"), NONE),
    (("GET", "/pets/{id}"), ("GET", "/pets/{id}/x"), NONE),
    # The rules look the selected route up by its key: a rule whose paths merely overlap
    # the route's (or contain them) never applies to it.
    (("GET", "/pets/1"), ("GET", "/pets/{id}"), NONE),
    (("GET", "/{proxy+}"), ("GET", "/a/{b}/c"), NONE),
    (("GET", "/{proxy+}"), ("GET", "/"), NONE),
    (("GET", "/a/{proxy+}"), ("GET", "/{proxy+}"), NONE),
    (("GET", "/a/b"), ("GET", "/{x}/{proxy+}"), NONE),
    (("*", "$connect"), (None, "$connect"), COVERS),
    (("*", "$disconnect"), (None, "$connect"), NONE),
    (("GET", "/anything"), (None, "$default"), NONE),  # HTTP API catch-all: its own key
    (("*", "$default"), (None, "$default"), COVERS),
]


@pytest.mark.parametrize(("rule", "route", "expected"), RELATIONS)
def test_rules_and_routes_compare_by_route_key(
    rule: tuple[str, str], route: tuple[str | None, str], expected: Relation
) -> None:
    assert relation(*rule, *route) is expected


@pytest.mark.parametrize(("rule", "route", "expected"), RELATIONS)
def test_the_comparison_is_what_the_access_rules_decide(
    rule: tuple[str, str], route: tuple[str | None, str], expected: Relation
) -> None:
    """Each relation against the real thing: the rule alone, events API Gateway sends for a
    request of the route (HTTP: ``routeKey``; REST: ``resource``), one per verb."""
    rules = AccessRules(allow_route(*rule))
    method, path = route
    concrete = "/" + "/".join("x" if s.startswith("{") else s for s in path.split("/")[1:])
    verbs = [method] if method not in (None, "ANY") else sorted(VERBS)
    if path.startswith("$"):
        # the authorizer runs on $connect only; an HTTP API names its $default route
        one = websocket_connect_event() if path == "$connect" else None
        events = [one or http_v2_event(f"GET {concrete}", route_key=path)]
    else:
        events = [http_v2_event(f"{v} {concrete}", route_key=f"{v} {path}") for v in verbs]
        events += [request_event(f"{v} {concrete}", resource=path) for v in verbs]
    allowed = []
    for event in events:
        try:
            rules.grants(IDENTITY, parse_event(event))
        except RouteForbidden:
            allowed.append(False)
        else:
            allowed.append(True)
    decided = COVERS if all(allowed) else PARTIAL if any(allowed) else NONE
    assert relation(*rule, *route) is decided is expected, allowed


@pytest.mark.parametrize(
    ("rule", "route", "expected"),
    [
        (("GET", "/pets/1"), ("GET", "/pets/{id}"), True),  # a Deny GET/pets/1 meets it
        (("DELETE", "/admin/audit"), ("ANY", "/admin/{proxy+}"), True),
        (("GET", "/{proxy+}"), ("GET", "/a/{b}/c"), True),
        (("GET", "/a/{proxy+}"), ("GET", "/{proxy+}"), True),
        (("GET", "/a/b"), ("GET", "/{x}/{proxy+}"), True),
        (("GET", "/pets/{id}"), ("GET", "/pets/{id}"), True),
        (("GET", "/anything"), (None, "$default"), True),  # HTTP API catch-all
        (("GET", "/{proxy+}"), ("GET", "/"), False),  # {proxy+} takes one segment at least
        (("POST", "/pets/{id}"), ("GET", "/pets/{id}"), False),
        (("GET", "/pets/{id}"), ("GET", "/pets"), False),
        (("GET", "/pets/{id}"), ("GET", "/pets/{id}/x"), False),
        (("GET", "/pest/{id}"), ("GET", "/pets/{id}"), False),
        (("*", "$disconnect"), (None, "$connect"), False),
    ],
)
def test_a_rule_reaches_the_routes_its_paths_meet(
    rule: tuple[str, str], route: tuple[str | None, str], expected: bool
) -> None:
    assert reaches(*rule, *route) is expected


def test_the_comparison_is_linear_on_pathological_paths() -> None:
    """Attacker-free input (templates and rules), still linear: one pass per pair."""
    deep = "/" + "/".join(["{a}"] * 20_000)
    assert relation("GET", deep + "/x", "GET", deep + "/y") is NONE
    assert relation("GET", deep.replace("{a}", "{b}"), "GET", deep) is COVERS
    assert not reaches("GET", deep + "/x", "GET", deep + "/y")
    assert reaches("GET", "/{proxy+}", "GET", deep)


def test_rule_keys_from_rule_objects_route_keys_and_a_configuration() -> None:
    rules = [allow_route("ANY", "/a"), deny_route("GET", "/b"), allow_route("*", "$connect")]
    assert rule_keys(rules) == [("*", "/a"), ("GET", "/b"), ("*", "$connect")]
    assert rule_keys(["get /a", "ANY /b/{id}", "$connect"]) == [
        ("GET", "/a"),
        ("*", "/b/{id}"),
        ("*", "$connect"),
    ]
    assert rule_keys(CONFIG)[:3] == [
        ("GET", "/pets/{petId}"),
        ("*", "/admin/{proxy+}"),
        ("DELETE", "/admin/audit"),
    ]
    with pytest.raises(ConfigurationError):
        rule_keys(["/no-verb"])


# -- the route universe ------------------------------------------------------------------------


def test_the_universe_of_each_authorizer_of_the_repository_template() -> None:
    template = load_template(REPO / "template.yaml")
    token = select_authorizer(template, "TokenAuthorizer").universe()
    assert token == {"version": 1, "api": "rest", "routes": ["GET /pets/{id}", "GET /whoami"]}
    assert select_authorizer(template, "HttpAuthorizerFunction").universe() == {
        "version": 1,
        "api": "http",
        "routes": ["GET /whoami"],
    }
    websocket = select_authorizer(template, "WebSocketAuthorizer", "WebSocketApi").universe()
    assert websocket == {"version": 1, "api": "websocket", "routes": ["$connect"]}
    with pytest.raises(ConfigurationError, match="several authorizers"):
        select_authorizer(template)
    with pytest.raises(ConfigurationError, match="no Lambda authorizer Nope"):
        select_authorizer(template, "Nope")


def test_a_route_the_policy_compiler_refuses_is_refused_when_the_universe_is_written(
    project: Path,
) -> None:
    text = (project / "template.yaml").read_text().replace('"/pets/{id}"', '"/pets/{id}.json"')
    (project / "template.yaml").write_text(text)
    found = select_authorizer(load_template(project / "template.yaml"), "Main")
    with pytest.raises(ConfigurationError, match="a parameter must fill its segment"):
        found.universe()


def test_cli_writes_the_universe_file(project: Path, capsys: Any) -> None:
    out = project / "routes.json"
    template = str(project / "template.yaml")
    assert main(["routes", template, "--authorizer", "Main", "-o", str(out)]) == 0
    assert json.loads(out.read_text()) == {
        "version": 1,
        "api": "rest",
        "routes": ["ANY /admin/{proxy+}", "ANY /orders", "GET /pets/{id}"],
    }
    assert main(["routes", template, "-a", "OtherFn"]) == 0
    assert json.loads(capsys.readouterr().out)["routes"] == ["GET /other"]
    assert main(["routes", template]) == 2  # two authorizers: which one?
    assert "--authorizer" in capsys.readouterr().err


# -- the check ---------------------------------------------------------------------------------


EXPECTED_PROBLEMS = [
    "Api.Main: route ANY /orders is served but no rule rules it: every call gets 403",
    "Api.Main: rule GET /pest/{id} matches no route served through this authorizer"
    " (a typo, or a removed route?)",
    "Api.Main: rule GET /open (route GET /open uses no authorizer): it never applies there",
]


def test_check_finds_unruled_routes_typos_and_rules_for_other_authorizers(project: Path) -> None:
    template = load_template(project / "template.yaml")
    check = check_routes(select_authorizer(template, "Main"), rule_keys(CONFIG))
    assert not check.ok
    assert check.problems() == EXPECTED_PROBLEMS
    fixed = [*rule_keys(CONFIG)[:3], ("*", "/orders")]
    assert check_routes(select_authorizer(template, "Main"), fixed).ok


def test_a_partly_ruled_any_route_is_reported(project: Path) -> None:
    template = load_template(project / "template.yaml")
    rules = ["GET /pets/{id}", "GET /admin/{proxy+}", "POST /orders", "GET /orders"]
    check = check_routes(select_authorizer(template, "Main"), rule_keys(rules))
    assert check.partly_ruled == ("ANY /admin/{proxy+}", "ANY /orders")
    every_verb = [*rules[:1], "ANY /admin/{proxy+}"] + [
        f"{verb} /orders" for verb in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
    ]
    assert check_routes(select_authorizer(template, "Main"), rule_keys(every_verb)).ok


def test_cli_check_with_the_functions_own_configuration_or_a_rules_file(
    project: Path, capsys: Any
) -> None:
    template = str(project / "template.yaml")
    assert main(["routes", template, "--check"]) == 1
    assert capsys.readouterr().out.splitlines() == EXPECTED_PROBLEMS
    rules = project / "rules.json"
    rules.write_text(json.dumps(["GET /pets/{id}", "ANY /admin/{proxy+}", "ANY /orders"]))
    assert main(["routes", template, "--rules", str(rules), "-a", "Main"]) == 0
    assert "Api.Main: template and rules agree" in capsys.readouterr().out
    assert main(["routes", "--check", template, "-a", "AuthFn"]) == 1  # its own document
    assert capsys.readouterr().out.splitlines() == EXPECTED_PROBLEMS
    assert main(["routes", template, "--check", "-a", "Other"]) == 2  # no document, no --rules
    assert "give --rules" in capsys.readouterr().err
    rules.write_text("{not json")
    assert main(["routes", template, "--rules", str(rules), "-a", "Main"]) == 2
    for wrong in ("[1]", '"GET /a"', "null", '{"routes": {"allow": "GET /a"}}'):
        rules.write_text(wrong)  # a usage error, never a traceback
        assert main(["routes", template, "--rules", str(rules), "-a", "Main"]) == 2, wrong
        error = capsys.readouterr().err
        assert "route keys" in error or "'routes' is not a list" in error, (wrong, error)


def test_cli_rules_file_stands_in_for_a_broken_function_configuration(
    project: Path, capsys: Any
) -> None:
    (project / "auth" / "config.json").write_text("{not json")
    template = str(project / "template.yaml")
    assert main(["routes", template, "--check", "-a", "Main"]) == 2  # its own: unreadable
    rules = project / "rules.json"
    rules.write_text(json.dumps(["GET /pets/{id}", "ANY /admin/{proxy+}", "ANY /orders"]))
    assert main(["routes", template, "--rules", str(rules), "-a", "Main"]) == 0


def test_the_repository_template_and_the_zero_code_sample_agree(capsys: Any) -> None:
    assert main(["routes", str(REPO / "template.yaml"), "--check"]) == 0
    assert "RestApi.ZeroCodeAuthorizer: template and rules agree" in capsys.readouterr().out
    config = json.loads((REPO / "samples" / "zero_code" / "config.json").read_text())
    assert_rules_cover_template(config, REPO / "template.yaml", authorizer="ZeroCodeAuthorizer")


def test_assert_rules_cover_template_names_every_problem(project: Path) -> None:
    rules = [allow_route("GET", "/pets/{id}"), allow_route("ANY", "/admin/{proxy+}")]
    with pytest.raises(AssertionError) as failed:
        assert_rules_cover_template(rules, project / "template.yaml", authorizer="Main")
    assert "route ANY /orders is served but no rule rules it" in str(failed.value)
    assert_rules_cover_template(
        [*rules, allow_route("ANY", "/orders")], project / "template.yaml", authorizer="AuthFn"
    )


def test_serve_warns_at_start_and_a_broken_configuration_does_not_stop_it(project: Path) -> None:
    template = load_template(project / "template.yaml")
    assert rule_warnings(template) == [f"warning: {line}" for line in EXPECTED_PROBLEMS]
    (project / "auth" / "config.json").write_text("{")
    (warning,) = rule_warnings(load_template(project / "template.yaml"))
    assert warning.startswith("warning: route rules not checked:")
    assert rule_warnings(load_template(REPO / "template.yaml")) == []


def test_the_check_compares_the_settings_that_must_match_the_template(project: Path) -> None:
    """The document describes the deployment: a TTL it does not know defeats the Authorizer's
    cache-safety checks, and a response format the authorizer does not expect is a 500."""
    config = {key: value for key, value in CONFIG.items() if key != "result_ttl_seconds"}
    config |= {"routes": [{"allow": "ANY /{proxy+}"}], "simple_responses": True}
    (project / "auth" / "config.json").write_text(json.dumps(config))
    (check,) = template_checks(load_template(project / "template.yaml"))
    assert check.settings == (
        "result_ttl_seconds is 300 (the default), but the template caches results for 0 s:"
        " make them equal",
        "simple_responses is true, but the template's EnableSimpleResponses is false:"
        " every call gets 500",
    )
    assert not check.ok and check.problems()[-1].startswith("Api.Main: simple_responses")
    del config["routes"]  # no rules: the settings are still compared
    (project / "auth" / "config.json").write_text(json.dumps(config))
    assert len(template_checks(load_template(project / "template.yaml"))[0].problems()) == 2


def test_a_catch_all_rule_does_not_rule_the_routes_under_it(project: Path) -> None:
    """``ANY /{proxy+}`` overlaps every route, but the access rules look the selected route up
    by key: each call to ``GET /pets/{id}`` is refused, and the check says so."""
    template = load_template(project / "template.yaml")
    check = check_routes(select_authorizer(template, "Main"), rule_keys(["ANY /{proxy+}"]))
    assert check.unruled == ("GET /pets/{id}", "ANY /admin/{proxy+}", "ANY /orders")
    assert check.unmatched_rules == ()  # its paths meet the served routes


def test_a_functions_document_is_read_as_the_generic_handler_reads_it(tmp_path: Path) -> None:
    """The configuration loader of the handler, the code folder as ``LAMBDA_TASK_ROOT``: a
    function the handler would refuse to start is refused here too."""
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    inline = {"AUTHORIZER_CONFIG": json.dumps(CONFIG)}
    from_file = {"AUTHORIZER_CONFIG_FILE": "config.json"}
    read = [
        function_document(FunctionSpec("Fn", "h.handler", tmp_path, environment=env))
        for env in (inline, from_file, {})
    ]
    assert read == [(CONFIG, "AUTHORIZER_CONFIG"), (CONFIG, "config.json"), None]
    assert function_document(FunctionSpec("Fn", "h.handler", None, environment=from_file)) is None
    both = FunctionSpec("Fn", "h.handler", tmp_path, environment=inline | from_file)
    with pytest.raises(ConfigurationError, match="not both"):
        function_document(both)
    (tmp_path / "config.json").write_text(" " * 2_000_000 + "{}")
    with pytest.raises(ConfigurationError, match="larger than"):
        function_document(FunctionSpec("Fn", "h.handler", tmp_path, environment=from_file))
