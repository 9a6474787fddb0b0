"""``authorizers api-key new | hash``: issue API keys without ever storing one.

``new`` prints a fresh key (give it to the client, once) and the SHA-256 hash the key stores
are keyed by. ``hash`` reads a key from standard input - never from the command line, where
shell history and the process list would keep it - and prints its hash.
"""

from __future__ import annotations

import argparse
import json
import sys

from authorizers.cli import EXIT_OK, CliError
from authorizers.keystores.base import hash_api_key, new_api_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser("new", help="print a new random key and its hash (JSON)")
    new.add_argument("--prefix", default="", help="e.g. 'live_' to tell keys apart at a glance")
    actions.add_parser("hash", help="print the hash of the key read from standard input")


def run(args: argparse.Namespace) -> int:
    if args.action == "new":
        key, key_hash = new_api_key(prefix=args.prefix)
        print(json.dumps({"key": key, "key_hash": key_hash}))
        return EXIT_OK
    key = sys.stdin.readline().strip()
    if not key:
        raise CliError(
            'no key on standard input (try: printf %s "$KEY" | authorizers api-key hash)'
        )
    print(hash_api_key(key))
    return EXIT_OK
