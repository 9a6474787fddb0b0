"""Reading SAM templates: intrinsic functions, parameters, Globals, environment files, the
authorizer settings SAM derives (identity sources, TTLs), and the repository's own template."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from authorizers.errors import ConfigurationError
from authorizers.local.intrinsics import Resolver
from authorizers.local.model import ApiType, ManagedKind
from authorizers.local.template import load_template
from authorizers.request import RequestKind
from authorizers.testing import events

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


# -- intrinsic functions -----------------------------------------------------------------------


@pytest.fixture
def resolver() -> Resolver:
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "dev"]},
            "Cidrs": {"Type": "CommaDelimitedList", "Default": "10.0.0.0/8, 192.168.0.0/16"},
            "Pool": {"Type": "String", "AllowedPattern": "^[a-z]+_[0-9]+$"},
        },
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
        "Mappings": {"Sizes": {"prod": {"Memory": 512}}},
        "Resources": {
            "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "named"}},
            "Table": {"Type": "AWS::DynamoDB::Table"},
        },
    }
    return Resolver(template, {"Pool": "eu_1"})


def test_refs_and_pseudo_parameters(resolver):
    assert resolver.resolve({"Ref": "Stage"}) == "prod"
    assert resolver.resolve({"Ref": "Cidrs"}) == ["10.0.0.0/8", "192.168.0.0/16"]
    assert resolver.resolve({"Ref": "Pool"}) == "eu_1"
    assert resolver.resolve({"Ref": "AWS::Region"}) == events.REGION
    assert resolver.resolve({"Ref": "Table"}) == "Table"
    assert resolver.resolve({"Ref": "Named"}) == "named"
    assert resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]}) == (
        f"arn:aws:lambda:{events.REGION}:{events.ACCOUNT_ID}:function:Fn"
    )


def test_sub_join_select_split_and_mappings(resolver):
    sub = {"Fn::Sub": "${Stage}/${AWS::AccountId}/${Fn.Arn}/${!Literal}"}
    assert resolver.resolve(sub) == (
        f"prod/{events.ACCOUNT_ID}/{resolver.function_arn('Fn')}/${{Literal}}"
    )
    assert resolver.resolve({"Fn::Sub": ["${A}-${Stage}", {"A": {"Ref": "Pool"}}]}) == "eu_1-prod"
    assert resolver.resolve({"Fn::Join": [",", ["a", {"Ref": "Stage"}]]}) == "a,prod"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Stage"}, "Memory"]}) == 512


def test_conditions_and_no_value(resolver):
    value = {
        "A": {"Fn::If": ["IsProd", "yes", "no"]},
        "B": {"Fn::If": ["NotProd", "x", {"Ref": "AWS::NoValue"}]},
        "C": ["keep", {"Fn::If": ["NotProd", "x", {"Ref": "AWS::NoValue"}]}],
    }
    assert resolver.resolve(value) == {"A": "yes", "C": ["keep"]}


def test_parameter_mistakes_are_errors_now():
    template = {
        "Parameters": {
            "Stage": {"Type": "String", "AllowedValues": ["prod"]},
            "Name": {"Type": "String", "AllowedPattern": "^[a-z]+$"},
            "Required": {"Type": "String"},
        },
        "Resources": {},
    }
    with pytest.raises(ConfigurationError, match="undeclared"):
        Resolver(template, {"Stag": "prod"})
    with pytest.raises(ConfigurationError, match="not one of"):
        Resolver(template, {"Stage": "dev"})
    with pytest.raises(ConfigurationError, match="does not match"):
        Resolver(template, {"Name": "UPPER"})
    with pytest.raises(ConfigurationError, match="--parameter-overrides Required="):
        Resolver(template).resolve({"Ref": "Required"})
    with pytest.raises(ConfigurationError, match="not supported"):
        Resolver(template).resolve({"Fn::ImportValue": "x"})


# -- SAM: functions, APIs, authorizers -----------------------------------------------------------

SAM = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Ttl: {Type: Number, Default: 120}
  WithExtra: {Type: String, Default: "no"}
Conditions:
  Extra: !Equals [!Ref WithExtra, "yes"]
Globals:
  Function:
    Handler: app.handler
    Timeout: 7
    Layers: [!Ref Shared]
    Environment: {Variables: {A: global, B: global, NUM: 5}}
  Api:
    Auth:
      DefaultAuthorizer: Tok
      Authorizers:
        Tok:
          FunctionArn: !GetAtt Authz.Arn
          Identity: {Header: X-Token, ReauthorizeEvery: !Ref Ttl}
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: shared/}
  Authz:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: authz/
      Environment: {Variables: {B: own, FLAG: true}}
  Extra:
    Type: AWS::Serverless::Function
    Condition: Extra
    Properties: {CodeUri: extra/}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: backend/
      Events:
        Implicit: {Type: Api, Properties: {Path: /a, Method: post}}
        Http: {Type: HttpApi}
        Pool:
          Type: Api
          Properties: {RestApiId: !Ref Explicit, Path: /b, Method: GET}
  Explicit:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Variables: {color: blue}
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito: {UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/x}
          Req:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt Authz.Arn
            Identity:
              Headers: [h1]
              QueryStrings: [q1]
              StageVariables: [s1]
              Context: [identity.sourceIp]
"""


