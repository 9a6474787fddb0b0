"""The default fetcher (``HttpClientFetcher``, standard library only): what only it does
(its proxy parsing, TLS verification with the system trust store). The hardening both fetchers
share (deadline, size cap, redirects, status, compression, credentials) runs for both in
``tests/jwks/test_fetch.py``; both behind a real proxy with a private CA in
``tests/jwks/test_fetch_proxy_tls.py``."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers import run_isolated
from jwks_support import CUT_OFF, jwks, public_jwk

from authorizers.jwks.fetch import FetchError, fetch_json
from authorizers.jwks.http_client_fetch import HttpClientFetcher, proxy_for
from authorizers.testing.jwks_server import JwksServer

A = public_jwk("RSA", "a")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    with JwksServer(jwks(A)) as server:
        yield server


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def timed_fetch(url: str, fetcher: Any = None, **options: Any) -> tuple[float, Any]:
    options.setdefault("timeout", CUT_OFF)  # these fetches succeed or fail fast: no timing
    started = time.monotonic()
    try:
        result: Any = fetch_json(
            url, fetcher=fetcher or HttpClientFetcher(), allow_http_loopback=True, **options
        )
    except FetchError as error:
        result = error
    return time.monotonic() - started, result


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(handler_class, tls=None)`` -> port of a server on 127.0.0.1, stopped after."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(handler: type[http.server.BaseHTTPRequestHandler], tls: Any = None) -> int:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return int(server.server_address[1])

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# -- proxies --------------------------------------------------------------------------------


class _Proxy(http.server.BaseHTTPRequestHandler):
    """Records CONNECT requests and refuses them (nothing is forwarded anywhere)."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_CONNECT(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Proxy-Authorization")))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_https_goes_through_the_environment_proxy(
    serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Proxy.seen.clear()
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:p%40ss@127.0.0.1:{serve(_Proxy)}")
    result = timed_fetch("https://idp.example.test/jwks", timeout=2)[1]
    assert isinstance(result, FetchError)
    (path, authorization), *_ = _Proxy.seen
    assert path == "idp.example.test:443"
    assert authorization == "Basic dXNlcjpwQHNz"  # user:p@ss


def test_no_proxy_and_loopback_bypass_it(idp: JwksServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert proxy_for("https://idp.example.test/jwks") == "http://127.0.0.1:9"
    monkeypatch.setenv("NO_PROXY", ".example.test")
    assert proxy_for("https://idp.example.test/jwks") is None
    assert proxy_for("https://idp.other.test/jwks") == "http://127.0.0.1:9"
    assert timed_fetch(idp.jwks_url)[1] == jwks(A)  # loopback: never proxied


def test_only_http_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://127.0.0.1:9")
    result = timed_fetch("https://idp.example.test/jwks")[1]
    assert isinstance(result, FetchError) and "only http:// proxies" in str(result)


# -- TLS ------------------------------------------------------------------------------------


def _self_signed(folder: Path, common_name: str, name: x509.GeneralName) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` (and its key), as PEM files in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([name]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), as PEM files."""
    address = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    return _self_signed(tmp_path_factory.mktemp("tls"), "127.0.0.1", address)


@pytest.fixture(scope="module")
def named_certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Self-signed certificates for the DNS names ``localhost`` and ``other.test``."""
    return {
        name: _self_signed(tmp_path_factory.mktemp("tls"), name, x509.DNSName(name))
        for name in ("localhost", "other.test")
    }


def _tls_server(serve: Any, cert: tuple[Path, Path]) -> int:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*cert)
    port: int = serve(_JwksHandler, tls)
    return port


class _JwksHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(jwks(A)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_tls_is_verified(
    serve: Any, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "AWS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    cert_path, key_path = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_path, key_path)
    url = f"https://127.0.0.1:{serve(_JwksHandler, tls)}/jwks"
    untrusted = timed_fetch(url)[1]
    assert isinstance(untrusted, FetchError) and "SSLCertVerificationError" in str(untrusted)
    trusted = HttpClientFetcher(verify=str(cert_path))
    assert timed_fetch(url, trusted)[1] == jwks(A)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_path))
    assert timed_fetch(url)[1] == jwks(A)


def test_a_host_name_is_verified_against_the_certificate(
    serve: Any, named_certificates: dict[str, tuple[Path, Path]]
) -> None:
    """An ASCII host name is resolved and sent (SNI) as bytes, without the IDNA codec: the
    certificate is still checked against it, and another name's certificate is refused."""
    for name, expected in (("localhost", True), ("other.test", False)):
        cert = named_certificates[name]
        url = f"https://localhost:{_tls_server(serve, cert)}/jwks"
        result = timed_fetch(url, HttpClientFetcher(verify=str(cert[0])))[1]
        if expected:
            assert result == jwks(A)
        else:
            assert isinstance(result, FetchError) and "SSLCertVerificationError" in str(result)


HTTPS_FETCH = """
import json, sys
from authorizers.jwks.fetch import fetch_json
from authorizers.jwks.http_client_fetch import HttpClientFetcher
keys = fetch_json(sys.argv[1], fetcher=HttpClientFetcher(verify=sys.argv[2]), timeout=5)
print(json.dumps({"keys": len(keys["keys"]), "modules": sorted(sys.modules)}))
"""


def test_an_https_fetch_of_an_ascii_host_leaves_the_idna_codec_out(
    serve: Any, named_certificates: dict[str, tuple[Path, Path]]
) -> None:
    """Its import (with ``stringprep`` and ``unicodedata``) cost every function ~0.35 MiB."""
    cert = named_certificates["localhost"]
    url = f"https://localhost:{_tls_server(serve, cert)}/jwks"
    done = run_isolated(HTTPS_FETCH, url, str(cert[0]), timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["keys"] == 1
    assert "ssl" in result["modules"]
    assert not {"encodings.idna", "stringprep", "unicodedata"} & set(result["modules"])
