"""``authorizers mint``: development tokens signed by a local key, and the JWKS to check them.

The token goes to stdout alone (``TOKEN=$(authorizers mint ...)``); notes go to stderr. A key
that is generated and neither saved nor published is reported: nobody could verify its tokens.
``--cognito POOL_ID`` mints Cognito-shaped tokens; ``--issuer-url`` asks a running
``authorizers idp`` instead (it holds the key). ``--save-key`` never replaces a key file
unless ``--force``: the tokens it signed would stop verifying.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from authorizers.cli import EXIT_OK, CliError, parse_pairs, read_json
from authorizers.testing.issuer import (
    KEY_TYPES,
    BrokenToken,
    PrivateKey,
    TestIssuer,
    load_private_key,
)

TOKEN_USES = ("access", "id", "m2m")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    key = parser.add_argument_group("key")
    key.add_argument("--key", metavar="PEM", help="sign with this private key (default: generate)")
    key.add_argument("--key-type", choices=KEY_TYPES, default="RSA", help="for a generated key")
    key.add_argument("--alg", help="RS256 (default for RSA), PS256, ES256/384/512, EdDSA...")
    key.add_argument("--kid", help="key id (default: the RFC 7638 thumbprint)")
    key.add_argument("--save-key", metavar="PEM", help="write the private key here (mode 0600)")
    key.add_argument("--force", action="store_true", help="let --save-key replace a file")
    key.add_argument("--jwks-out", metavar="FILE", help="write the public JWK Set here")
    key.add_argument(
        "--issuer-url", metavar="URL", help="mint from a running `authorizers idp` (it signs)"
    )
    claims = parser.add_argument_group("claims")
    claims.add_argument("--issuer", default="https://issuer.example.test")
    claims.add_argument("--audience", action="append", help="repeatable; default: the example")
    claims.add_argument("--no-audience", action="store_true", help="leave 'aud' out")
    claims.add_argument("--subject", default=None, help="default user-1 (Cognito: alice)")
    claims.add_argument("--scope", action="append", help="repeatable; joined with spaces")
    claims.add_argument("--group", action="append", help="repeatable (Cognito: cognito:groups)")
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
    cognito = parser.add_argument_group("Cognito preset")
    cognito.add_argument("--cognito", metavar="POOL_ID", help="a Cognito user pool's token")
    cognito.add_argument("--token-use", choices=TOKEN_USES, default="access")
    cognito.add_argument("--client-id", help="the app client (default: an example id)")
    parser.add_argument(
        "--broken", choices=[kind.value for kind in BrokenToken], help="a deliberately bad token"
    )


def read_private_key(path: str) -> PrivateKey:
    """An unencrypted PEM private key from a file, or a :class:`CliError`."""
    try:
        with open(path, "rb") as file:
            return load_private_key(file.read())
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    except (ValueError, TypeError) as error:
        raise CliError(f"{path} is not an unencrypted PEM private key: {error}") from None


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


def _write(path: str, data: bytes, *, private: bool = False, replace: bool = True) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL)
    try:
        descriptor = os.open(path, flags, 0o600 if private else 0o644)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None


def _exists(path: str) -> CliError:
    return CliError(f"{path} exists: pass --force to replace it (its tokens stop verifying)")


def _generic(args: argparse.Namespace, claims: dict[str, Any], key: PrivateKey | None) -> Any:
    audience = None if args.no_audience else (args.audience or ["https://api.example.test"])
    if args.group:
        claims = {"groups": args.group, **claims}
    issuer = TestIssuer(
        args.issuer,
        key_type=None if key else args.key_type,
        alg=args.alg,
        audience=audience[0] if audience and len(audience) == 1 else audience,
        private_key=key,
        kid=args.kid,
    )
    options: dict[str, Any] = {
        "subject": args.subject or "user-1",
        "scope": args.scope,
        "expires_in": args.expires_in,
        "headers": _pairs(args.header, "--header"),
    }
    if args.broken:
        return issuer, issuer.mint_broken(args.broken, claims, **options)
    return issuer, issuer.mint(claims, **options)


def _cognito(args: argparse.Namespace, claims: dict[str, Any], key: PrivateKey | None) -> Any:
    from authorizers.testing.cognito import DEFAULT_CLIENT_ID, CognitoTestIssuer  # noqa: PLC0415

    clients = [args.client_id or DEFAULT_CLIENT_ID]
    pool = CognitoTestIssuer(args.cognito, clients, private_key=key)
    options: dict[str, Any] = {"claims": claims, "broken": args.broken}
    options["expires_in"] = args.expires_in
    if args.scope and args.token_use != "id":
        options["scopes"] = args.scope
    if args.token_use == "m2m":
        return pool.access_keys, pool.m2m_token(**options)
    user, groups = args.subject or "alice", args.group or ()
    if args.token_use == "id":
        return pool.id_keys, pool.id_token(user, groups=groups, **options)
    return pool.access_keys, pool.access_token(user, groups=groups, **options)


def _from_idp(args: argparse.Namespace, claims: dict[str, Any]) -> str:
    """Ask a running local IdP (loopback only: a mint endpoint never leaves this machine)."""
    from urllib.error import HTTPError, URLError  # noqa: PLC0415
    from urllib.parse import urlencode, urlsplit  # noqa: PLC0415
    from urllib.request import urlopen  # noqa: PLC0415

    url = urlsplit(args.issuer_url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise CliError("--issuer-url must be a local IdP: http://127.0.0.1:<port>")
    if args.key or args.save_key or args.jwks_out or args.alg or args.kid or args.header:
        raise CliError("--issuer-url: the local IdP holds the key; drop --key/--save-key/...")
    query: list[tuple[str, str]] = [("expires_in", str(args.expires_in))]
    query += [("sub", args.subject)] if args.subject else []
    query += [("scope", scope) for scope in args.scope or ()]
    query += [("groups", group) for group in args.group or ()]
    query += [("aud", aud) for aud in args.audience or ()]
    query += [("claims", json.dumps(claims))] if claims else []
    query += [("broken", args.broken)] if args.broken else []
    if args.cognito or args.client_id or args.token_use != "access":
        query += [("token_use", args.token_use)]
        query += [("client_id", args.client_id)] if args.client_id else []
    target = f"{args.issuer_url.rstrip('/')}/mint?{urlencode(query)}"
    try:
        with urlopen(target, timeout=5) as response:  # noqa: S310 - http on loopback, checked
            return str(response.read(64 * 1024).decode().strip())
    except HTTPError as error:
        detail = error.read(1024).decode(errors="replace").strip()
        raise CliError(f"the IdP at {args.issuer_url} refused: {detail}") from None
    except (URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CliError(f"no IdP at {args.issuer_url} ({reason}): run `authorizers idp`") from None


def run(args: argparse.Namespace) -> int:
    claims = _claims(args)
    if args.issuer_url:
        print(_from_idp(args, claims))
        return EXIT_OK
    if args.save_key and not args.force and os.path.lexists(args.save_key):
        raise _exists(args.save_key)  # before minting: nothing is half done
    key = read_private_key(args.key) if args.key else None
    try:
        issuer, token = _cognito(args, claims, key) if args.cognito else _generic(args, claims, key)
    except ValueError as error:
        raise CliError(str(error)) from None
    if args.save_key:
        _write(args.save_key, issuer.key.private_pem(), private=True, replace=args.force)
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
