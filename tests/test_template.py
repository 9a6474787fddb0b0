"""template.yaml, checked offline for what the SAM transform and cfn-lint cannot know: that the
layer build, the authorizers' cache settings and the functions' own settings agree.

``make check-template`` runs ``sam validate``, the pinned cfn-lint and ``sam build``; the last
test here proves the pinned cfn-lint still runs the SAM transform (newer ones do not).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "template.yaml"
PSEUDO = {"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix"}
#: Resources the SAM transform generates (Auth.UsagePlan of RestApi): referable in Outputs.
GENERATED = {"RestApiUsagePlan"}
LAYERS = {"AuthorizersLayerX86": "x86_64", "AuthorizersLayerArm64": "arm64"}


class _CfnLoader(yaml.SafeLoader):
    """Reads ``!Ref X`` as ``{"Ref": X}``, ``!GetAtt A.b`` as ``{"Fn::GetAtt": [A, b]}``, ..."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)
    return document


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _walk(node: Any) -> Any:
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        yield from _walk(child)


def test_every_reference_names_something_defined(template: dict[str, Any]) -> None:
    known = set(template["Parameters"]) | set(template["Resources"]) | PSEUDO | GENERATED
    referenced: set[str] = set()
    for node in _walk(template):
        if not isinstance(node, dict):
            continue
        if "Ref" in node:
            referenced.add(node["Ref"])
        if "Fn::GetAtt" in node:
            referenced.add(node["Fn::GetAtt"][0])
        if "Fn::Sub" in node:
            found = re.findall(r"\$\{([^}!]+)\}", node["Fn::Sub"])
            referenced |= {name.split(".")[0] for name in found}
    assert referenced - known == set()
    assert {"UserPoolId", "AppClientIds", "Issuer", "Audience", "CacheTtlSeconds"} <= referenced


def test_the_layer_is_built_by_layer_makefile_for_the_functions_runtime(
    template: dict[str, Any],
) -> None:
    runtime = template["Globals"]["Function"]["Runtime"]
    assert runtime == "python3.13"
    layers = _resources(template, "AWS::Serverless::LayerVersion")
    assert set(layers) == set(LAYERS)
    makefile = (REPO / "layer" / "Makefile").read_text()
    for name, resource in layers.items():
        assert resource["Metadata"]["BuildMethod"] == "makefile"
        assert resource["Properties"]["ContentUri"] == "layer/"
        assert resource["Properties"]["CompatibleRuntimes"] == [runtime]
        assert resource["Properties"]["CompatibleArchitectures"] == [LAYERS[name]]
        assert resource["Metadata"]["BuildArchitecture"] == LAYERS[name]
        assert re.search(rf"^build-{name}:", makefile, re.MULTILINE), "SAM runs build-<LogicalId>"
    assert re.search(rf"^LAYER_RUNTIME \?= {runtime}$", makefile, re.MULTILINE)
    assert "--format dir" in makefile  # the same build as `authorizers layer build`


def test_the_functions_get_the_layer_of_their_own_cpu(template: dict[str, Any]) -> None:
    """An arm64 stack with an x86_64 layer answers 500 everywhere: the Architecture parameter
    picks the layer, and each layer resource exists only for its own CPU."""
    conditions = template["Conditions"]
    assert conditions["IsArm64"] == {"Fn::Equals": [{"Ref": "Architecture"}, "arm64"]}
    assert conditions["IsX86"] == {"Fn::Equals": [{"Ref": "Architecture"}, "x86_64"]}
    resources = template["Resources"]
    assert resources["AuthorizersLayerArm64"]["Condition"] == "IsArm64"
    assert resources["AuthorizersLayerX86"]["Condition"] == "IsX86"
    pick = {"Fn::If": ["IsArm64", {"Ref": "AuthorizersLayerArm64"}, {"Ref": "AuthorizersLayerX86"}]}
    assert template["Globals"]["Function"]["Architectures"] == [{"Ref": "Architecture"}]
    assert template["Globals"]["Function"]["Layers"] == [pick]
    assert template["Outputs"]["AuthorizersLayerArn"]["Value"] == pick
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        assert "Layers" not in function["Properties"], name  # Globals' would be appended
        assert "Architectures" not in function["Properties"], name


@pytest.mark.parametrize("target", [*LAYERS, "build-AuthorizersLayer"])
def test_layer_makefile_builds_the_cpu_its_target_names(target: str) -> None:
    """What SAM runs (``make build-<LogicalId>``, only ARTIFACTS_DIR set), as a dry run; a
    stale LAYER_ARCH in the environment cannot change a named layer's CPU."""
    expected = LAYERS.get(target, "x86_64")
    target = target if target.startswith("build-") else f"build-{target}"
    for stale in ("x86_64", "arm64"):
        dry = subprocess.run(
            ["make", "-n", "-s", "-f", str(REPO / "layer" / "Makefile"), target, "ARTIFACTS_DIR=o"],
            capture_output=True, text=True, check=True, env={**os.environ, "LAYER_ARCH": stale},
        )  # fmt: skip
        arch = re.findall(r'--arch "([^"]+)"', dry.stdout)
        assert arch == [expected if target != "build-AuthorizersLayer" else stale], dry.stdout


