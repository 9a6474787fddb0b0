"""A private CA with a server certificate, a JWKS server on 127.0.0.1 speaking TLS with it,
and a real forwarding CONNECT proxy on 127.0.0.1: what a VPC function behind a corporate
proxy with its own CA meets, without any traffic leaving the machine.

The proxy tunnels every CONNECT to 127.0.0.1 (the port asked for) whatever host was named,
and records the names, so a fetcher can be pointed at ``https://idp.example.test:<port>``:
the name is only ever resolved by the proxy, which maps it to loopback.
"""

from __future__ import annotations

import http.server
import json
import select
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from authorizers._internal.background_server import LOOPBACK, BackgroundServer
from authorizers.testing.certificates import TestCa

#: The IdP's host name in the tests; only the proxy resolves it (to 127.0.0.1).
IDP_HOST = "idp.example.test"


@dataclass(frozen=True)
class LocalPki:
    """PEM files: ``ca`` (the bundle a client trusts), ``chain`` and ``key`` (the server's),
    made by the test kit's :class:`~authorizers.testing.certificates.TestCa`."""

    ca: Path
    chain: Path
    key: Path

    @classmethod
    def create(cls, folder: Path) -> LocalPki:
        """A CA and a certificate it signed for :data:`IDP_HOST` and 127.0.0.1."""
        authority = TestCa("authorizers test CA")
        server = authority.issue(IDP_HOST, server_names=(IDP_HOST, LOOPBACK))
        ca, _ = authority.write(folder, "ca")
        chain, key = server.write(folder, "server")
        return cls(ca, chain, key)


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ServesJwks(_Quiet):
    document: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        body = json.dumps(self.document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Tunnels(_Quiet):
    """CONNECT host:port -> a tunnel to 127.0.0.1:port; every other method is refused."""

    seen: ClassVar[list[tuple[str, str | None]]]

    def do_CONNECT(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Proxy-Authorization")))
        _, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((LOOPBACK, int(port)), timeout=5)
        except (OSError, ValueError):
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        with upstream:
            _pipe(self.connection, upstream)
        self.close_connection = True


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    while True:
        readable, _, broken = select.select(sockets, [], sockets, 5)
        if broken or not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is client else client).sendall(data)


class TlsJwksServer(BackgroundServer):
    """Serves ``document`` at any path over TLS with the :class:`LocalPki` certificate."""

    def __init__(self, pki: LocalPki, document: dict[str, Any]) -> None:
        super().__init__()
        self._handler = type("ServesThis", (_ServesJwks,), {"document": document})
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(pki.chain, pki.key)

    def _build(self) -> http.server.ThreadingHTTPServer:
        server = http.server.ThreadingHTTPServer((LOOPBACK, 0), self._handler)
        server.daemon_threads = True
        server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        return server

    def jwks_url(self, host: str = IDP_HOST) -> str:
        return f"https://{host}:{self.port}/.well-known/jwks.json"


class ConnectProxy(BackgroundServer):
    """The forwarding proxy; ``seen`` lists ``(host:port, Proxy-Authorization)`` per CONNECT."""

    def __init__(self) -> None:
        super().__init__()
        self._handler = type("TunnelsHere", (_Tunnels,), {"seen": []})
        self.seen: list[tuple[str, str | None]] = self._handler.seen

    def _build(self) -> http.server.ThreadingHTTPServer:
        server = http.server.ThreadingHTTPServer((LOOPBACK, 0), self._handler)
        server.daemon_threads = True
        return server
