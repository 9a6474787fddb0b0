"""``authorizers plan``: which Lambda authorizers a managed authorizer could replace, what
moving would lose, and the snippet - on templates where moving is and is not possible."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from authorizers.cli import main
from authorizers.local.template import load_template
from authorizers.plan import AuthorizerPlan, plan_template
from authorizers.plan.snippet import snippet

REPO = Path(__file__).parents[2]
SAMPLE = REPO / "samples" / "managed_authorizers" / "template.yaml"
TOOLS = REPO / ".tools"
PUBLIC = "https://idp.example.com"

HTTP_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Authz:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: authz/
      Handler: {handler}
      Runtime: python3.13
      Environment: {{Variables: {env}}}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: backend/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Read: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /pets, Method: GET}}}}
        Write: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /pets, Method: POST}}}}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Lambda
        Authorizers:
          Lambda:
            FunctionArn: !GetAtt Authz.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {{Headers: [Authorization]}}
"""


def oidc(**settings: Any) -> dict[str, Any]:
    return {"type": "oidc", "issuer": PUBLIC, "audience": "https://api.example.test", **settings}


def http_plan(tmp_path: Path, document: dict[str, Any] | None, module: str = "") -> AuthorizerPlan:
    (tmp_path / "authz").mkdir(exist_ok=True)
    if document is not None:
        (tmp_path / "authz" / "config.json").write_text(json.dumps(document))
        env, handler = "{AUTHORIZER_CONFIG_FILE: config.json}", "authorizers.handler.handler"
    else:
        (tmp_path / "authz" / "app.py").write_text(textwrap.dedent(module))
        env, handler = "{}", "app.handler"
    path = tmp_path / "template.yaml"
    path.write_text(HTTP_TEMPLATE.format(handler=handler, env=env))
    [plan] = plan_template(load_template(path))
    return plan


def scoped_rules() -> list[dict[str, Any]]:
    return [
        {"allow": "GET /pets", "requires": {"scopes_any": ["pets:read"]}},
        {"allow": "POST /pets", "requires": {"scopes_any": ["pets:write", "admin"]}},
    ]


def test_a_jwt_only_authorizer_with_scope_rules_moves_to_an_http_jwt(tmp_path):
    plan = http_plan(tmp_path, {"version": 1, "validators": [oidc()], "routes": scoped_rules()})
    assert plan.suffices and plan.target == "HTTP API JWT"
    assert {r.route.route_key: r.scopes for r in plan.routes} == {
        "GET /pets": ("pets:read",),
        "POST /pets": ("pets:write", "admin"),
    }
    found = snippet(plan)
    assert found is not None
    assert found["authorizer"] == {
        "LambdaManaged": {
            "IdentitySource": "$request.header.Authorization",
            "JwtConfiguration": {"issuer": PUBLIC, "audience": ["https://api.example.test"]},
        }
    }
    assert found["routes"]["POST /pets"] == {
        "Authorizer": "LambdaManaged",
        "AuthorizationScopes": ["pets:write", "admin"],
    }


@pytest.mark.parametrize(
    ("validators", "loss"),
    [
        ([oidc(), {"type": "api_key", "header": "x-api-key"}], "API keys"),
        ([oidc(), {"type": "request", "allow_cidrs": ["10.0.0.0/8"]}], "request rules"),
        ([{"type": "hmac", "secrets": {}}], "HMAC request signatures"),
        ([oidc(), {"type": "introspection"}], "token introspection"),
        ([oidc(revocation={"store": {"type": "static", "jtis": ["j1"]}})], "revocation checks"),
        ([oidc(), {"type": "cert_bound"}], "certificate-bound tokens"),
        ([oidc(), {"type": "dpop"}], "DPoP proof of possession"),
        ([oidc(algorithms=["PS256"])], "PS256 signatures"),
        ([oidc(algorithms=["EdDSA"])], "EdDSA signatures"),
        ([oidc(issuer="http://127.0.0.1:9000")], "an issuer API Gateway cannot reach"),
        ([oidc(issuer="https://10.1.2.3")], "an issuer API Gateway cannot reach"),
        ([oidc(groups_any=["admins"], groups_claim="groups")], "group checks"),
        ([oidc(required_claims=["tenant"])], "required claims (REST JWT"),
        ([oidc(audience=None, verify_audience=False)], "accepting any audience"),
        ([oidc(), oidc(issuer="https://other.example.com")], "several issuers"),
    ],
)
def test_what_moving_would_lose(tmp_path, validators, loss):
    document = {"version": 1, "validators": validators, "combine": "any_of"}
    plan = http_plan(tmp_path, document | {"routes": scoped_rules()})
    assert not plan.suffices and snippet(plan) is None
    assert any(found.startswith(loss) for found in plan.losses), plan.losses


