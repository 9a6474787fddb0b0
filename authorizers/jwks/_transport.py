"""The rules every fetcher enforces, shared by :mod:`~authorizers.jwks.http_client_fetch` and
:mod:`~authorizers.jwks.requests_fetch`: the URL policy, the request headers, the status and
size checks, one total deadline, and the CA bundle the environment names.

Below :mod:`~authorizers.jwks.fetch` (which picks a fetcher by name), so the fetchers import
these rules without importing the module that imports them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

#: Total budget per fetch. AWS's own verifier uses 3 s; API Gateway gives its JWKS fetch 1.5 s.
DEFAULT_TIMEOUT = 3.0
#: 512 KiB: far above any real JWK Set (API Gateway caps JWKS at 150,000 bytes), small in memory.
DEFAULT_MAX_BYTES = 512 * 1024

_CHUNK = 16 * 1024
_LOOPBACK_NAMES = frozenset({"localhost"})


class FetchError(Exception):
    """Keys or a document could not be fetched. The message is safe to log: it names the
    host and the failure, never response content."""


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe_url(url: str) -> str:
    """``scheme://host[:port]/path`` without query or credentials: safe for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_url(url: str, *, allow_http_loopback: bool = False) -> None:
    """Refuse anything but an absolute HTTPS URL (or loopback HTTP when allowed)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except (ValueError, TypeError, AttributeError) as error:
        raise FetchError("not a valid URL") from error
    if not host:
        raise FetchError("URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URL must not carry credentials")
    if parts.fragment:
        raise FetchError("URL must not have a fragment")
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and allow_http_loopback and is_loopback(host):
        return
    raise FetchError(f"{describe_url(url)}: only https (or http to loopback when allowed)")


#: What every fetcher sends: JSON wanted, no compression (a size cap on a compressed body
#: would not bound what it inflates to), and a recognisable client for the IdP's logs.
REQUEST_HEADERS: Mapping[str, str] = {
    "Accept": "application/json, application/jwk-set+json",
    "Accept-Encoding": "identity",
    "User-Agent": "authorizers-jwks",
}


def check_response(
    where: str, status: int, header: Callable[[str, str], str | None], max_bytes: int
) -> None:
    """Refuse what no fetcher may accept, before reading the body: anything but a 200 (a
    redirect included), a compressed body, a declared length above the cap."""
    if 300 <= status < 400:
        raise FetchError(f"{where}: redirect refused (HTTP {status})")
    if status != 200:
        raise FetchError(f"{where}: HTTP {status}")
    if (header("Content-Encoding", "identity") or "identity").lower() != "identity":
        raise FetchError(f"{where}: compressed response refused")
    declared = header("Content-Length", "") or ""
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"{where}: response larger than {max_bytes} bytes")


def read_capped(read: Callable[[int], bytes], where: str, max_bytes: int) -> bytes:
    """The body, read in chunks and refused as soon as it passes ``max_bytes`` (a missing or
    lying Content-Length cannot make us buffer more)."""
    body = bytearray()
    while chunk := read(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(f"{where}: response larger than {max_bytes} bytes")
    return bytes(body)


class _Abort:
    """Lets the waiting thread cut the sockets of a fetch that overran its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.aborted = False

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.aborted:
                self._shut(sock)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # base-class call: below the TLS layer
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


_current = threading.local()


def track_socket(sock: socket.socket) -> None:
    """Register a socket of the running fetch: :func:`run_within` shuts it at the deadline."""
    _current.abort.attach(sock)


def run_within(url: str, timeout: float, get: Callable[[], bytes]) -> bytes:
    """``get()`` in a worker thread, waited for at most ``timeout`` seconds.

    At the deadline the sockets the worker registered (:func:`track_socket`) are shut down, so
    neither slow headers, a trickling body nor a slow DNS answer can hold the caller longer,
    and the abandoned worker ends at its next read. Any failure becomes a :class:`FetchError`.
    """
    box: dict[str, Any] = {}
    abort = _Abort()

    def work() -> None:
        _current.abort = abort
        try:
            box["body"] = get()
        except BaseException as error:  # handed to the waiting thread
            box["error"] = error

    worker = threading.Thread(target=work, name="authorizers-jwks-fetch", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        abort.abort()
        raise FetchError(f"{describe_url(url)}: no complete response within {timeout:g} s")
    if "body" in box:
        body: bytes = box["body"]
        return body
    error = box.get("error")
    if isinstance(error, FetchError):
        raise error
    raise FetchError(f"{describe_url(url)}: {type(error).__name__}") from error


#: Environment variables naming a CA bundle, first found wins: requests' own two, the AWS
#: SDKs', then OpenSSL's (a bundle replaces the system trust store, as with requests).
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE", "SSL_CERT_FILE")


def ca_bundle(verify: bool | str) -> bool | str:
    """What a fetcher verifies TLS against: ``verify`` if it names a bundle (or is ``False``,
    tests only), else the bundle the environment names, else ``True`` (the trust store)."""
    if verify is not True:
        return verify
    for name in CA_BUNDLE_VARIABLES:
        if value := os.environ.get(name):
            return value
    return True
