"""``authorizers idp``: a local OpenID provider on 127.0.0.1 (discovery, JWKS, ``/mint``).

For running your own template with ``authorizers serve`` against tokens you mint: point the
template's issuer parameter at the printed URL, then ``authorizers mint --issuer-url URL``
(or curl ``/mint``). ``--cognito POOL_ID`` mints Cognito-shaped tokens instead (the pool's
real ``iss``; give your validator the printed JWKS URL). Ctrl-C stops.
"""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING

from authorizers.cli import CliError, port_number

if TYPE_CHECKING:
    from authorizers.testing.idp import LocalIdp

DEFAULT_PORT = 9000  # `authorizers idp` and `serve --issuer`: a fixed port, a stable issuer URL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", "-p", type=port_number, default=DEFAULT_PORT, help="0: any free port"
    )
    parser.add_argument("--audience", default="https://api.example.test", help="generic tokens")
    parser.add_argument("--cognito", metavar="POOL_ID", help="Cognito-shaped tokens of this pool")
    parser.add_argument(
        "--client-id", action="append", metavar="ID", help="Cognito app client (repeatable)"
    )
    parser.add_argument("--key", metavar="PEM", help="sign with this private key (default: new)")


def start_idp(
    *,
    port: int,
    audience: str = "https://api.example.test",
    user_pool_id: str | None = None,
    client_ids: list[str] | None = None,
    key_path: str | None = None,
) -> LocalIdp:
    """A running :class:`LocalIdp`; usage problems become a :class:`CliError`."""
    from authorizers.cli.mint import read_private_key  # noqa: PLC0415
    from authorizers.testing.idp import LocalIdp  # noqa: PLC0415

    key = read_private_key(key_path) if key_path is not None else None
    try:
        idp = LocalIdp(
            port=port,
            audience=audience,
            user_pool_id=user_pool_id,
            client_ids=client_ids,
            private_key=key,
        )
        return idp.start()
    except ValueError as error:  # a malformed pool id, a key that fits no algorithm
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None


def banner(idp: LocalIdp) -> list[str]:
    """What to point a template at, and how to mint."""
    example = "sub=alice&token_use=access&groups=admins" if idp.pool else "sub=alice&scope=read"
    lines = [
        f"issuer (iss):  {idp.iss}",
        f"discovery:     {idp.url}/.well-known/openid-configuration",
        f"JWKS:          {idp.jwks_url}",
        f"mint:          curl -s '{idp.mint_url}?{example}'",
        f"               authorizers mint --issuer-url {idp.url} --subject alice",
    ]
    if idp.pool is not None:
        lines.append("Cognito pool: give your validator the JWKS URL above (jwks_url=...)")
    return lines


def run(args: argparse.Namespace) -> int:
    idp = start_idp(
        port=args.port,
        audience=args.audience,
        user_pool_id=args.cognito,
        client_ids=args.client_id,
        key_path=args.key,
    )
    try:
        print("\n".join(banner(idp)), flush=True)
        print("Ctrl-C stops.", flush=True)
        threading.Event().wait()
    finally:
        idp.stop()
    return 0
