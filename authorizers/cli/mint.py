"""``authorizers mint``: development tokens signed by a local key, and the JWKS to check them.

The token goes to stdout alone (``TOKEN=$(authorizers mint ...)``); notes go to stderr. A key
that is generated and neither saved nor published is reported: nobody could verify its tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from authorizers.cli import EXIT_OK, CliError, parse_pairs, read_json
from authorizers.testing.issuer import KEY_TYPES, BrokenToken, TestIssuer, load_private_key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    key = parser.add_argument_group("key")
    key.add_argument("--key", metavar="PEM", help="sign with this private key (default: generate)")
    key.add_argument("--key-type", choices=KEY_TYPES, default="RSA", help="for a generated key")
    key.add_argument("--alg", help="RS256 (default for RSA), PS256, ES256/384/512, EdDSA...")
    key.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    key.add_argument("--save-key", metavar="PEM", help="write the private key here (mode 0600)")
    key.add_argument("--jwks-out", metavar="FILE", help="write the public JWK Set here")
    claims = parser.add_argument_group("claims")
    claims.add_argument("--issuer", default="https://issuer.example.test")
    claims.add_argument("--audience", action="append", help="repeatable; default: the example")
    claims.add_argument("--no-audience", action="store_true", help="leave 'aud' out")
    claims.add_argument("--subject", default="user-1")
    claims.add_argument("--scope", action="append", help="repeatable; joined with spaces")
    claims.add_argument("--expires-in", type=int, default=3600, metavar="SECONDS")
    claims.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help='repeatable; VALUE is read as JSON when it parses (42, true, ["a"]), else text',
    )
    claims.add_argument("--claims", metavar="JSON|@FILE", help="a JSON object of claims")
    claims.add_argument("--header", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--broken", choices=[kind.value for kind in BrokenToken], help="a deliberately bad token"
    )


def _pairs(items: list[str], flag: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, text in parse_pairs(items, flag):
        try:
            result[name] = json.loads(text)
        except json.JSONDecodeError:
            result[name] = text
    return result


def _claims(args: argparse.Namespace) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if args.claims:
        if args.claims.startswith("@"):
            claims = read_json(args.claims[1:])
        else:
            try:
                claims = json.loads(args.claims)
            except json.JSONDecodeError as error:
                raise CliError(f"--claims is not valid JSON: {error}") from None
        if not isinstance(claims, dict):
            raise CliError("--claims must be a JSON object")
    return {**claims, **_pairs(args.claim, "--claim")}


def _write(path: str, data: bytes, *, private: bool = False) -> None:
    try:
        descriptor = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
        )
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def run(args: argparse.Namespace) -> int:
    claims = _claims(args)
    options: dict[str, Any] = {
        "subject": args.subject,
        "scope": args.scope,
        "expires_in": args.expires_in,
        "headers": _pairs(args.header, "--header"),
    }
    private_key = None
    if args.key:
        try:
            with open(args.key, "rb") as file:
                private_key = load_private_key(file.read())
        except OSError as error:
            raise CliError(f"cannot read {args.key}: {error.strerror}") from None
        except (ValueError, TypeError) as error:
            raise CliError(f"{args.key} is not an unencrypted PEM private key: {error}") from None
    audience = None if args.no_audience else (args.audience or ["https://api.example.test"])
    try:
        issuer = TestIssuer(
            args.issuer,
            key_type=None if args.key else args.key_type,
            alg=args.alg,
            audience=audience[0] if audience and len(audience) == 1 else audience,
            private_key=private_key,
            kid=args.kid,
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    token = (
        issuer.mint_broken(args.broken, claims, **options)
        if args.broken
        else issuer.mint(claims, **options)
    )
    if args.save_key:
        _write(args.save_key, issuer.key.private_pem(), private=True)
    if args.jwks_out:
        _write(args.jwks_out, json.dumps(issuer.jwks, indent=2).encode() + b"\n")
    print(token)
    print(f"signed with {issuer.alg}, kid {issuer.kid}", file=sys.stderr)
    if not (args.key or args.save_key or args.jwks_out):
        print(
            "note: the generated key was neither saved (--save-key) nor published (--jwks-out)",
            file=sys.stderr,
        )
    return EXIT_OK
