"""``authorizers demo``: every outcome of an authorizer over real HTTP (``make demo``).

The same as ``python -m authorizers.demo``; see :mod:`authorizers.demo`.
"""

from __future__ import annotations

import argparse

from authorizers.cli import port_number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", action="store_true", help="keep serving, print curl commands")
    parser.add_argument(
        "--port", type=port_number, help="port on 127.0.0.1 (default: any; 3000 with --serve)"
    )


def run(args: argparse.Namespace) -> int:
    from authorizers.demo.stack import main  # noqa: PLC0415 - imports the gateway and the test kit

    argv = ["--serve"] if args.serve else []
    if args.port is not None:
        argv += ["--port", str(args.port)]
    return main(argv)
