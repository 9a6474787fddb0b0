"""``authorizers serve`` on the repository's template (the demo: tests/demo/test_demo.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from helpers import REPO, SCRIPT, running_cli

from authorizers.cli import CliError, main
from authorizers.cli.serve import describe, parameter_overrides
from authorizers.local.template import load_template
from authorizers.testing import TestIssuer

#: the repository template's required parameters (its Rules refuse to serve without them)
REQUIRED = ["Issuer=https://issuer.example.test", "Audience=api"]


def test_serve_runs_the_template_with_parameters_and_an_env_file(tmp_path):
    issuer = TestIssuer(audience="https://api.example.test")
    with issuer.serve() as keys:
        env_file = tmp_path / "env.json"
        env_file.write_text(json.dumps({"HttpAuthorizerFunction": {"JWKS_URL": keys.jwks_url}}))
        arguments = ["--template", str(REPO / "template.yaml"), "--env-vars", str(env_file)]
        arguments += ["--parameter-overrides", f"Issuer={issuer.issuer}"]
        arguments += ["ParameterKey=Audience,ParameterValue=https://api.example.test"]
        with running_cli("serve", "--port", "0", *arguments) as run:
            url = run.url("HttpApi")
            good = {"Authorization": f"Bearer {issuer.mint()}"}
            allowed = requests.get(url + "/whoami", headers=good, timeout=10)
            denied = requests.get(url + "/whoami", timeout=10)
    log = run.log
    assert allowed.status_code == 200
    assert allowed.json()["context"]["user"] == issuer.claims()["sub"]
    assert denied.status_code == 401
    assert "GET /HttpApi/whoami -> 200" in log and "cache=miss" in log
    assert good["Authorization"] not in log and good["Authorization"][7:] not in log


def test_serve_usage_errors(tmp_path, capsys):
    assert main(["serve", "--template", str(tmp_path / "none.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["serve", "--parameter-overrides", "Nope=1"]) == 2  # the repo template: cwd
    with pytest.raises(CliError):
        parameter_overrides(["ParameterKey=A"])
    assert parameter_overrides(["A=1", "ParameterKey=B,ParameterValue=x=y"]) == {
        "A": "1",
        "B": "x=y",
    }


def test_describe_lists_every_route_with_its_authorizer():
    required = {"Issuer": "https://issuer.example.test", "Audience": "api"}
    template = load_template(REPO / "template.yaml", parameter_overrides=required)
    lines = describe(template, "http://127.0.0.1:3000")
    assert "RestApi (rest, stage prod): http://127.0.0.1:3000/RestApi" in lines
    assert any(line.startswith("WebSocketApi") and "ws://127.0.0.1:3000" in line for line in lines)
    assert any("GET /whoami" in line and "TokenAuthorizer (rest_token" in line for line in lines)


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


# --- no traceback for a user mistake ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "rule IssuerAndAudienceAreSet: Issuer is required"),
        (["--parameter-overrides", "Issuer=https://i.example"], "Audience is required"),
        (
            [
                "--parameter-overrides",
                "Issuer=https://i.example",
                "Audience=a",
                "UserPoolId=eu-west-1_A",
            ],
            "rule AppClientsForAUserPool: AppClientIds is required with UserPoolId",
        ),
        (["--parameter-overrides", "Architecture=ppc"], "'ppc' is not one of"),
        (["--parameter-overrides", "Architecture"], "is not NAME=VALUE"),
        (["--parameter-overrides", "ParameterKey=A"], "ParameterValue missing"),
        (["--template", "folder"], "folder: Is a directory"),
        (["--template", "binary.yaml"], "binary.yaml is not a UTF-8 text file"),
        (["--template", "broken.yaml"], "broken.yaml is not valid YAML"),
        (["--template", "odd.yaml"], "odd.yaml: cannot read this template (AttributeError"),
        (["--env-vars", "none.json", "--parameter-overrides", *REQUIRED], "cannot read none.json"),
        (["--port", "99999"], "'99999' is not a port"),
    ],
)
def test_serve_mistakes_are_one_line_without_a_traceback(
    tmp_path, capsys, monkeypatch, args, message
):
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "broken.yaml").write_text("Resources: [\n")
    (tmp_path / "odd.yaml").write_text(
        "Resources:\n  F: {Type: AWS::Serverless::Function, Properties: 5}\n"
    )
    shutil.copy(REPO / "template.yaml", tmp_path / "template.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_missing_extra_names_the_extra_to_install(tmp_path):
    """As after ``pip install .`` without ``[local]``: ``yaml`` cannot be imported."""
    script = "import sys; sys.modules['yaml'] = None\nfrom authorizers.cli import main\n"
    script += "sys.exit(main(['serve', '--template', sys.argv[1]]))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "authorizers serve: error: this needs the optional dependency 'yaml': "
        "pip install 'authorizers[local]'"
    )


# --- invoke a template function by its logical id --------------------------------------------

INVOKE_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Secret: {Type: String, Default: from-default}
Globals:
  Function: {Runtime: python3.13, Environment: {Variables: {FROM_GLOBALS: "yes"}}}
Resources:
  Authz:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: authz/
      Handler: app.handler
      Environment: {Variables: {EXPECTED: !Ref Secret}}
"""

