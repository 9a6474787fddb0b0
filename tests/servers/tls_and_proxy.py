"""A private CA with a server certificate, a JWKS server on 127.0.0.1 speaking TLS with it,
and a real forwarding CONNECT proxy on 127.0.0.1: what a VPC function behind a corporate
proxy with its own CA meets, without any traffic leaving the machine.

The proxy tunnels every CONNECT to 127.0.0.1 (the port asked for) whatever host was named,
and records the names, so a fetcher can be pointed at ``https://idp.example.test:<port>``:
the name is only ever resolved by the proxy, which maps it to loopback.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import select
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authorizers._internal.background_server import LOOPBACK, BackgroundServer

#: The IdP's host name in the tests; only the proxy resolves it (to 127.0.0.1).
IDP_HOST = "idp.example.test"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class LocalPki:
    """PEM files: ``ca`` (the bundle a client trusts), ``chain`` and ``key`` (the server's)."""

    ca: Path
    chain: Path
    key: Path

    @classmethod
    def create(cls, folder: Path) -> LocalPki:
        """A CA and a certificate it signed for :data:`IDP_HOST` and 127.0.0.1."""
        now = datetime.datetime.now(datetime.UTC)
        valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(hours=2))
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name("authorizers test CA"))
            .issuer_name(_name("authorizers test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid[0])
            .not_valid_after(valid[1])
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(IDP_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(IDP_HOST))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid[0])
            .not_valid_after(valid[1])
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        pki = cls(folder / "ca.pem", folder / "chain.pem", folder / "key.pem")
        pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        pki.chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        pki.key.write_bytes(_pem(key))
        return pki


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
