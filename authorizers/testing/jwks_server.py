"""A real JWKS (and OIDC discovery) HTTP server on 127.0.0.1, with injectable faults.

Tests point a real :class:`~authorizers.jwks.sources.RemoteJwks` (``allow_http_loopback=True``)
at it, rotate keys with :meth:`JwksServer.set_jwks`, count fetches, and make the IdP misbehave
the ways real ones do::

    with JwksServer(jwks) as idp:
        keys = RemoteJwks(idp.jwks_url, allow_http_loopback=True)
        idp.inject(Fault.http_status(503), times=2)  # the next two JWKS requests fail
        assert idp.fetch_count() == 0

Paths: ``/.well-known/jwks.json`` (:data:`JWKS_PATH`) and ``/.well-known/openid-configuration``
(:data:`DISCOVERY_PATH`, issuer = the server's own base URL unless given). Everything else is 404.
Stdlib only (``http.server``); one thread per connection; stopping never waits for a fault.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authorizers._internal.background_server import LOOPBACK, BackgroundServer

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"
_SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
_SIGNING_ALGORITHMS += ["ES256", "ES384", "ES512", "EdDSA"]

#: An extra GET endpoint: the query (name -> values) -> ``(content type, body)``; a
#: ``ValueError`` is answered 400 with its message.
Endpoint = Callable[[Mapping[str, list[str]]], tuple[str, bytes]]


class FaultKind(StrEnum):
    STATUS = "status"
    DELAY = "delay"
    TRICKLE = "trickle"
    HTML = "html"
    TRUNCATED = "truncated"
    OVERSIZE = "oversize"
    REDIRECT = "redirect"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Fault:
    """One way to misbehave; build it with the class methods."""

    kind: FaultKind
    code: int = 200
    seconds: float = 0.0
    size: int = 0
    location: str = ""
    declare_length: bool = True

    @classmethod
    def http_status(cls, code: int) -> Fault:
        """Answer ``code`` (e.g. 500, 503, 404) with a short text body."""
        return cls(FaultKind.STATUS, code=code)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before sending anything, then answer normally."""
        return cls(FaultKind.DELAY, seconds=seconds)

    @classmethod
    def trickle(cls, interval: float = 0.1, chunk: int = 1) -> Fault:
        """Send headers at once, then the body ``chunk`` bytes every ``interval`` seconds."""
        return cls(FaultKind.TRICKLE, seconds=interval, size=chunk)

    @classmethod
    def html(cls) -> Fault:
        """A 200 with an HTML error page (what a captive portal or a misrouted CDN returns)."""
        return cls(FaultKind.HTML)

    @classmethod
    def truncated(cls) -> Fault:
        """A 200 with the first half of the JSON (Content-Length matches the cut body)."""
        return cls(FaultKind.TRUNCATED)

    @classmethod
    def oversize(cls, size: int = 10 * 1024 * 1024, *, declare_length: bool = True) -> Fault:
        """A 200 with a ``size``-byte JSON body; without ``declare_length`` no Content-Length
        is sent (the body ends when the connection closes), so only streaming can cap it."""
        return cls(FaultKind.OVERSIZE, size=size, declare_length=declare_length)

    @classmethod
    def redirect(cls, location: str, code: int = 302) -> Fault:
        """Redirect to ``location`` (another server, another host)."""
        return cls(FaultKind.REDIRECT, code=code, location=location)

    @classmethod
    def drop(cls) -> Fault:
        """Read the request, then reset the connection without answering."""
        return cls(FaultKind.DROP)