INVOKE_HANDLER = """
import os
print("init: reading settings")

def handler(event, context):
    print("checking", context.function_name)
    good = event["authorizationToken"] == "Bearer " + os.environ["EXPECTED"]
    return {
        "principalId": os.environ["FROM_GLOBALS"],
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow" if good else "Deny", "Action": "execute-api:Invoke",
            "Resource": event["methodArn"]}]},
    }
"""


def _invoke_project(tmp_path: Path) -> None:
    (tmp_path / "authz").mkdir()
    (tmp_path / "authz" / "app.py").write_text(INVOKE_HANDLER)
    (tmp_path / "template.yaml").write_text(INVOKE_TEMPLATE)


def test_invoke_runs_a_template_function_with_its_environment(tmp_path):
    _invoke_project(tmp_path)
    base = [SCRIPT, "invoke", "Authz", "--kind", "token", "--json"]
    allowed = subprocess.run(
        [*base, "--token", "Bearer s3", "--parameter-overrides", "Secret=s3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    document = json.loads(allowed.stdout)  # exactly one JSON document: nothing else on stdout
    assert allowed.returncode == 0, allowed.stderr
    assert document["response"]["principalId"] == "yes"
    assert document["results"][0]["status"] == 200
    assert "[Authz] init: reading settings" in allowed.stderr
    assert "[Authz] checking Authz" in allowed.stderr
    denied = subprocess.run(
        [*base, "--token", "Bearer s3"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert denied.returncode == 1  # the default Secret: a Deny
    assert json.loads(denied.stdout)["results"][0]["status"] == 403


def test_invoke_json_keeps_stdout_to_one_document_for_a_module_handler(tmp_path):
    (tmp_path / "chatty.py").write_text(INVOKE_HANDLER.replace('os.environ["EXPECTED"]', '"x"'))
    result = subprocess.run(
        [SCRIPT, "invoke", "chatty.py:handler", "--kind", "token", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "FROM_GLOBALS": "env"},
    )  # fmt: skip
    assert json.loads(result.stdout)["response"]["principalId"] == "env", result.stderr
    assert "init: reading settings" in result.stderr and "checking" in result.stderr


def test_invoke_template_mistakes(tmp_path, capsys, monkeypatch):
    _invoke_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["invoke", "Nope", "--kind", "token"]) == 2
    assert "has no function 'Nope' (functions: Authz)" in capsys.readouterr().err
    (tmp_path / "authz" / "app.py").write_text("raise KeyError('SETTING')\n")
    assert main(["invoke", "Authz", "--kind", "token"]) == 2
    err = capsys.readouterr().err
    assert "Authz: init failed: KeyError at app.py:1" in err and "Traceback" not in err