def test_route_rules_beyond_scopes_are_route_losses(tmp_path):
    rules = [
        {"allow": "GET /pets", "requires": {"groups_any": ["vets"]}},
        {"allow": "GET /cats"},
    ]
    plan = http_plan(tmp_path, {"version": 1, "validators": [oidc()], "routes": rules})
    losses = {r.route.route_key: r.losses for r in plan.routes}
    assert losses["GET /pets"] == ("route rule requirements ['groups_any'] (beyond scopes)",)
    assert losses["POST /pets"] == (
        "no rule allows it: the Lambda denies, a managed authorizer would not",
    )
    assert not plan.suffices


def test_a_deny_rule_is_a_loss_on_every_route_its_patterns_meet(tmp_path):
    rules = [
        *scoped_rules(),
        {"deny": "ANY /{proxy+}", "requires": {"groups_any": ["banned"]}},  # meets both routes
        {"deny": "DELETE /cats"},  # meets neither
    ]
    plan = http_plan(tmp_path, {"version": 1, "validators": [oidc()], "routes": rules})
    losses = {r.route.route_key: r.losses for r in plan.routes}
    assert losses == {
        "GET /pets": ("route rule ANY /{proxy+} (beyond scopes)",),
        "POST /pets": ("route rule ANY /{proxy+} (beyond scopes)",),
    }


def test_a_python_authorizer_declares_its_config_and_is_never_imported(tmp_path):
    module = f"""
    raise SystemExit("the planner must not import this module")
    AUTHORIZER_CONFIG = {{"version": 1, "validators": [{oidc()!r}], "routes": {scoped_rules()!r}}}
    """
    plan = http_plan(tmp_path, None, module)
    assert plan.suffices and plan.source == "app.py: AUTHORIZER_CONFIG"


def test_a_python_authorizer_without_a_declaration_stays_a_lambda(tmp_path):
    plan = http_plan(tmp_path, None, "def handler(event, context): ...\n")
    assert not plan.suffices
    assert plan.losses == ("the planner cannot see this authorizer's checks "
                           "(app.py: Python, no AUTHORIZER_CONFIG declared)",)  # fmt: skip


def test_the_sample_moves_to_rest_jwt_with_a_public_issuer_and_not_with_a_local_one(capsys):
    public = ["plan", str(SAMPLE), "--parameter-overrides", f"Issuer={PUBLIC}", "--json"]
    assert main(public) == 0
    [plan] = json.loads(capsys.readouterr().out)
    assert plan["managed"] == "REST JWT" and plan["suffices"] is True
    assert plan["routes"] == [{"route": "GET /lambda", "scopes": ["lambda:call"], "loses": []}]
    properties = plan["snippet"]["authorizer"]["LambdaTokenManaged"]["Properties"]
    assert properties["JwtConfiguration"]["Issuers"] == [
        {"Issuer": PUBLIC, "Audiences": ["https://api.example.test"]}
    ]
    local = ["plan", str(SAMPLE), "--parameter-overrides", "Issuer=http://127.0.0.1:9000"]
    assert main(local) == 0
    text = capsys.readouterr().out
    assert "keep the Lambda authorizer" in text
    assert "loses: an issuer API Gateway cannot reach (http://127.0.0.1:9000)" in text


def rest_cognito_plan(tmp_path: Path, **settings: Any) -> AuthorizerPlan:
    validator = {"type": "cognito", "user_pool_ids": ["eu-west-1_Pool1"], **settings}
    document = {"version": 1, "validators": [validator]}
    text = SAMPLE.read_text().replace("lambda_authorizer/", "authz/")
    text = text.replace("FILE: config.json", "FILE: c.json")
    (tmp_path / "authz").mkdir(exist_ok=True)
    (tmp_path / "authz" / "c.json").write_text(json.dumps(document))
    (tmp_path / "template.yaml").write_text(text)
    plans = plan_template(
        load_template(tmp_path / "template.yaml", parameter_overrides={"Issuer": PUBLIC})
    )
    return next(plan for plan in plans if plan.spec.name == "LambdaToken")


