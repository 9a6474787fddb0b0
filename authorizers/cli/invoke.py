"""``authorizers invoke HANDLER``: run a handler on one event, show what API Gateway would
make of the response for the called route and any ``--check`` routes.

HANDLER is ``module:function``, ``file.py:function``, or a function's logical id in the SAM
``--template`` (like ``sam local invoke``: its code folder, layers and environment). The event
comes from a file (``--event``) or is generated (``--kind`` and the event options of
``authorizers events``). An exception's message is not printed (it may carry the token)
unless ``--traceback`` is given. ``--json`` prints exactly one JSON document on stdout; what
the handler prints goes to stderr. Exit code 0 when every checked route is allowed, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import sys
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authorizers.cli import EXIT_DENIED, EXIT_OK, CliError, read_json
from authorizers.cli.events import KINDS, add_event_arguments, build_event
from authorizers.cli.serve import add_template_arguments, read_template
from authorizers.cli.simulate import summary
from authorizers.errors import AuthorizerError
from authorizers.testing.simulator import ApiKind


class LambdaContext:
    """The attributes handlers (and Powertools) read from the Lambda context object."""

    function_name = "authorizer"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:authorizer"
    log_group_name = "/aws/lambda/authorizer"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "handler",
        help="'package.module:function', 'path/to/file.py:function' or a template function id",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--event", metavar="FILE", help="the event as JSON (- for stdin)")
    source.add_argument("--kind", choices=KINDS, help="generate an event of this kind")
    parser.add_argument(
        "--check",
        action="append",
        default=[],
        metavar="ROUTE",
        help="also evaluate the response for this route of the same API (repeatable)",
    )
    parser.add_argument("--api-kind", choices=[kind.value for kind in ApiKind])
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--traceback", action="store_true", help="show the handler's traceback")
    add_event_arguments(parser)
    add_template_arguments(parser.add_argument_group("template (HANDLER is a logical id)"))


def load_handler(spec: str) -> Callable[..., Any]:
    """Import ``module:attr`` (from the current directory) or ``file.py:attr``."""
    location, sep, attribute = spec.rpartition(":")
    if not sep or not location or not attribute:
        raise CliError(f"handler {spec!r} is not 'module:function' or 'file.py:function'")
    try:
        if location.endswith(".py"):
            path = Path(location).resolve()
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            if module_spec is None or module_spec.loader is None or not path.is_file():
                raise CliError(f"no such file: {location}")
            sys.path.insert(0, str(path.parent))  # its sibling modules import as in Lambda
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            sys.path.insert(0, os.getcwd())
            module = importlib.import_module(location)
    except CliError:
        raise
    except Exception as error:  # the user's module failed to import: say how, briefly
        raise CliError(f"cannot import {location}: {type(error).__name__}: {error}") from None
    target: Any = module
    for name in attribute.split("."):
        if not hasattr(target, name):
            raise CliError(f"{location} has no attribute {attribute!r}")
        target = getattr(target, name)
    if not callable(target):
        raise CliError(f"{spec} is not callable")
    return target  # type: ignore[no-any-return]


def _is_logical_id(handler: str) -> bool:
    return ":" not in handler and handler.isidentifier()


def _from_template(args: argparse.Namespace, event: dict[str, Any]) -> Any:
    """Run the template's function as the local gateway would; its log lines go to stderr."""
    from authorizers.local.functions import FunctionError, FunctionRunner  # noqa: PLC0415

    if not Path(args.template).exists():
        raise CliError(
            f"handler {args.handler!r} is not 'module:function' or 'file.py:function', "
            f"and there is no {args.template} to find a function {args.handler!r} in"
        )
    template = read_template(args)
    if args.handler not in template.functions:
        known = ", ".join(sorted(template.functions)) or "none"
        raise CliError(f"{args.template} has no function {args.handler!r} (functions: {known})")

    def log(function_id: str, line: str) -> None:
        print(f"  [{function_id}] {line}", file=sys.stderr)

    invocation = FunctionRunner(template.functions, output=log).invoke(args.handler, event)
    if isinstance(invocation.error, FunctionError):  # init failed: credential-free by contract
        raise CliError(str(invocation.error))
    return invocation.value if invocation.error is None else invocation.error


def _outcome(args: argparse.Namespace, event: dict[str, Any]) -> Any:
    from authorizers.testing.assertions import call_handler  # noqa: PLC0415

    if _is_logical_id(args.handler):
        return _from_template(args, event)
    # with --json, stdout is the document alone: what the handler prints (at import too,
    # where loggers pick their stream) goes to stderr
    quiet = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    with quiet:
        return call_handler(load_handler(args.handler), event, LambdaContext())


def run(args: argparse.Namespace) -> int:
    from authorizers.testing.simulator import simulate  # noqa: PLC0415

    event = read_json(args.event) if args.event else build_event(args.kind, args)
    if not isinstance(event, dict):
        raise CliError("the event must be a JSON object")
    outcome = _outcome(args, event)
    raised = isinstance(outcome, BaseException)
    if raised and args.traceback:
        traceback.print_exception(outcome, file=sys.stderr)
    api = event.get("methodArn") or event.get("routeArn")
    requests: list[Any] = [event, *args.check]
    try:
        results = [simulate(outcome, r, api=api, api_kind=args.api_kind) for r in requests]
    except (ValueError, AuthorizerError) as error:
        raise CliError(f"cannot evaluate: {error}") from None
    shown = f"raised {type(outcome).__name__}" if raised else outcome
    if str(outcome) == "Unauthorized" and raised:
        shown = "raised Exception('Unauthorized')"
    if args.json:
        document = {"response": shown, "results": [summary(r) for r in results]}
        print(json.dumps(document, indent=2, default=repr))
    else:
        print(shown if raised else json.dumps(outcome, indent=2, default=repr))
        for result in results:
            print(result.explain())
    return EXIT_OK if all(result.allowed for result in results) else EXIT_DENIED
