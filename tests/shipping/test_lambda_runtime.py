"""The real Lambda Python bootstrap (``awslambdaric``) runs the sample authorizer from the layer,
against the local Runtime API stand-in: handler resolution, JSON marshalling, and the 401
contract (the error message ``Unauthorized``) through the client the Lambda runtimes use.

``make lambda-runtime-tools`` installs awslambdaric into ``.tools/awslambdaric-X.Y`` (one venv
per local Python version); without it those tests skip - tests never reach a package index.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from lambda_runtime_api import (
    PREFIX,
    LambdaRuntimeApi,
    local_target,
    offline,
    python_version_of_layer,
    ric_python,
    running_function,
    sam_built_layer,
    write_sample_handler,
)

from authorizers import layer
from authorizers.testing.issuer import TestIssuer

ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/live/POST/orders"


@pytest.fixture(scope="module")
def local_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layer")
    return offline(layer.build_layer, local_target(), out, as_zip=False).path  # type: ignore[no-any-return]


# -- the stand-in on its own ----------------------------------------------------------------


def _http(method: str, url: str, body: bytes | None = None, **headers: str) -> Any:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # 127.0.0.1 only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_stand_in_serves_an_event_and_collects_the_response() -> None:
    with LambdaRuntimeApi(timeout_ms=2000) as api:
        base = f"http://{api.address}{PREFIX}"
        seen: dict[str, Any] = {}

        def function() -> None:
            status, headers, body = _http("GET", f"{base}/invocation/next")
            seen.update(status=status, headers=headers, event=json.loads(body))
            request_id = headers["Lambda-Runtime-Aws-Request-Id"]
            answer = json.dumps({"echo": seen["event"]}).encode()
            seen["posted"] = _http("POST", f"{base}/invocation/{request_id}/response", answer)[0]

        worker = threading.Thread(target=function)
        worker.start()
        outcome = api.invoke({"type": "TOKEN"})
        worker.join(timeout=10)
    assert seen["status"] == 200
    assert seen["posted"] == 202
    assert outcome.result == {"echo": {"type": "TOKEN"}}
    assert seen["headers"]["Lambda-Runtime-Aws-Request-Id"] == outcome.request_id
    assert seen["headers"]["Lambda-Runtime-Invoked-Function-Arn"].startswith("arn:aws:lambda:")
    assert int(seen["headers"]["Lambda-Runtime-Deadline-Ms"]) > 0


def test_stand_in_takes_errors_and_refuses_unknown_requests() -> None:
    with LambdaRuntimeApi() as api:
        base = f"http://{api.address}{PREFIX}"
        error = json.dumps({"errorMessage": "Unauthorized", "errorType": "Exception"}).encode()
        assert _http("POST", f"{base}/invocation/nope/error", error)[0] == 400
        assert _http("GET", f"{base}/invocation/other")[0] == 404
        assert _http("POST", f"{base}/init/error", error)[0] == 202
        with pytest.raises(RuntimeError, match="failed to initialise"):
            api.invoke({"type": "TOKEN"}, timeout=5)


# -- awslambdaric running the sample authorizer ---------------------------------------------


def round_trip(python: str, layer_dir: Path, tmp_path: Path) -> None:
    """One function process, as Lambda runs it, answering a good and a bad token."""
    issuer = TestIssuer(issuer="https://login.example.test/", audience="orders-api")
    handler = write_sample_handler(tmp_path / "task")
    env = {
        "AUTHZ_ISSUER": issuer.issuer,
        "AUTHZ_AUDIENCE": "orders-api",
        "AUTHZ_JWKS": json.dumps(issuer.jwks),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python_version_of_layer(layer_dir)}",
    }
    log = tmp_path / "function.log"
    with (
        LambdaRuntimeApi() as api,
        running_function(
            python,
            handler,
            api,
            task_root=tmp_path / "task",
            layer_dirs=[layer_dir],
            log_path=log,
            env=env,
        ),
    ):
        token = issuer.mint(subject="carol", scope="orders:write")
        allowed = api.invoke(
            {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": ARN}
        )
        expired = api.invoke(
            {
                "type": "TOKEN",
                "methodArn": ARN,
                "authorizationToken": f"Bearer {issuer.mint_broken('expired')}",
            }
        )
    output = log.read_text()
    assert allowed.error is None, output
    assert allowed.result["principalId"] == "carol"
    [statement] = allowed.result["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/live/*"]
    assert expired.result is None
    assert expired.error is not None
    assert expired.error["errorMessage"] == "Unauthorized"  # API Gateway's 401 contract
    assert expired.error["errorType"] == "Exception"
    assert token not in output  # the function logs decisions, never credentials


def test_awslambdaric_runs_the_sample_authorizer(local_layer: Path, tmp_path: Path) -> None:
    round_trip(ric_python(), local_layer, tmp_path)


def test_a_handler_that_cannot_be_imported_is_an_init_error(
    local_layer: Path, tmp_path: Path
) -> None:
    python = ric_python()
    (tmp_path / "task").mkdir()
    with (
        LambdaRuntimeApi() as api,
        running_function(
            python,
            "no_such_module.handler",
            api,
            task_root=tmp_path / "task",
            layer_dirs=[local_layer],
            log_path=tmp_path / "function.log",
        ),
        pytest.raises(RuntimeError, match=r"Runtime\.ImportModuleError"),
    ):
        api.invoke({"type": "TOKEN"})


def test_sam_built_layer_under_awslambdaric(tmp_path: Path) -> None:
    built = sam_built_layer()
    round_trip(ric_python(python_version_of_layer(built)), built, tmp_path)
