"""``authorizers plan TEMPLATE``: for each Lambda authorizer built with this framework, could
an API Gateway managed authorizer (HTTP API JWT, REST JWT, REST Cognito user pools) do its
job, what would moving lose, and - where it suffices - the template snippet to move.

Nothing is invoked and nothing is fetched: zero-code configuration is read from the
function's environment, a Python authorizer's from its module-level ``AUTHORIZER_CONFIG``
(see :mod:`authorizers.plan`). ``--json`` prints the plans as data. Exit code 0.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from authorizers.cli import EXIT_OK, CliError
from authorizers.cli.serve import parameter_overrides

if TYPE_CHECKING:
    from authorizers.plan import AuthorizerPlan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", nargs="?", default="template.yaml", help="the SAM template")
    parser.add_argument(
        "--parameter-overrides", nargs="+", default=[], metavar="NAME=VALUE",
        help="template parameter values (the issuer as deployed, for instance)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the plans as JSON")


def run(args: argparse.Namespace) -> int:
    from authorizers.errors import ConfigurationError  # noqa: PLC0415
    from authorizers.local.template import load_template  # noqa: PLC0415
    from authorizers.plan import plan_template  # noqa: PLC0415

    try:
        template = load_template(
            args.template, parameter_overrides=parameter_overrides(args.parameter_overrides)
        )
        plans = plan_template(template)
    except ConfigurationError as error:
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps([as_data(plan) for plan in plans], indent=2))
    else:
        print("\n\n".join(describe(plan) for plan in plans) or "no Lambda authorizers")
    return EXIT_OK


def as_data(plan: AuthorizerPlan) -> dict[str, Any]:
    from authorizers.plan_snippet import snippet  # noqa: PLC0415

    return {
        "api": plan.spec.api_id,
        "authorizer": plan.spec.name,
        "source": plan.source,
        "managed": plan.target,
        "suffices": plan.suffices,
        "loses": list(plan.losses),
        "changes": list(plan.changes),
        "routes": [
            {"route": r.route.route_key, "scopes": list(r.scopes), "loses": list(r.losses)}
            for r in plan.routes
        ],
        "snippet": snippet(plan),
    }


def describe(plan: AuthorizerPlan) -> str:
    from authorizers.plan_snippet import render  # noqa: PLC0415

    verdict = (
        f"move to a {plan.target} authorizer" if plan.suffices else "keep the Lambda authorizer"
    )
    lines = [f"{plan.spec.api_id} {plan.spec.name} ({plan.source}): {verdict}"]
    lines += [f"  loses: {loss}" for loss in plan.losses]
    lines += [f"  changes: {change}" for change in plan.changes]
    for route in plan.routes:
        scopes = f" scopes {' '.join(route.scopes)}" if route.scopes else ""
        status = "; ".join(route.losses) if route.losses else f"ok{scopes}"
        lines.append(f"  {route.route.route_key}: {status}")
    text = render(plan)
    if text is not None:
        lines += ["  snippet:", *("    " + line for line in text.splitlines())]
    return "\n".join(lines)
