"""``authorizers routes TEMPLATE``: the routes served through an authorizer, or a rules check.

Without ``--check`` it writes the route-universe file (``{"version": 1, "api": ..., "routes":
[...]}``) for the authorizer named by ``--authorizer`` (``-o`` a file, else stdout). With
``--rules FILE`` it compares those rules (a zero-code configuration JSON, or a JSON list of
route keys) with the template; ``--check`` alone checks every zero-code authorizer of the
template against its own configuration (its ``routes``, and the settings that must match the
template: ``result_ttl_seconds``, ``simple_responses``). Exit code 1 when a check finds a
problem.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from authorizers.cli import EXIT_DENIED, EXIT_OK, CliError, read_json
from authorizers.cli.serve import parameter_overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template", nargs="?", default="template.yaml", help="the SAM template")
    parser.add_argument(
        "--authorizer", "-a", metavar="ID", help="the authorizer's name, or its function's id"
    )
    parser.add_argument("--api", metavar="ID", help="the API's logical id (when ambiguous)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the universe file here")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare rules with the template instead: --rules, or the authorizer's own "
        "zero-code configuration (without --authorizer: every zero-code authorizer)",
    )
    parser.add_argument(
        "--rules",
        metavar="FILE",
        help="rules to check (implies --check): a configuration JSON or a JSON list of route keys",
    )
    parser.add_argument(
        "--parameter-overrides", nargs="+", default=[], metavar="NAME=VALUE",
        help="template parameter values",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from authorizers.errors import ConfigurationError  # noqa: PLC0415
    from authorizers.local import route_check  # noqa: PLC0415
    from authorizers.local.route_universe import select_authorizer  # noqa: PLC0415
    from authorizers.local.template import load_template  # noqa: PLC0415

    try:
        template = load_template(
            args.template, parameter_overrides=parameter_overrides(args.parameter_overrides)
        )
        if args.check and not (args.rules or args.authorizer or args.api):
            checks = route_check.template_checks(template)
        elif args.check or args.rules:
            found = select_authorizer(template, args.authorizer, args.api)
            if args.rules:
                document = read_json(args.rules)
                if not isinstance(document, dict | list):
                    raise CliError(
                        f"{args.rules}: expected a configuration object or a list of route keys"
                    )
            else:
                document = route_check.zero_code_document(template, found.spec.function_id)
                if document is None:
                    raise CliError(f"{found.label} runs no zero-code configuration: give --rules")
            checks = [route_check.check_routes(found, route_check.rule_keys(document))]
        else:
            universe = select_authorizer(template, args.authorizer, args.api).universe_json()
            if args.output:
                Path(args.output).write_text(universe, encoding="utf-8")
            else:
                sys.stdout.write(universe)
            return EXIT_OK
    except (ConfigurationError, OSError) as error:
        raise CliError(str(error)) from None
    problems = [line for check in checks for line in check.problems()]
    for line in problems:
        print(line)
    if not checks:
        print("nothing to check: no authorizer of the template runs the zero-code handler")
    elif not problems:
        print(", ".join(check.label for check in checks) + ": template and rules agree")
    return EXIT_DENIED if problems else EXIT_OK