def test_layer_makefile_refuses_a_python_older_than_3_11(tmp_path: Path) -> None:
    """Not ``No module named 'tomllib'`` from deep inside the build: what to do instead."""
    from authorizers.layer import find_interpreter  # noqa: PLC0415

    old = next((p for v in ("3.10", "3.9", "3.8") if (p := find_interpreter(v))), None)
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    build = subprocess.run(
        ["make", "-s", "-f", str(REPO / "layer" / "Makefile"), "build-AuthorizersLayerX86",
         f"ARTIFACTS_DIR={tmp_path}", f"PYTHON={old}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert build.returncode != 0
    assert "the layer build needs 3.11+: run PYTHON=python3.11 sam build" in build.stderr
    assert "tomllib" not in build.stderr and "Traceback" not in build.stderr
    assert list(tmp_path.iterdir()) == []


def test_required_parameters_are_enforced_at_deploy_time(template: dict[str, Any]) -> None:
    """A guided deploy that keeps the defaults must fail, not create a stack that answers 500:
    Issuer and Audience have no default and refuse an empty value; a user pool needs its
    app clients (a CloudFormation Rule, checked before anything is created)."""
    parameters = template["Parameters"]
    for name in ("Issuer", "Audience"):
        assert "Default" not in parameters[name], name
        assert re.fullmatch(parameters[name]["AllowedPattern"], "") is None, name
        assert parameters[name]["ConstraintDescription"].startswith("required"), name
    issuer = re.compile(parameters["Issuer"]["AllowedPattern"])
    for good in (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A",
        "http://127.0.0.1:9000",
    ):
        assert issuer.fullmatch(good), good
    for bad in ("http://issuer.example.com", "https://", "issuer.example.com", "https://a b"):
        assert not issuer.fullmatch(bad), bad
    jwks = re.compile(parameters["JwksUrl"]["AllowedPattern"])
    assert jwks.fullmatch("") and not jwks.fullmatch("http://keys.example.com/jwks.json")
    rule = template["Rules"]["AppClientsForAUserPool"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "UserPoolId"}, ""]}]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AppClientIds"}, ""]}]}


def test_authorizer_functions_use_the_layer_and_the_sample_folders(
    template: dict[str, Any],
) -> None:
    functions = _resources(template, "AWS::Serverless::Function")
    authorizers = {name for name in functions if name.endswith("AuthorizerFunction")}
    assert len(authorizers) >= 4
    for name, function in functions.items():
        properties = function["Properties"]
        code = REPO / properties["CodeUri"]
        assert properties["CodeUri"].startswith("samples/")
        handler = properties.get("Handler", template["Globals"]["Function"]["Handler"])
        module, function_name = handler.rsplit(".", 1)
        if module.startswith("authorizers."):  # the layer's generic handler
            source = REPO / (module.replace(".", "/") + ".py")
        else:
            source = code / f"{module}.py"
        assert f"def {function_name}(" in source.read_text(), name
        # Dependencies come from the layer; a requirements.txt would make sam build need python3.13.
        assert not (code / "requirements.txt").exists()
        assert "Runtime" not in properties  # one runtime, set in Globals, matching the layer


def test_rest_token_authorizer_rejects_malformed_tokens_before_invoking(
    template: dict[str, Any],
) -> None:
    auth = template["Resources"]["RestApi"]["Properties"]["Auth"]
    identity = auth["Authorizers"]["TokenAuthorizer"]["Identity"]
    assert auth["Authorizers"]["TokenAuthorizer"]["FunctionPayloadType"] == "TOKEN"
    assert identity["Header"] == "Authorization"
    pattern = re.compile(identity["ValidationExpression"])
    assert pattern.fullmatch("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_x")
    for bad in ("Basic dXNlcjpwYXNz", "Bearer ", "Bearer a.b", "Bearer a.b.c.d", "bearer a.b.c"):
        assert not pattern.fullmatch(bad), bad