class JwksServer(BackgroundServer):
    """A threaded HTTP server serving a JWK Set and a discovery document; a context manager.

    ``jwks``: the JWK Set to serve (default ``{"keys": []}``). ``issuer``: the discovery
    ``issuer`` (default: :attr:`url`). ``discovery=False`` answers 404 for discovery.
    ``port``: 0 picks a free one. ``endpoints``: extra GET paths (the local IdP's ``/mint``).
    """

    def __init__(
        self,
        jwks: Mapping[str, Any] | None = None,
        *,
        issuer: str | None = None,
        discovery: bool = True,
        port: int = 0,
        endpoints: Mapping[str, Endpoint] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._jwks = json.dumps(jwks if jwks is not None else {"keys": []}).encode()
        self._issuer = issuer
        self._discovery: bytes | None = None
        self._discovery_enabled = discovery
        self._faults: dict[str, tuple[Fault, int | None]] = {}
        self._counts: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._port = port
        self.endpoints: dict[str, Endpoint] = dict(endpoints or {})
        super().__init__()

    # -- lifecycle --------------------------------------------------------------------------

    def _build(self) -> ThreadingHTTPServer:
        """Bind an ephemeral port on 127.0.0.1; requests stuck in a fault end at :meth:`stop`."""
        server = ThreadingHTTPServer((LOOPBACK, self._port), _Handler)
        server.daemon_threads = True
        server.owner = self  # type: ignore[attr-defined]
        self._stopping.clear()
        return server

    def stop(self) -> None:
        self._stopping.set()  # before shutdown: faults waiting on it end at once
        super().stop()

    # -- addresses --------------------------------------------------------------------------

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    @property
    def discovery_url(self) -> str:
        return self.url + DISCOVERY_PATH

    # -- content, faults, counters ----------------------------------------------------------

    def set_jwks(self, jwks: Mapping[str, Any]) -> None:
        """Serve this JWK Set from now on (e.g. to rotate keys)."""
        body = json.dumps(jwks).encode()
        with self._lock:
            self._jwks = body

    def set_discovery(self, document: Mapping[str, Any] | None) -> None:
        """Serve this discovery document instead of the generated one (``None``: generated)."""
        body = None if document is None else json.dumps(document).encode()
        with self._lock:
            self._discovery = body

    def inject(self, fault: Fault, *, path: str = JWKS_PATH, times: int | None = None) -> None:
        """Misbehave on ``path`` for the next ``times`` requests (``None``: until cleared)."""
        with self._lock:
            self._faults[path] = (fault, times)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def fetch_count(self, path: str = JWKS_PATH) -> int:
        """Requests received for ``path`` (faulted ones included)."""
        with self._lock:
            return self._counts[path]

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def _take(self, path: str) -> tuple[bytes | None, Fault | None]:
        """Count one request; return its body (``None``: 404) and the fault to apply."""
        with self._lock:
            self._counts[path] += 1
            fault, remaining = self._faults.get(path, (None, None))
            if fault is not None and remaining is not None:
                if remaining <= 1:
                    del self._faults[path]
                else:
                    self._faults[path] = (fault, remaining - 1)
            if path == JWKS_PATH:
                return self._jwks, fault
            if path == DISCOVERY_PATH and self._discovery_enabled:
                return self._discovery or self._discovery_document(), fault
            return None, fault

    def _discovery_document(self) -> bytes:
        base = self.url
        return json.dumps(
            {
                "issuer": self._issuer if self._issuer is not None else base,
                "jwks_uri": base + JWKS_PATH,
                "authorization_endpoint": base + "/authorize",
                "token_endpoint": base + "/token",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": _SIGNING_ALGORITHMS,
            }
        ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "JwksServer"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests read counters, not access logs."""

    def do_POST(self) -> None:
        """A POST (an introspection client's) gets the answer and fault a GET would."""
        length = self.headers.get("Content-Length") or "0"
        self.rfile.read(min(int(length), 1 << 20) if length.isdigit() else 0)
        self.do_GET()

    def do_GET(self) -> None:
        owner: JwksServer = self.server.owner  # type: ignore[attr-defined]
        self.close_connection = True
        url = urlsplit(self.path)
        endpoint = owner.endpoints.get(url.path)
        if endpoint is not None:
            self._endpoint(endpoint, url.query)
            return
        body, fault = owner._take(url.path)
        # the client may give up (deadline, size cap): exactly what tests provoke
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(owner, body, fault)

    def _endpoint(self, endpoint: Endpoint, query: str) -> None:
        try:
            content_type, body = endpoint(parse_qs(query, max_num_fields=64))
        except ValueError as error:
            self._send(400, f"{error}\n".encode(), "text/plain")
            return
        self._send(200, body, content_type, {"Cache-Control": "no-store"})

    def _answer(self, owner: JwksServer, body: bytes | None, fault: Fault | None) -> None:
        stopping = owner._stopping
        kind = fault.kind if fault is not None else None
        if fault is not None and kind is FaultKind.DELAY and stopping.wait(fault.seconds):
            return
        if body is None:
            self._send(404, b"not found", "text/plain")
        elif fault is None or kind is FaultKind.DELAY:
            self._send(200, body, "application/json")
        elif kind is FaultKind.STATUS:
            self._send(fault.code, b"injected failure", "text/plain")
        elif kind is FaultKind.HTML:
            self._send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif kind is FaultKind.TRUNCATED:
            self._send(200, body[: len(body) // 2], "application/json")
        elif kind is FaultKind.REDIRECT:
            self._send(fault.code, b"", "text/plain", {"Location": fault.location})
        elif kind is FaultKind.DROP:
            linger = struct.pack("ii", 1, 0)  # close with RST: the connection just breaks
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        elif kind is FaultKind.TRICKLE:
            self._headers(200, "application/json", len(body))
            for start in range(0, len(body), max(fault.size, 1)):
                self.wfile.write(body[start : start + max(fault.size, 1)])
                self.wfile.flush()
                if stopping.wait(fault.seconds):
                    return
        elif kind is FaultKind.OVERSIZE:
            self._headers(200, "application/json", fault.size if fault.declare_length else None)
            for chunk in _padding(fault.size):
                if stopping.is_set():
                    return
                self.wfile.write(chunk)

    def _headers(
        self,
        code: int,
        content_type: str,
        length: int | None,
        extra: Mapping[str, str] = _NO_HEADERS,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(
        self, code: int, body: bytes, content_type: str, extra: Mapping[str, str] = _NO_HEADERS
    ) -> None:
        self._headers(code, content_type, len(body), extra)
        self.wfile.write(body)


def _padding(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``size`` bytes of one valid JSON object, produced in chunks (never held in memory)."""
    head, tail = b'{"keys": [], "padding": "', b'"}'
    filler = max(size - len(head) - len(tail), 0)
    yield head
    while filler > 0:
        yield b"x" * min(chunk, filler)
        filler -= chunk
    yield tail
