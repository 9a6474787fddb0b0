"""``authorizers simulate RESPONSE REQUEST...``: what API Gateway does with a response.

Exit code 0 when every request is allowed, 1 when any is denied, unauthorized or invalid.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from authorizers.cli import EXIT_DENIED, EXIT_OK, CliError, parse_pairs, read_json
from authorizers.testing.simulator import ActionMatching, ApiKind, ConditionHandling

if TYPE_CHECKING:
    from authorizers.testing.simulator import Result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("response", help="JSON file with the authorizer's response (- for stdin)")
    parser.add_argument(
        "requests",
        nargs="+",
        metavar="REQUEST",
        help="'GET /pets/1', a WebSocket route key like '$connect', or a full method ARN",
    )
    parser.add_argument("--api", metavar="ARN", help="an ARN of the API the routes belong to")
    parser.add_argument("--api-kind", choices=[kind.value for kind in ApiKind])
    parser.add_argument("--source-ip", help="the caller's IP, for Condition blocks")
    parser.add_argument(
        "--conditions",
        choices=[mode.value for mode in ConditionHandling],
        default=ConditionHandling.EVALUATE.value,
        help="statements with a Condition: evaluate IpAddress/StringEquals (default), or"
        " 'unmatched'; either way an unevaluated Deny applies and an unevaluated Allow does not",
    )
    parser.add_argument(
        "--condition-key",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a condition key's value, e.g. aws:UserAgent=curl/8 (repeatable)",
    )
    parser.add_argument(
        "--actions",
        choices=[mode.value for mode in ActionMatching],
        default=ActionMatching.EXACT.value,
        help="count only execute-api:Invoke (default) or IAM wildcards and case",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per request")


def run(args: argparse.Namespace) -> int:
    from authorizers.errors import MalformedEvent  # noqa: PLC0415
    from authorizers.testing.simulator import simulate  # noqa: PLC0415

    response = read_json(args.response)
    allowed = True
    for request in args.requests:
        try:
            result = simulate(
                response,
                request,
                api=args.api,
                api_kind=args.api_kind,
                source_ip=args.source_ip,
                conditions=args.conditions,
                actions=args.actions,
                condition_keys=dict(parse_pairs(args.condition_key, "--condition-key")),
            )
        except (ValueError, MalformedEvent) as error:
            raise CliError(str(error)) from None
        allowed = allowed and result.allowed
        if args.json:
            print(json.dumps({"request": request, **summary(result)}))
        else:
            print(result.explain())
    return EXIT_OK if allowed else EXIT_DENIED


def summary(result: Result) -> dict[str, Any]:
    return {
        "decision": result.decision.value,
        "status": result.status,
        "arn": result.arn,
        "api_kind": result.api_kind.value,
        "statement_index": result.statement_index,
        "principal_id": result.principal_id,
        "context": dict(result.context),
        "reasons": list(result.reasons),
        "warnings": list(result.warnings),
    }
