"""A local stand-in for the AWS Lambda Runtime API, so the real Python bootstrap can run here.

The Runtime Interface Emulator is not installable from a package registry and needs no more
than this: ``awslambdaric`` (the bootstrap Lambda itself runs) long-polls
``GET /2018-06-01/runtime/invocation/next`` and posts each result or error back. Serving those
few routes on 127.0.0.1 exercises handler resolution, JSON marshalling, the context object and
the error contract ("Unauthorized" must reach API Gateway as the error message) without Docker.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from authorizers import layer
from authorizers.layer import LayerBuildError, LayerTarget

PREFIX = "/2018-06-01/runtime"
FUNCTION_NAME = "authorizer"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass(frozen=True)
class Outcome:
    """What the function posted for one invocation: a result, or an error document."""

    request_id: str
    result: Any = None
    error: Mapping[str, Any] | None = None
    error_type: str | None = None


class _Pending:
    def __init__(self, request_id: str, body: bytes) -> None:
        self.request_id = request_id
        self.body = body
        self.done = threading.Event()
        self.outcome: Outcome | None = None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A function process killed mid-poll resets its connection: expected, not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LambdaRuntimeApi:
    """Serve invocations to one function process; ``invoke`` blocks until it answers.

    Use as a context manager. Listens on 127.0.0.1 with an ephemeral port (``address``).
    """

    def __init__(self, timeout_ms: int = 3000) -> None:
        self.timeout_ms = timeout_ms
        self.init_error: Mapping[str, Any] | None = None
        self.served_headers: list[dict[str, str]] = []
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._pending: dict[str, _Pending] = {}
        self._init_failed = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> LambdaRuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)  # release a long-poll still waiting
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def invoke(self, event: Any, timeout: float = 20.0) -> Outcome:
        """Queue ``event`` for the function and wait for what it posts back."""
        pending = _Pending(str(uuid.uuid4()), json.dumps(event).encode())
        self._pending[pending.request_id] = pending
        self._queue.put(pending)
        deadline = time.monotonic() + timeout
        while not pending.done.wait(0.05):
            if self._init_failed.is_set():
                raise RuntimeError(f"function failed to initialise: {self.init_error}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer for invocation {pending.request_id}")
        assert pending.outcome is not None
        return pending.outcome

    def _next(self) -> tuple[_Pending | None, dict[str, str]]:
        pending = self._queue.get()
        if pending is None:
            self._queue.put(None)  # keep releasing later polls too
            return None, {}
        headers = {
            "Lambda-Runtime-Aws-Request-Id": pending.request_id,
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + self.timeout_ms),
            "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
            "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
            "Content-Type": "application/json",
        }
        self.served_headers.append(headers)
        return pending, headers

    def _complete(self, request_id: str, outcome: Outcome) -> bool:
        pending = self._pending.pop(request_id, None)
        if pending is None:
            return False
        pending.outcome = outcome
        pending.done.set()
        return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # the native client keeps connections alive

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _reply(
                self, status: HTTPStatus, body: bytes, headers: Mapping[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(HTTPStatus.NOT_FOUND, b'{"errorType":"InvalidRequest"}')
                    return
                pending, headers = api._next()
                if pending is None:
                    self._reply(HTTPStatus.GONE, b'{"errorType":"RuntimeShuttingDown"}')
                else:
                    self._reply(HTTPStatus.OK, pending.body, headers)

            def do_POST(self) -> None:
                body = self._body()
                parts = self.path.removeprefix(PREFIX).strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = json.loads(body or b"{}")
                    api._init_failed.set()
                    self._reply(HTTPStatus.ACCEPTED, b'{"status":"OK"}')
                    return
                if (
                    len(parts) != 3
                    or parts[0] != "invocation"
                    or parts[2]
                    not in {
                        "response",
                        "error",
                    }
                ):
                    self._reply(HTTPStatus.NOT_FOUND, b'{"errorType":"InvalidRequest"}')
                    return
                request_id, kind = parts[1], parts[2]
                if kind == "response":
                    outcome = Outcome(request_id, result=json.loads(body))
                else:
                    error_type = self.headers.get(ERROR_TYPE_HEADER)
                    outcome = Outcome(request_id, error=json.loads(body), error_type=error_type)
                if api._complete(request_id, outcome):
                    self._reply(HTTPStatus.ACCEPTED, b'{"status":"OK"}')
                else:
                    self._reply(HTTPStatus.BAD_REQUEST, b'{"errorType":"InvalidRequestID"}')

        return Handler


def lambda_environment(api: LambdaRuntimeApi, task_root: Path) -> dict[str, str]:
    """The variables the Lambda service sets for a function process (no AWS credentials)."""
    return {
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION_NAME}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LANG": "C.UTF-8",
    }


@contextmanager
def running_function(
    python: str,
    handler: str,
    api: LambdaRuntimeApi,
    *,
    task_root: Path,
    layer_dirs: Sequence[Path],
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python -m awslambdaric <handler>`` as Lambda would: the task root is the working
    directory, layers come through PYTHONPATH, output goes to ``log_path`` (a pipe nobody reads
    could fill up and stall the function). The process is killed by its PID on exit."""
    environment = lambda_environment(api, task_root)
    environment["PYTHONPATH"] = ":".join(str(path) for path in layer_dirs)
    environment.update(env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", "awslambdaric", handler],
            cwd=task_root,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait(timeout=10)


#: A minimal TOKEN authorizer built from the framework's public pieces, configured through the
#: environment (issuer, audience, public JWK Set) the way a deployed function would be.
SAMPLE_HANDLER_MODULE = "token_authorizer"
SAMPLE_HANDLER_SOURCE = """\
import json
import os

from authorizers import Authorizer, JwtValidator
from authorizers.jwks import StaticJwks

authorizer = Authorizer(
    JwtValidator(
        issuer=os.environ["AUTHZ_ISSUER"],
        audience=os.environ["AUTHZ_AUDIENCE"],
        keys=StaticJwks(json.loads(os.environ["AUTHZ_JWKS"])),
    )
)
handler = authorizer.handler
"""


def write_sample_handler(task_root: Path) -> str:
    """Write the sample authorizer into ``task_root``; returns its Lambda handler string."""
    task_root.mkdir(parents=True, exist_ok=True)
    (task_root / f"{SAMPLE_HANDLER_MODULE}.py").write_text(SAMPLE_HANDLER_SOURCE)
    return f"{SAMPLE_HANDLER_MODULE}.handler"


# -- where the layer under test comes from --------------------------------------------------

#: This machine's CPU in Lambda's words (x86_64 or arm64).
LOCAL_ARCH = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
LOCAL_VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"
REPO = Path(__file__).resolve().parents[1]


def ric_python(version: str = LOCAL_VERSION) -> str:
    """The interpreter of ``make lambda-runtime-tools``' awslambdaric venv for ``version``
    (skips the test where it is not installed: ``make check-template`` installs it)."""
    venv = REPO / ".tools" / f"awslambdaric-{version}"
    if not (venv / ".installed").is_file():
        pytest.skip(f"awslambdaric for Python {version} not installed (make lambda-runtime-tools)")
    return str(venv / "bin" / "python")


def local_target() -> LayerTarget:
    """The layer target of this interpreter and CPU (skips where Lambda has no such runtime)."""
    if f"python{LOCAL_VERSION}" not in layer.RUNTIMES or LOCAL_ARCH not in layer.ARCHITECTURES:
        pytest.skip(f"no Lambda runtime for Python {LOCAL_VERSION} on {LOCAL_ARCH}")
    return LayerTarget(f"python{LOCAL_VERSION}", LOCAL_ARCH)


def offline(build: Any, *args: Any, **kwargs: Any) -> Any:
    """``build(*args, offline=True, **kwargs)``, skipping the test where the wheel cache is
    not filled (``make check-template`` fills it with ``make layer-wheels``)."""
    try:
        return build(*args, offline=True, **kwargs)
    except LayerBuildError as error:
        pytest.skip(f"wheel cache not filled (make layer-wheels): {error}")


def sam_built_layer_dir() -> Path | None:
    """The layer ``sam build`` produced, when ``make check-template`` says where."""
    location = os.environ.get("AUTHORIZERS_SAM_LAYER")
    return Path(location).resolve() if location else None


def sam_built_layer() -> Path:
    """The layer ``sam build`` produced (skips outside ``make check-template``)."""
    built = sam_built_layer_dir()
    if built is None:
        pytest.skip("AUTHORIZERS_SAM_LAYER not set (make check-template sets it)")
    return built


def python_version_of_layer(layer_dir: Path) -> str:
    """The Python a built layer is for, read off its version-specific cffi extension."""
    [backend] = layer_dir.glob("_cffi_backend.cpython-3*.so")
    digits = backend.name.split(".")[1].split("-")[1]  # "cpython-313-x86_64-..." -> "313"
    return f"{digits[0]}.{digits[1:]}"
