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
PSEUDO.add("AWS::NoValue")  # what an !If leaves out


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
    CloudFormation ``Rules`` (checked before anything is created) require Issuer and Audience,
    and a user pool's app clients; the patterns check their form."""
    rules = template["Rules"]
    required = rules["IssuerAndAudienceAreSet"]
    assert "RuleCondition" not in required
    asserted = [assertion["Assert"] for assertion in required["Assertions"]]
    assert asserted == [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]} for name in ("Issuer", "Audience")
    ]
    for assertion in required["Assertions"]:
        assert " is required - " in assertion["AssertDescription"]
    pool = rules["AppClientsForAUserPool"]
    assert pool["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "UserPoolId"}, ""]}]}
    [assertion] = pool["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AppClientIds"}, ""]}]}
    parameters = template["Parameters"]
    issuer = re.compile(parameters["Issuer"]["AllowedPattern"])
    for good in (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A",
        "http://127.0.0.1:9000",
    ):
        assert issuer.fullmatch(good), good
    for bad in ("http://issuer.example.com", "https://", "issuer.example.com", "https://a b"):
        assert not issuer.fullmatch(bad), bad
    assert not re.fullmatch(parameters["Audience"]["AllowedPattern"], "a b")
    jwks = re.compile(parameters["JwksUrl"]["AllowedPattern"])
    assert jwks.fullmatch("") and not jwks.fullmatch("http://keys.example.com/jwks.json")


def test_no_key_appears_twice_in_a_mapping() -> None:
    """YAML keeps the last of two equal keys silently: a second ``Conditions:`` section (as a
    merge can leave) would drop the first one's conditions without an error."""

    class Strict(_CfnLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        keys = [loader.construct_object(key) for key, _ in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        assert not duplicates, f"line {node.start_mark.line + 1}: {sorted(duplicates)} twice"
        return loader.construct_mapping(node, deep=True)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    assert yaml.load(TEMPLATE.read_text(), Loader=Strict)
