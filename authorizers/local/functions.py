"""Run a template's Lambda functions in this process, each as if in its own environment.

Each function's handler module is imported afresh under a private name (two functions with
an ``app.py`` never share a module), with the function's code folder and layers on
``sys.path`` and its environment variables set - at import (its init phase: most
authorizers read their settings there) and again for every invocation. ``os.environ`` is one
per process, so invocations take turns (one lock); a local gateway needs correctness more
than parallelism. What a function prints is its log: captured, passed to ``output`` line by
line, and kept on the :class:`Invocation` (the authorizer's decision line names its reason).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from authorizers.cli.invoke import LambdaContext
from authorizers.errors import ConfigurationError
from authorizers.local.model import FunctionSpec
from authorizers.testing import events

#: Receives ``(function logical id, one line the function printed)``.
Output = Callable[[str, str], None]


class FunctionError(Exception):
    """The function could not run (no code, import failure, timeout): API Gateway's 5xx."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """One run of a function: what it returned or raised, what it printed, how long it took."""

    function_id: str
    value: Any = field(repr=False)  # an authorizer's answer may carry the API key
    error: BaseException | None
    logs: tuple[str, ...]
    duration_ms: float

    def result(self) -> Any:
        """The return value, or the exception raised again (for callers that expect one)."""
        if self.error is not None:
            raise self.error
        return self.value


class _Context(LambdaContext):
    """The Lambda context object, with the function's own name, memory and deadline."""

    def __init__(self, spec: FunctionSpec) -> None:
        super().__init__()
        self.function_name = spec.logical_id
        self.memory_limit_in_mb = spec.memory_mb
        self.invoked_function_arn = (
            f"arn:aws:lambda:{events.REGION}:{events.ACCOUNT_ID}:function:{spec.logical_id}"
        )
        self.log_group_name = f"/aws/lambda/{spec.logical_id}"
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _where(error: BaseException) -> str:
    """The exception type and the line that raised it; never its message (it may hold a
    token)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} at {Path(last.filename).name}:{last.lineno}"


def _forget_modules(folder: Path) -> None:
    """Drop the modules loaded from ``folder`` (never this package's own: a CodeUri of ``.``
    in a clone of this repository must not unload the gateway running it)."""
    own = Path(__file__).resolve().parents[1]
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin is None:
            continue
        path = Path(origin).resolve()
        if path.is_relative_to(folder.resolve()) and not path.is_relative_to(own):
            del sys.modules[name]


class FunctionRunner:
    """Imports (once, lazily) and invokes the functions of a template."""

    def __init__(self, functions: Mapping[str, FunctionSpec], *, output: Output | None = None):
        self.functions = dict(functions)
        self.output = output
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._lock = threading.RLock()

    def invoke(self, function_id: str, event: Mapping[str, Any]) -> Invocation:
        """Run the function on ``event``; never raises (a failure is on the Invocation)."""
        spec = self.functions.get(function_id)
        started = time.monotonic()
        buffer = io.StringIO()
        value: Any = None
        error: BaseException | None = None
        with self._lock:
            try:
                if spec is None:
                    raise FunctionError(f"no function {function_id!r} in the template")
                with self._environment(spec), contextlib.redirect_stdout(buffer):
                    handler = self._handler(spec)
                    value = handler(dict(event), _Context(spec))
            except Exception as raised:
                error = raised
        duration_ms = (time.monotonic() - started) * 1000
        if spec is not None and error is None and duration_ms > spec.timeout_seconds * 1000:
            error = FunctionError(f"Task timed out after {spec.timeout_seconds:.2f} seconds")
        logs = tuple(buffer.getvalue().splitlines())
        if error is not None and not (type(error) is Exception and str(error) == "Unauthorized"):
            detail = str(error) if isinstance(error, FunctionError) else _where(error)
            logs += (f"[ERROR] {detail}",)
        if self.output is not None:
            for line in logs:
                self.output(function_id, line)
        return Invocation(function_id, value, error, logs, duration_ms)

    def reset(self, function_ids: Iterable[str]) -> None:
        """Forget these functions' loaded code, as a code update does to Lambda's execution
        environments: the next invocation runs the init phase again, from the files as they
        are now (modules imported from the function's own folder are dropped too)."""
        with self._lock:
            for function_id in function_ids:
                self._handlers.pop(function_id, None)
                spec = self.functions.get(function_id)
                if spec is not None and spec.code_uri is not None:
                    _forget_modules(spec.code_uri)

    # -- loading ----------------------------------------------------------------------------

    def _handler(self, spec: FunctionSpec) -> Callable[..., Any]:
        handler = self._handlers.get(spec.logical_id)
        if handler is None:
            handler = self._load(spec)
            self._handlers[spec.logical_id] = handler
        return handler

    def _load(self, spec: FunctionSpec) -> Callable[..., Any]:
        module_name, _, attribute = spec.handler.rpartition(".")
        if not module_name or not attribute:
            raise FunctionError(
                f"{spec.logical_id}: Handler {spec.handler!r} is not module.function"
            )
        if spec.code_uri is None:
            raise FunctionError(f"{spec.logical_id}: only CodeUri functions can run locally")
        folders = [spec.code_uri, *spec.import_paths]
        for folder in reversed(folders):  # the function's own folder ends up first
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))
        module = self._import(spec, module_name, folders)
        target = getattr(module, attribute, None)
        if not callable(target):
            raise FunctionError(f"{spec.logical_id}: {spec.handler} is not a function")
        return target  # type: ignore[no-any-return]

    def _import(self, spec: FunctionSpec, module_name: str, folders: list[Path]) -> ModuleType:
        """The handler's module, executed afresh under a private name: from the function's
        folders first, else wherever this interpreter finds it (a layer-provided handler such
        as ``authorizers.handler``)."""
        relative = Path(*module_name.split("."))
        candidates = [f / relative.with_suffix(".py") for f in folders]
        candidates += [f / relative / "__init__.py" for f in folders]
        origin = next((c for c in candidates if c.is_file()), None)
        if origin is None:
            found = importlib.util.find_spec(module_name)
            if found is None or found.origin is None:
                raise FunctionError(f"{spec.logical_id}: no module {module_name!r}")
            origin = Path(found.origin)
        private = f"_local_{spec.logical_id}_{module_name.replace('.', '_')}"
        loader_spec = importlib.util.spec_from_file_location(private, origin)
        if loader_spec is None or loader_spec.loader is None:
            raise FunctionError(f"{spec.logical_id}: cannot load {origin.name}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[private] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as error:
            del sys.modules[private]
            # A configuration error says what to fix and is credential-free by contract;
            # anything else is shown by type and line only.
            shown = (
                f"{_where(error)}: {error}"
                if isinstance(error, ConfigurationError)
                else _where(error)
            )
            raise FunctionError(f"{spec.logical_id}: init failed: {shown}") from error
        return module

    @contextlib.contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        saved = dict(os.environ)
        os.environ.update(
            {
                "AWS_REGION": events.REGION,
                "AWS_DEFAULT_REGION": events.REGION,
                "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "LAMBDA_TASK_ROOT": str(spec.code_uri or ""),
                "_HANDLER": spec.handler,
                **spec.environment,
            }
        )
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)