def test_functions_get_globals_layers_and_environment(tmp_path):
    (tmp_path / "shared" / "python").mkdir(parents=True)
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"Parameters": {"A": "all"}, "Authz": {"A": "mine", "NEW": 1}}))
    template = load_template(write(tmp_path, SAM), env_vars=env_file)
    authz = template.functions["Authz"]
    assert authz.environment == {
        "A": "mine",  # the function's section beats Parameters, which beats the template
        "B": "own",  # the resource beats Globals
        "NUM": "5",
        "FLAG": "true",
        "NEW": "1",  # unlike sam local, a variable the template lacks is added
    }
    assert template.functions["Backend"].environment["A"] == "all"
    assert authz.handler == "app.handler" and authz.timeout_seconds == 7
    assert authz.code_uri == tmp_path / "authz"
    assert authz.import_paths == (tmp_path / "shared" / "python",)
    assert "Extra" not in template.functions
    with_extra = load_template(write(tmp_path, SAM), parameter_overrides={"WithExtra": "yes"})
    assert "Extra" in with_extra.functions


def test_implicit_apis_routes_and_the_authorizers_sam_derives(tmp_path):
    template = load_template(write(tmp_path, SAM), parameter_overrides={"Ttl": "0"})
    implicit = template.apis["ServerlessRestApi"]
    assert implicit.api_type is ApiType.REST and implicit.stage == "Prod"
    assert template.apis["ServerlessHttpApi"].stage == "$default"
    routes = {(r.api_id, r.route_key): r for r in template.routes}
    assert routes[("ServerlessRestApi", "POST /a")].authorizer == "Tok"
    assert routes[("ServerlessHttpApi", "$default")].payload_version == "2.0"
    token = template.authorizers[("ServerlessRestApi", "Tok")]
    assert token.kind is RequestKind.REST_TOKEN and token.function_id == "Authz"
    assert token.identity_sources == ("method.request.header.X-Token",)
    assert token.ttl_seconds == 0
    request = template.authorizers[("Explicit", "Req")]
    assert request.identity_sources == (
        "method.request.header.h1",
        "method.request.querystring.q1",
        "stageVariables.s1",
        "context.identity.sourceIp",
    )
    assert request.ttl_seconds == 300  # SAM's default
    assert template.apis["Explicit"].stage_variables == {"color": "blue"}
    cognito = template.authorizer_of(routes[("Explicit", "GET /b")])
    assert cognito is not None and cognito.unsupported is None
    assert cognito.managed is not None and cognito.managed.kind is ManagedKind.COGNITO
    assert cognito.managed.user_pools == ("x",)


@pytest.mark.parametrize(
    ("authorizer", "message"),
    [
        ("{FunctionPayloadType: REQUEST, FunctionArn: !GetAtt F.Arn}", "needs identity sources"),
        ("{FunctionArn: !GetAtt F.Arn, Identity: {ReauthorizeEvery: 4000}}", r"0\.\.3600"),
    ],
)
def test_settings_sam_refuses_are_refused(tmp_path, authorizer, message):
    text = f"""
    Resources:
      F: {{Type: AWS::Serverless::Function, Properties: {{CodeUri: f/, Handler: app.h}}}}
      Api:
        Type: AWS::Serverless::Api
        Properties:
          StageName: s
          Auth: {{Authorizers: {{A: {authorizer}}}}}
    """
    with pytest.raises(ConfigurationError, match=message):
        load_template(write(tmp_path, text))


