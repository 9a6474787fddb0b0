"""Hardened HTTP for key sets and discovery documents.

Every fetch has one total deadline (connect, slow headers and a trickling body together), a
size cap enforced while streaming, no redirects, HTTPS only (plain HTTP only to a loopback host
when explicitly allowed, for tests), a 200 status and a strict JSON object. A hostile or broken
IdP can therefore cost a request at most ``timeout`` seconds and ``max_bytes`` of memory.

Two fetchers share these rules: the default
:class:`~authorizers.jwks.http_client_fetch.HttpClientFetcher` on the standard library's
``http.client`` (imported at the first fetch, never before), and
:class:`~authorizers.jwks.requests_fetch.RequestsFetcher` (the ``[requests]`` extra), chosen
by name (``fetcher="requests"``) or with the application's own ``requests.Session``. Both
honour ``HTTPS_PROXY``/``NO_PROXY`` and a CA bundle named by the environment
(:data:`CA_BUNDLE_VARIABLES`). A function seeded from a snapshot file may never fetch at all.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from authorizers.errors import ConfigurationError

#: Total budget per fetch. AWS's own verifier uses 3 s; API Gateway gives its JWKS fetch 1.5 s.
DEFAULT_TIMEOUT = 3.0
#: 512 KiB: far above any real JWK Set (API Gateway caps JWKS at 150,000 bytes), small in memory.
DEFAULT_MAX_BYTES = 512 * 1024

_CHUNK = 16 * 1024
_LOOPBACK_NAMES = frozenset({"localhost"})


class FetchError(Exception):
    """Keys or a document could not be fetched. The message is safe to log: it names the
    host and the failure, never response content."""


class Fetcher(Protocol):
    """Gets the bytes at ``url`` within ``timeout`` seconds and ``max_bytes`` or raises
    :class:`FetchError`. Only a 200 counts; redirects are failures."""

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes: ...


class Poster(Protocol):
    """A :class:`Fetcher` that can also POST a form (RFC 7662 introspection), under the same
    deadline, size cap, TLS and no-redirect rules. ``headers`` may carry client credentials:
    an implementation must never log them."""

    def post(
        self,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> bytes: ...


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON constant {name} is not allowed")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # parsers disagree on which duplicate wins: refuse
        raise ValueError("duplicate member name in JSON object")
    return result


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Strict JSON: UTF-8, one object, no duplicate names, no NaN/Infinity."""
    try:
        text = body.decode("utf-8")
        doc = json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # the C scanner stops deep nesting safely
        raise FetchError(f"response is not valid JSON ({type(error).__name__})") from error
    if not isinstance(doc, dict):
        raise FetchError("response is not a JSON object")
    return doc


def fetch_json(
    url: str,
    *,
    fetcher: Fetcher | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_http_loopback: bool = False,
) -> Mapping[str, Any]:
    """Fetch a JSON object with every hardening rule; raises only :class:`FetchError`.

    The URL policy and size cap are enforced here as well, so an injected fetcher cannot
    weaken them.
    """
    check_url(url, allow_http_loopback=allow_http_loopback)
    where = describe_url(url)
    source = resolve_fetcher(fetcher)
    try:
        body = source.fetch(url, timeout=timeout, max_bytes=max_bytes)
    except FetchError:
        raise
    except Exception as error:  # a custom fetcher's failure: fail closed, keep it loggable
        raise FetchError(f"{where}: {type(error).__name__}") from error
    if not isinstance(body, bytes | bytearray) or len(body) > max_bytes:
        raise FetchError(f"{where}: response missing or larger than {max_bytes} bytes")
    try:
        return parse_json_object(bytes(body))
    except FetchError as error:
        raise FetchError(f"{where}: {error}") from None


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    poster: Poster,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_http_loopback: bool = False,
) -> Mapping[str, Any]:
    """POST a form and read a JSON object back, under every rule of :func:`fetch_json`."""
    return fetch_json(
        url,
        fetcher=_Posting(poster, body, headers),
        timeout=timeout,
        max_bytes=max_bytes,
        allow_http_loopback=allow_http_loopback,
    )


class _Posting:
    """One POST seen as a :class:`Fetcher`, so :func:`fetch_json` applies its rules to it."""

    def __init__(self, poster: Poster, body: bytes, headers: Mapping[str, str]) -> None:
        self._poster, self._body, self._headers = poster, body, headers

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        return self._poster.post(
            url, body=self._body, headers=self._headers, timeout=timeout, max_bytes=max_bytes
        )


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
#: The fetchers a configuration may name: ``fetcher="requests"``, ``"fetcher": "requests"``.
FETCHER_NAMES = ("http.client", "requests")


def ca_bundle(verify: bool | str) -> bool | str:
    """What a fetcher verifies TLS against: ``verify`` if it names a bundle (or is ``False``,
    tests only), else the bundle the environment names, else ``True`` (the trust store)."""
    if verify is not True:
        return verify
    for name in CA_BUNDLE_VARIABLES:
        if value := os.environ.get(name):
            return value
    return True


@functools.cache
def named_fetcher(name: str) -> Fetcher:
    """The process-wide fetcher of that name (one object per name, so key caches keyed by
    fetcher are shared). ``requests`` needs the ``[requests]`` extra: a clear error if absent."""
    if name == "http.client":
        from authorizers.jwks.http_client_fetch import HttpClientFetcher  # noqa: PLC0415

        return HttpClientFetcher()
    if name == "requests":
        from authorizers.jwks.requests_fetch import RequestsFetcher  # noqa: PLC0415

        return RequestsFetcher()
    listed = ", ".join(repr(known) for known in FETCHER_NAMES)
    raise ConfigurationError(f"unknown fetcher {name!r}: one of {listed}, or a Fetcher object")


def resolve_fetcher(fetcher: Fetcher | str | None) -> Fetcher:
    """A fetcher object from what a caller may pass: ``None`` (the default), a name of
    :data:`FETCHER_NAMES`, or any :class:`Fetcher`."""
    if fetcher is None:
        return default_fetcher()
    if isinstance(fetcher, str):
        return named_fetcher(fetcher)
    return fetcher


def default_fetcher() -> Fetcher:
    """The default: :class:`~authorizers.jwks.http_client_fetch.HttpClientFetcher`, on the
    standard library. ``requests`` would cost a cold start ~65 ms of CPU and ~8 MiB more for
    one GET every ten minutes (docs/architecture.md, "Dependencies"); name it to use it."""
    return named_fetcher("http.client")


def __getattr__(name: str) -> Any:
    """``RequestsFetcher`` moved to :mod:`authorizers.jwks.requests_fetch`; still found here."""
    if name == "RequestsFetcher":
        from authorizers.jwks.requests_fetch import RequestsFetcher  # noqa: PLC0415

        return RequestsFetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
