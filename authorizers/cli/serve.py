"""``authorizers serve``: run a SAM template's APIs locally, authorizers included.

Like ``sam local start-api`` without Docker, and with API Gateway's authorizer behaviour:
explicit Deny wins, the result cache (and its per-method-policy pitfall), 401/403/500 with
API Gateway's bodies. One log line per request on stderr; what functions print, prefixed
with their logical id. Ctrl-C stops.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from authorizers.cli import CliError, parse_pairs, port_number
from authorizers.cli.idp import DEFAULT_PORT

if TYPE_CHECKING:
    from authorizers.local.gateway import LocalGateway, RequestRecord
    from authorizers.local.model import LocalTemplate
    from authorizers.local.mtls import MutualTls


def add_template_arguments(parser: argparse._ActionsContainer) -> None:
    """``--template``, ``--env-vars``, ``--parameter-overrides`` (also used by ``invoke``)."""
    parser.add_argument("--template", "-t", default="template.yaml", help="the SAM template")
    parser.add_argument(
        "--env-vars",
        "-n",
        metavar="FILE",
        help='JSON: {"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "value"}}',
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="template parameter values (also ParameterKey=NAME,ParameterValue=VALUE)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_template_arguments(parser)
    parser.add_argument(
        "--port", "-p", type=port_number, default=3000, help="port on 127.0.0.1 (0: any)"
    )
    parser.add_argument(
        "--quiet-functions", action="store_true", help="do not show what functions print"
    )
    parser.add_argument(
        "--issuer",
        action="store_true",
        help="also run a local OpenID provider (authorizers idp) on --issuer-port",
    )
    parser.add_argument("--issuer-port", type=port_number, default=DEFAULT_PORT, metavar="PORT")
    parser.add_argument(
        "--jwks-override",
        nargs="+",
        default=[],
        metavar="ISSUER=URL",
        help="managed JWT/Cognito authorizers: the loopback JWKS URL for an issuer (or a "
        "Cognito user pool id); a loopback issuer is found by discovery",
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart a function when its code changes"
    )
    tls = parser.add_argument_group("mutual TLS (as on an API Gateway custom domain)")
    tls.add_argument("--tls-cert", metavar="PEM", help="the server certificate")
    tls.add_argument("--tls-key", metavar="PEM", help="the server private key")
    tls.add_argument(
        "--truststore", metavar="PEM", help="CA bundle client certificates must chain to"
    )


def mutual_tls(args: argparse.Namespace) -> MutualTls | None:
    """The ``--tls-*`` options: all three, or none."""
    given = [args.tls_cert, args.tls_key, args.truststore]
    if not any(given):
        return None
    if not all(given):
        raise CliError("mutual TLS needs --tls-cert, --tls-key and --truststore together")
    from pathlib import Path  # noqa: PLC0415

    from authorizers.local.mtls import MutualTls  # noqa: PLC0415

    return MutualTls(Path(args.tls_cert), Path(args.tls_key), Path(args.truststore))


def parameter_overrides(items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` items, or SAM's ``ParameterKey=NAME,ParameterValue=VALUE``."""
    pairs = []
    for item in items:
        if item.startswith("ParameterKey="):
            key, sep, value = item.removeprefix("ParameterKey=").partition(",ParameterValue=")
            if not sep:
                raise CliError(f"--parameter-overrides {item!r}: ParameterValue missing")
            pairs.append((key, value))
        else:
            pairs += parse_pairs([item], "--parameter-overrides")
    return dict(pairs)


def describe(template: LocalTemplate, base_url: str) -> list[str]:
    """One line per route: URL, method, authorizer (with its kind and cache TTL)."""
    from authorizers.local.model import ApiType  # noqa: PLC0415

    lone = len(template.apis) == 1
    lines = []
    for api_id, api in template.apis.items():
        scheme_url = base_url.replace("http://", "ws://", 1)
        base = scheme_url if api.api_type is ApiType.WEBSOCKET else base_url
        lines.append(f"{api_id} ({api.api_type.value}, stage {api.stage}): {base}/{api_id}")
        for route in template.routes_of(api_id):
            spec = template.authorizer_of(route)
            if spec is None:
                auth = "no authorizer"
            elif spec.unsupported:
                auth = f"{spec.name}: {spec.unsupported} (500)"
            elif spec.managed is not None:
                scopes = f", scopes {' '.join(route.scopes)}" if route.scopes else ""
                auth = f"{spec.name} (managed {spec.managed.kind.value}{scopes})"
            else:
                auth = f"{spec.name} ({spec.kind.value}, cache {spec.ttl_seconds} s)"
            lines.append(f"  {route.route_key:<28} {auth}")
        if lone:
            lines.append(f"  (the only API: also served at {base}/)")
    lines += [f"warning: {warning}" for warning in template.warnings]
    return lines