def test_cognito_id_tokens_of_any_client_fit_the_user_pools_authorizer(tmp_path):
    plan = rest_cognito_plan(tmp_path, token_use="id", verify_client_id=False)
    assert plan.suffices and plan.target == "REST COGNITO_USER_POOLS"
    found = snippet(plan)
    assert found is not None
    assert found["authorizer"]["LambdaTokenManaged"]["UserPoolArn"] == {
        "Fn::Sub": "arn:aws:cognito-idp:eu-west-1:${AWS::AccountId}:userpool/eu-west-1_Pool1"
    }


def test_cognito_access_tokens_restricted_to_clients_stay_lambda(tmp_path):
    plan = rest_cognito_plan(tmp_path, token_use="access", client_ids=["web"])
    assert "the app-client check of Cognito access tokens (no aud)" in plan.losses


# -- the snippets against the template tools (make check-template installs them) -----------


def _tool(name: str) -> Path:
    path = TOOLS / name / "bin" / name
    if not path.exists():
        pytest.skip(f"{name} is not installed: make template-tools")
    return path


def _http_template_with(found: dict[str, Any]) -> dict[str, Any]:
    [(name, definition)] = found["authorizer"].items()
    events = {
        f"Route{i}": {
            "Type": "HttpApi",
            "Properties": {
                "ApiId": {"Ref": "Api"},
                "Path": key.split()[1],
                "Method": key.split()[0],
                "Auth": auth,
            },
        }
        for i, (key, auth) in enumerate(found["routes"].items())
    }
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Backend": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "InlineCode": "def handler(e, c): ...",
                    "Handler": "index.handler",
                    "Runtime": "python3.13",
                    "Events": events,
                },
            },
            "Api": {
                "Type": "AWS::Serverless::HttpApi",
                "Properties": {"Auth": {"Authorizers": {name: definition}}},
            },
        },
    }


def test_the_http_jwt_snippet_passes_sam_validate_and_cfn_lint(tmp_path):
    plan = http_plan(tmp_path, {"version": 1, "validators": [oidc()], "routes": scoped_rules()})
    found = snippet(plan)
    assert found is not None
    assert _check_with_tools(tmp_path, _http_template_with(found)) == []


def _check_with_tools(tmp_path: Path, template: dict[str, Any] | Path) -> list[str]:
    """sam validate must pass; the cfn-lint findings are returned (one per line pair)."""
    sam, cfn_lint = _tool("sam"), _tool("cfn-lint")
    path = template if isinstance(template, Path) else tmp_path / "checked.yaml"
    if not isinstance(template, Path):
        path.write_text(yaml.safe_dump(template))
    env = {"AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"}
    validated = subprocess.run(
        [sam, "validate", "--template", path], capture_output=True, text=True, env=env, check=False
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    linted = subprocess.run([cfn_lint, path], capture_output=True, text=True, check=False)
    return [line for line in linted.stdout.splitlines() if line[:1] in ("E", "W")]


#: The pinned cfn-lint (mk/template.mk) predates REST JWT authorizers: its schema refuses
#: AWS::ApiGateway::Authorizer JwtConfiguration, and that must be the only finding.
UNKNOWN_TO_CFN_LINT = (
    "E3002 Additional properties are not allowed ('JwtConfiguration' was unexpected)"
)


def test_the_sample_passes_sam_validate_and_cfn_lint_knows_all_but_rest_jwt(tmp_path):
    assert _check_with_tools(tmp_path, SAMPLE) == [UNKNOWN_TO_CFN_LINT]


def test_the_rest_jwt_snippet_passes_sam_validate_and_cfn_lint_knows_all_but_it(tmp_path):
    found = json.loads(
        subprocess.run(
            [REPO / ".venv" / "bin" / "authorizers", "plan", SAMPLE, "--json",
             "--parameter-overrides", f"Issuer={PUBLIC}"],
            capture_output=True, text=True, check=True,
        ).stdout
    )[0]["snippet"]  # fmt: skip
    template = yaml.safe_load(SAMPLE.read_text().replace("!", "_bang_"))  # plain YAML to edit
    resources = template["Resources"]
    resources.update(found["authorizer"])
    resources["LambdaMethod"] = {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "RestApiId": {"Ref": "JwtRestApi"},
            "ResourceId": {"Ref": "ReportsResource"},
            "HttpMethod": "POST",
            "Integration": {"Type": "MOCK"},
            **found["routes"]["GET /lambda"],
        },
    }
    resources["LambdaTokenManaged"]["Properties"]["RestApiId"] = {"Ref": "JwtRestApi"}
    text = yaml.safe_dump(template).replace("_bang_", "!")
    path = tmp_path / "with-snippet.yaml"
    path.write_text(text)
    assert _check_with_tools(tmp_path, path) == [UNKNOWN_TO_CFN_LINT] * 2
