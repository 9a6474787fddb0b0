"""The ``authorizers`` command: ``authorizers <command> [options]``.

``authorizers --help`` must answer at once, so subcommand modules are imported only when
their command runs (and they import anything heavy only inside ``run``).

To add a subcommand, write ``authorizers/cli/<name>.py`` with ``add_arguments(parser)`` and
``run(args) -> int``, then add one line to :data:`COMMANDS` (or call :func:`register`).
Exit codes: 0 success / allowed, 1 denied or unauthorized, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

EXIT_OK = 0
EXIT_DENIED = 1
EXIT_USAGE = 2

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": (
        "authorizers.cli.simulate",
        "evaluate an authorizer response as API Gateway would",
    ),
    "invoke": ("authorizers.cli.invoke", "run an authorizer handler on an event, show the outcome"),
    "mint": ("authorizers.cli.mint", "mint development tokens, write the matching JWKS"),
    "events": ("authorizers.cli.events", "print sample authorizer events of each kind"),
    "api-key": ("authorizers.cli.api_key", "issue an API key, or hash one for a key store"),
    "revoke": ("authorizers.cli.revoke", "revoke tokens: add a jti, sign-in or subject entry"),
    "layer": ("authorizers.cli.layer", "build the Lambda layer zip for a runtime and CPU"),
    "serve": ("authorizers.cli.serve", "run a SAM template's APIs and authorizers locally"),
    "idp": ("authorizers.cli.idp", "a local OpenID provider on 127.0.0.1 that mints tokens"),
    "routes": (
        "authorizers.cli.routes",
        "the routes a template serves through an authorizer; check rules against them",
    ),
    "plan": (
        "authorizers.cli.plan",
        "which Lambda authorizers a managed JWT/Cognito authorizer could replace, and how",
    ),
    "demo": ("authorizers.cli.demo", "every answer API Gateway gives, over real HTTP on 127.0.0.1"),
}


#: optional top-level modules -> the extra that installs them
OPTIONAL_MODULES = {"yaml": "local", "boto3": "aws", "botocore": "aws", "moto": "test"}


class CliError(Exception):
    """A problem with the user's input: reported in one line, exit code 2, no traceback."""


def register(name: str, module: str, help_text: str) -> None:
    """Add a subcommand at run time (plugins); built-in ones are listed in COMMANDS."""
    COMMANDS[name] = (module, help_text)


def read_json(path: str) -> Any:
    """A JSON document from a file, or from stdin when ``path`` is ``-``."""
    try:
        if path == "-":
            return json.load(sys.stdin)
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CliError(f"{path} is not valid JSON: {error}") from None


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (any free one) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(text)


def parse_pairs(items: list[str], flag: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options, in order; anything else is a usage error."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"{flag} {item!r} is not NAME=VALUE")
        pairs.append((name, value))
    return pairs


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    from authorizers import __version__  # noqa: PLC0415 - the package root is cheap

    parser = argparse.ArgumentParser(
        prog="authorizers",
        description="Write, test and ship AWS Lambda authorizers for Amazon API Gateway.",
        epilog="Exit codes: 0 allowed/ok, 1 denied or unauthorized, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            import_module(module).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting (testable)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((arg for arg in args_list if not arg.startswith("-")), None)
    try:
        args = _parser(chosen).parse_args(args_list)
    except SystemExit as exit_:  # --help, --version, usage errors (argparse printed them)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return int(import_module(COMMANDS[args.command][0]).run(args))
    except CliError as error:
        print(f"authorizers {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ModuleNotFoundError as error:
        extra = OPTIONAL_MODULES.get((error.name or "").partition(".")[0])
        if extra is None:
            raise
        print(
            f"authorizers {args.command}: error: this needs the optional dependency "
            f"{error.name!r}: pip install 'authorizers[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. head: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