def test_cache_ttls_agree_with_what_each_authorizer_is_told(template: dict[str, Any]) -> None:
    """The TTL API Gateway caches a result for must be the one the function checks its policy
    scope against (RESULT_TTL_SECONDS), or a cached narrow policy could be replayed."""
    ttl = template["Parameters"]["CacheTtlSeconds"]
    assert (ttl["MinValue"], ttl["MaxValue"]) == (0, 3600)
    resources = template["Resources"]
    rest = resources["RestApi"]["Properties"]["Auth"]["Authorizers"]
    http = resources["HttpApi"]["Properties"]["Auth"]["Authorizers"]
    lambda_authorizers = [*rest.values(), *http.values()]
    told_ttl = 0
    for authorizer in lambda_authorizers:
        function = resources[authorizer["FunctionArn"]["Fn::GetAtt"][0]]["Properties"]
        told = function["Environment"]["Variables"].get("RESULT_TTL_SECONDS")
        if told is not None:  # code samples; the zero-code config sets its own
            told_ttl += 1
            assert told == authorizer["Identity"]["ReauthorizeEvery"]
    assert told_ttl >= 3
    websocket = resources["WebSocketAuthorizerFunction"]["Properties"]["Environment"]
    assert websocket["Variables"]["RESULT_TTL_SECONDS"] == 0  # WebSocket results are not cached


def test_request_authorizer_keys_the_cache_on_the_api_key_and_source_ip(
    template: dict[str, Any],
) -> None:
    api = template["Resources"]["RestApi"]["Properties"]
    request = api["Auth"]["Authorizers"]["RequestAuthorizer"]
    assert request["FunctionPayloadType"] == "REQUEST"
    assert request["Identity"]["Headers"] == ["x-api-key"]
    assert request["Identity"]["Context"] == ["identity.sourceIp"]
    assert api["ApiKeySourceType"] == "AUTHORIZER"
    routes = template["Resources"]["BackendFunction"]["Properties"]["Events"]
    metered = [r["Properties"]["Auth"] for r in routes.values() if "Auth" in r["Properties"]]
    assert {"Authorizer": "RequestAuthorizer", "ApiKeyRequired": True} in metered


def test_http_api_uses_payload_2_simple_responses_and_may_invoke(
    template: dict[str, Any],
) -> None:
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["EnableFunctionDefaultPermissions"] is True
    assert authorizer["Identity"]["Headers"] == ["Authorization"]


def test_websocket_connect_is_authorized_by_the_lambda(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    routes = _resources(template, "AWS::ApiGatewayV2::Route")
    connect = next(
        r["Properties"] for r in routes.values() if r["Properties"]["RouteKey"] == "$connect"
    )
    assert connect["AuthorizationType"] == "CUSTOM"
    authorizer = resources[connect["AuthorizerId"]["Ref"]]["Properties"]
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert "WebSocketAuthorizerFunction.Arn" in authorizer["AuthorizerUri"]["Fn::Sub"]
    permissions = _resources(template, "AWS::Lambda::Permission").values()
    sources = {p["Properties"]["SourceArn"]["Fn::Sub"] for p in permissions}
    assert any("/authorizers/${WebSocketAuthorizer}" in source for source in sources)
    others = [r["Properties"] for r in routes.values() if r["Properties"]["RouteKey"] != "$connect"]
    assert all("AuthorizerId" not in route for route in others)  # only $connect can have one


def test_outputs_and_serverless_repo_metadata(template: dict[str, Any]) -> None:
    assert {"RestApiUrl", "HttpApiUrl", "WebSocketUrl", "AuthorizersLayerArn"} <= set(
        template["Outputs"]
    )
    # the documented `aws apigateway create-usage-plan-key --usage-plan-id` step needs it
    assert template["Outputs"]["UsagePlanId"]["Value"] == {"Ref": "RestApiUsagePlan"}
    usage_plan = template["Resources"]["RestApi"]["Properties"]["Auth"]["UsagePlan"]
    assert usage_plan["CreateUsagePlan"] == "PER_API"  # SAM names it <ApiLogicalId>UsagePlan
    application = template["Metadata"]["AWS::ServerlessRepo::Application"]
    for key in ("Name", "Description", "Author", "SpdxLicenseId", "SemanticVersion"):
        assert application[key]
    version = application["SemanticVersion"]
    assert f'version = "{version}"' in (REPO / "pyproject.toml").read_text()


def test_pinned_cfn_lint_still_runs_the_sam_transform(tmp_path: Path) -> None:
    cfn_lint = REPO / ".tools" / "cfn-lint" / "bin" / "cfn-lint"
    if not cfn_lint.exists():
        pytest.skip("cfn-lint not installed (make template-tools)")
    broken = tmp_path / "template.yaml"
    text = TEMPLATE.read_text()
    broken.write_text(text.replace("FunctionPayloadType: REQUEST", "FunctionPayloadType: BOGUS"))
    run = [str(cfn_lint), "--format", "parseable", str(TEMPLATE), str(broken)]
    lint = subprocess.run(run, capture_output=True, text=True, check=False)  # one process: ~3 s
    findings = lint.stdout.splitlines()
    assert lint.returncode != 0
    assert [line for line in findings if line.startswith(str(broken))], lint.stdout
    assert any("FunctionPayloadType" in line for line in findings)
    assert not [line for line in findings if line.startswith(str(TEMPLATE))], lint.stdout
