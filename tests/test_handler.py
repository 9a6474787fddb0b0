"""The generic handler ``authorizers.handler.handler``: configured at import, lean at import,
failing the init (never a request) on a broken configuration - in process, in a fresh
interpreter, and under the real Lambda bootstrap (awslambdaric) against the local Runtime API.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lambda_runtime_api import REPO, LambdaRuntimeApi, ric_python, running_function

from authorizers.authorizer import Authorizer
from authorizers.config import ConfigFieldError
from authorizers.testing import TestIssuer, assert_allows, assert_unauthorized, token_event

ISSUER = TestIssuer("https://login.example.com", audience="orders")


def jwt_config(**issuer: Any) -> dict[str, Any]:
    entry = {"issuer": ISSUER.issuer, "audience": "orders", "jwks": ISSUER.jwks, **issuer}
    return {"validators": [{"type": "jwt", "issuers": [entry]}]}


API_KEY_CONFIG = {
    "validators": [
        {"type": "api_key", "store": {"type": "dynamodb", "table": "keys", "region": "us-east-1"}}
    ]
}


@pytest.fixture
def import_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Import ``authorizers.handler`` afresh under the given environment."""

    def load(**environment: str) -> ModuleType:
        for name in ("AUTHORIZER_CONFIG", "AUTHORIZER_CONFIG_FILE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        sys.modules.pop("authorizers.handler", None)
        return importlib.import_module("authorizers.handler")

    yield load
    sys.modules.pop("authorizers.handler", None)


def test_the_handler_serves_the_configured_authorizer(import_handler: Callable[..., Any]) -> None:
    module = import_handler(AUTHORIZER_CONFIG=json.dumps(jwt_config()))
    assert isinstance(module.authorizer, Authorizer)
    event = token_event("GET /orders/1", f"Bearer {ISSUER.mint()}")
    assert_allows(module.handler(event, None), event, "POST /orders")
    assert_unauthorized(module.handler, token_event("GET /orders/1", "Bearer nope"))


def test_a_configuration_file_in_the_task_root(
    import_handler: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "authorizer.json").write_text(json.dumps(jwt_config()))
    module = import_handler(
        AUTHORIZER_CONFIG_FILE="authorizer.json", LAMBDA_TASK_ROOT=str(tmp_path)
    )
    event = token_event("GET /", f"Bearer {ISSUER.mint()}")
    assert_allows(module.handler(event, None), event)


def test_a_broken_configuration_fails_the_import(import_handler: Callable[..., Any]) -> None:
    with pytest.raises(ConfigFieldError, match=r"^validators\[0\]\.issuers\[0\]\.audience: "):
        import_handler(AUTHORIZER_CONFIG=json.dumps(jwt_config(audience=None)))


def fresh_python(code: str, config: dict[str, Any] | None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTHORIZER_")}
    if config is not None:
        env["AUTHORIZER_CONFIG"] = json.dumps(config)
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOADED = """
import json, sys
import authorizers.handler
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize(
    ("config", "absent"),
    [
        pytest.param(
            jwt_config(jwks=None, jwks_url="https://login.example.com/jwks"),
            [
                "boto3",
                "botocore",
                "requests",
                "aws_lambda_powertools",
                "authorizers.testing",
                "authorizers.validators.api_key",
                "authorizers.cli",
            ],
            id="jwt",
        ),
        pytest.param(
            API_KEY_CONFIG,
            [
                "boto3",
                "botocore",
                "requests",
                "aws_lambda_powertools",
                "cryptography",
                "authorizers.validators.jwt",
                "authorizers.testing",
            ],
            id="api-key-dynamodb",
        ),
    ],
)
def test_importing_the_handler_loads_only_what_the_configuration_uses(
    config: dict[str, Any], absent: list[str]
) -> None:
    result = fresh_python(LOADED, config)
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "authorizers.handler" in loaded
    assert sorted(loaded & set(absent)) == []


def test_a_fresh_interpreter_reports_the_bad_field() -> None:
    result = fresh_python("import authorizers.handler", jwt_config(leway=5))
    assert result.returncode == 1
    assert "validators[0].issuers[0].leway: unknown key (did you mean 'leeway'?)" in result.stderr


# -- under the Lambda bootstrap -------------------------------------------------------------


def run_function(tmp_path: Path, config: dict[str, Any], *events: dict[str, Any]) -> list[Any]:
    """The generic handler in its own process, as Lambda runs it: this checkout and the test
    environment's packages stand in for the layer."""
    task_root = tmp_path / "task"
    task_root.mkdir()
    (task_root / "authorizer.json").write_text(json.dumps(config))
    layer_dirs = [REPO, Path(sysconfig.get_paths()["purelib"])]
    with (
        LambdaRuntimeApi() as api,
        running_function(
            ric_python(),
            "authorizers.handler.handler",
            api,
            task_root=task_root,
            layer_dirs=layer_dirs,
            log_path=tmp_path / "function.log",
            env={"AUTHORIZER_CONFIG_FILE": "authorizer.json"},
        ),
    ):
        return [api.invoke(event) for event in events]


def test_the_lambda_bootstrap_runs_the_generic_handler(tmp_path: Path) -> None:
    token = ISSUER.mint(subject="carol")
    allowed, refused = run_function(
        tmp_path,
        jwt_config(),
        token_event("GET /orders", f"Bearer {token}"),
        token_event("GET /orders", f"Bearer {ISSUER.mint_broken('expired')}"),
    )
    assert allowed.result["principalId"] == "carol"
    assert refused.error["errorMessage"] == "Unauthorized"
    assert token not in (tmp_path / "function.log").read_text()


def test_the_lambda_bootstrap_reports_a_broken_configuration_as_an_init_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(RuntimeError, match=r"validators\[0\]\.issuers\[0\]\.audience: required"):
        run_function(tmp_path, jwt_config(audience=None), token_event("GET /", "Bearer x"))
