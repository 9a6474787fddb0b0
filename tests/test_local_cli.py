"""``authorizers serve`` on the repository's template (the demo: tests/test_demo.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from authorizers.cli import CliError, main
from authorizers.cli.serve import describe, parameter_overrides
from authorizers.local.template import load_template
from authorizers.testing import TestIssuer

REPO = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("authorizers", path=str(Path(sys.executable).parent)) or "authorizers"


def test_serve_runs_the_template_with_parameters_and_an_env_file(tmp_path):
    issuer = TestIssuer(audience="https://api.example.test")
    with issuer.serve() as keys:
        env_file = tmp_path / "env.json"
        env_file.write_text(json.dumps({"HttpAuthorizerFunction": {"JWKS_URL": keys.jwks_url}}))
        command = [
            SCRIPT,
            "serve",
            "--port",
            "0",
            "--template",
            str(REPO / "template.yaml"),
            "--env-vars",
            str(env_file),
            "--parameter-overrides",
            f"Issuer={issuer.issuer}",
            "ParameterKey=Audience,ParameterValue=https://api.example.test",
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            banner = []
            assert process.stdout is not None and process.stderr is not None
            while not (line := process.stdout.readline()).startswith("Ctrl-C"):
                assert line, process.stderr.read()
                banner.append(line)
            url = next(line for line in banner if line.startswith("HttpApi")).split(": ")[1]
            good = {"Authorization": f"Bearer {issuer.mint()}"}
            allowed = requests.get(url.strip() + "/whoami", headers=good, timeout=10)
            denied = requests.get(url.strip() + "/whoami", timeout=10)
        finally:
            process.terminate()
            _, log = process.communicate(timeout=10)
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
    template = load_template(REPO / "template.yaml")
    lines = describe(template, "http://127.0.0.1:3000")
    assert "RestApi (rest, stage prod): http://127.0.0.1:3000/RestApi" in lines
    assert any(line.startswith("WebSocketApi") and "ws://127.0.0.1:3000" in line for line in lines)
    assert any("GET /whoami" in line and "TokenAuthorizer (rest_token" in line for line in lines)


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