def test_http_api_simple_responses_need_payload_2(tmp_path):
    text = """
    Resources:
      F: {Type: AWS::Serverless::Function, Properties: {CodeUri: f/, Handler: app.h}}
      Api:
        Type: AWS::Serverless::HttpApi
        Properties:
          Auth:
            Authorizers:
              A: {FunctionArn: !GetAtt F.Arn, AuthorizerPayloadFormatVersion: "1.0",
                  EnableSimpleResponses: true}
    """
    with pytest.raises(ConfigurationError, match=r"payload format 2\.0"):
        load_template(write(tmp_path, text))


def test_a_route_naming_an_undefined_authorizer_is_refused(tmp_path):
    text = """
    Resources:
      F:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: f/
          Handler: app.h
          Events:
            E: {Type: Api, Properties: {Path: /x, Method: GET, Auth: {Authorizer: Nope}}}
    """
    with pytest.raises(ConfigurationError, match="undefined authorizer Nope"):
        load_template(write(tmp_path, text))


def test_unreadable_inputs(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_template(tmp_path / "missing.yaml")
    with pytest.raises(ConfigurationError, match="no Resources"):
        load_template(write(tmp_path, "Parameters: {}\n"))
    bad_env = tmp_path / "env.json"
    bad_env.write_text('["not", "a", "map"]')
    with pytest.raises(ConfigurationError, match="FunctionId"):
        load_template(write(tmp_path, SAM), env_vars=bad_env)


# -- the repository's template -----------------------------------------------------------------


def test_the_repository_template_as_the_gateway_serves_it():
    required = {"Issuer": "https://issuer.example.test", "Audience": "api"}  # no defaults
    overrides = {"CacheTtlSeconds": "60", **required}
    template = load_template(REPO / "template.yaml", parameter_overrides=overrides)
    assert template.warnings == ()
    kinds = {spec.kind for spec in template.authorizers.values()}
    assert {RequestKind.REST_TOKEN, RequestKind.REST_REQUEST, RequestKind.HTTP_V2} <= kinds
    assert RequestKind.WEBSOCKET in kinds
    for spec in template.authorizers.values():
        assert spec.unsupported is None and spec.function_id in template.functions
        assert spec.identity_sources, spec.name
        if spec.name == "DpopAuthorizer":  # per request: never cached
            assert spec.ttl_seconds == 0
        elif spec.kind is not RequestKind.WEBSOCKET:
            assert spec.ttl_seconds == 60, spec.name
    websocket = next(a for a in template.apis.values() if a.api_type is ApiType.WEBSOCKET)
    connect = next(r for r in template.routes_of(websocket.logical_id) if r.path == "$connect")
    assert template.authorizer_of(connect) is not None
    for route in template.routes:
        assert route.function_id in template.functions, route
    for function in template.functions.values():
        assert function.code_uri is not None and function.code_uri.is_dir(), function


RULES_TEMPLATE = """
Parameters:
  Pool: {Type: String, Default: ""}
  Clients: {Type: String, Default: ""}
  Stage: {Type: String, Default: dev}
Rules:
  ClientsWithAPool:
    RuleCondition: !Not [!Equals [!Ref Pool, ""]]
    Assertions:
      - Assert: !Not [!Equals [!Ref Clients, ""]]
        AssertDescription: Clients is required with Pool
  StageIsKnown:
    Assertions:
      - Assert: {"Fn::Contains": [[dev, prod], !Ref Stage]}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.13}
"""


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({}, None),  # the rule's condition does not hold: nothing to assert
        ({"Pool": "eu-west-1_A", "Clients": "app"}, None),
        ({"Pool": "eu-west-1_A"}, "rule ClientsWithAPool: Clients is required with Pool"),
    ],
)
def test_serve_checks_template_rules_as_a_deploy_would(tmp_path, overrides, refused):
    path = tmp_path / "template.yaml"
    path.write_text(RULES_TEMPLATE)
    assert load_template(path, parameter_overrides=overrides).warnings == ()  # not asked to
    if refused is not None:
        with pytest.raises(ConfigurationError, match=refused):
            load_template(path, parameter_overrides=overrides, check_rules=True)
        return
    template = load_template(path, parameter_overrides=overrides, check_rules=True)
    # a function the local resolver does not know is reported, never guessed
    assert template.warnings == (
        "rule StageIsKnown not checked locally: Fn::Contains is not supported by the local gateway",
    )
