"""``authorizers events [KIND]``: sample authorizer events, as API Gateway sends them.

The event options are shared with ``authorizers invoke --kind``, which builds its event here.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from authorizers.cli import EXIT_OK, CliError, parse_pairs
from authorizers.testing import events

KINDS = ("token", "request", "http-v1", "http-v2", "websocket")
SAMPLE_TOKEN = "Bearer example-token"


def add_event_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("event")
    group.add_argument("--route", default="GET /pets/1", help="'VERB /path' (default %(default)s)")
    group.add_argument(
        "--token", help=f"Authorization value as sent, e.g. 'Bearer ...' (default {SAMPLE_TOKEN!r})"
    )
    group.add_argument("--header", action="append", default=[], metavar="NAME=VALUE")
    group.add_argument("--query", action="append", default=[], metavar="NAME=VALUE")
    group.add_argument("--stage-variable", action="append", default=[], metavar="NAME=VALUE")
    group.add_argument(
        "--identity-source",
        action="append",
        metavar="EXPR",
        help="HTTP API identity sources, e.g. '$request.header.Authorization' (repeatable)",
    )
    group.add_argument("--source-ip", default=events.SOURCE_IP)
    for name in ("region", "account-id", "api-id", "stage"):
        group.add_argument(f"--{name}", help="of the API in the event's ARN")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", choices=KINDS, help="one kind (default: all of them)")
    add_event_arguments(parser)


def _pairs(items: list[str], flag: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in parse_pairs(items, flag):
        values.setdefault(name, []).append(value)
    return values


def build_event(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """The event of ``kind`` the parsed options describe."""
    token = args.token if args.token is not None else SAMPLE_TOKEN
    location = {
        name: getattr(args, name)
        for name in ("region", "account_id", "api_id", "stage")
        if getattr(args, name) is not None
    }
    headers: dict[str, Any] = {"Authorization": token} if token else {}
    headers.update(_pairs(args.header, "--header"))
    stage_variables = {k: v[-1] for k, v in _pairs(args.stage_variable, "--stage-variable").items()}
    common: dict[str, Any] = {
        "headers": headers,
        "query": _pairs(args.query, "--query"),
        "stage_variables": stage_variables,
        "source_ip": args.source_ip,
        **location,
    }
    try:
        if kind == "token":
            return events.token_event(args.route, token, **location)
        if kind == "request":
            return events.request_event(args.route, **common)
        if kind == "websocket":
            return events.websocket_connect_event(**common)
        factory = events.http_v1_event if kind == "http-v1" else events.http_v2_event
        return factory(args.route, identity_sources=args.identity_source, **common)
    except (ValueError, TypeError) as error:
        raise CliError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    if args.kind:
        document: Any = build_event(args.kind, args)
    else:
        document = {kind: build_event(kind, args) for kind in KINDS}
    print(json.dumps(document, indent=2))
    return EXIT_OK