def rule_warnings(template: LocalTemplate) -> list[str]:
    """Where a zero-code authorizer's route rules and the template's routes disagree
    (``authorizers routes --check`` in full); never stops the gateway from starting."""
    from authorizers.errors import ConfigurationError  # noqa: PLC0415
    from authorizers.local.route_check import template_checks  # noqa: PLC0415

    try:
        checks = template_checks(template)
    except (ConfigurationError, ValueError) as error:
        return [f"warning: route rules not checked: {error}"]
    return [f"warning: {line}" for check in checks for line in check.problems()]


def build_gateway(
    template: LocalTemplate,
    *,
    quiet_functions: bool = False,
    quiet: bool = False,
    jwks_overrides: dict[str, str] | None = None,
) -> LocalGateway:
    """A gateway logging request lines (and function output) to stderr."""
    from authorizers.local.gateway import LocalGateway  # noqa: PLC0415

    def record(record: RequestRecord) -> None:
        print(record.line(), file=sys.stderr, flush=True)

    def output(function: str, line: str) -> None:
        print(f"  [{function}] {line}", file=sys.stderr, flush=True)

    return LocalGateway(
        template,
        on_record=None if quiet else record,
        output=None if quiet or quiet_functions else output,
        jwks_overrides=jwks_overrides,
    )


def run(args: argparse.Namespace) -> int:
    from authorizers.local.server import LocalServer  # noqa: PLC0415

    idp = None
    if args.issuer:
        from authorizers.cli.idp import banner, start_idp  # noqa: PLC0415

        idp = start_idp(port=args.issuer_port)
    try:
        template = read_template(args)
        tls = mutual_tls(args)
        gateway = build_gateway(
            template,
            quiet_functions=args.quiet_functions,
            jwks_overrides=dict(parse_pairs(args.jwks_override, "--jwks-override")),
        )
        try:
            server = LocalServer(gateway, port=args.port, tls=tls).start()
        except OSError as error:
            raise CliError(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror}") from None
        print("\n".join(describe(template, server.url) + rule_warnings(template)), flush=True)
        if idp is not None:
            print("local OpenID provider:\n  " + "\n  ".join(banner(idp)), flush=True)
        if args.reload:
            _watch(gateway)
        print("Ctrl-C stops.", flush=True)
        server.serve_forever()
    finally:
        if idp is not None:
            idp.stop()
    return 0


def read_template(args: argparse.Namespace) -> LocalTemplate:
    """The ``--template`` with its overrides; any problem with it is one line, no traceback."""
    from authorizers.errors import ConfigurationError  # noqa: PLC0415
    from authorizers.local.template import load_template  # noqa: PLC0415

    try:
        return load_template(
            args.template,
            parameter_overrides=parameter_overrides(args.parameter_overrides),
            env_vars=args.env_vars,
            check_rules=True,
        )
    except ConfigurationError as error:
        raise CliError(str(error)) from None
    except UnicodeDecodeError:
        raise CliError(f"{args.template} is not a UTF-8 text file") from None
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        # a template of an unexpected shape: say where to look rather than crash
        raise CliError(
            f"{args.template}: cannot read this template ({type(error).__name__}: {error}); "
            "check it with `sam validate`"
        ) from None


def _watch(gateway: LocalGateway) -> None:
    from authorizers.local.reload import CodeWatcher  # noqa: PLC0415

    def reloaded(function_ids: list[str]) -> None:
        print(f"code changed: restarted {', '.join(function_ids)}", file=sys.stderr, flush=True)

    watcher = CodeWatcher(gateway, on_reload=reloaded).start()
    print(f"--reload: watching {len(watcher.folders)} code folder(s)", flush=True)
