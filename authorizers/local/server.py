"""The local gateway over HTTP: a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0: any free one).

Loopback only, by design: the gateway runs your functions with your environment and has no
TLS. WebSocket handshakes (``Upgrade: websocket``) go to :mod:`authorizers.local.websocket`.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from authorizers._internal.background_server import LOOPBACK, BackgroundServer
from authorizers.local.gateway import LocalGateway
from authorizers.local.http import HttpRequest, HttpResponse
from authorizers.local.mtls import MutualTls

HOST = LOOPBACK
#: API Gateway's payload limit: larger bodies are refused with 413.
MAX_BODY_BYTES = 10 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    """Handler threads are daemons and are not waited for; :meth:`LocalServer.stop` ends
    open connections (keep-alive clients, WebSockets) by shutting their sockets."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, gateway: LocalGateway, port: int, tls: MutualTls | None = None) -> None:
        super().__init__((HOST, port), _Handler)
        if tls is not None:  # handshakes happen in the handler threads, not in accept()
            self.socket = tls.context().wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )
        self.gateway = gateway
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_sockets = list(self.connections)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class LocalServer(BackgroundServer):
    """Serves a :class:`LocalGateway` in a background thread; a context manager."""

    def __init__(
        self, gateway: LocalGateway, *, port: int = 0, tls: MutualTls | None = None
    ) -> None:
        super().__init__()
        self.gateway = gateway
        self._port = port
        self._tls = tls

    def _build(self) -> _Server:
        return _Server(self.gateway, self._port, self._tls)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, or ``https://`` with mutual TLS."""
        plain = super().url
        return plain.replace("http://", "https://", 1) if self._tls is not None else plain

    def _before_close(self, server: ThreadingHTTPServer) -> None:
        if isinstance(server, _Server):
            server.close_connections()

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C), then stop."""
        if self._thread is None:
            self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()


def _malformed(headers: Message) -> str | None:
    """Why a header block is one API Gateway answers 400, or ``None``: a line without a colon
    (the standard parser files it, and every line after it, as body), a NUL, CR or LF in a
    value (incl. obsolete line folding), a Content-Length that is not digits, or two that
    differ (which one framed the body? - the request-smuggling ambiguity)."""
    if headers.defects or headers.get_payload():
        return "header line without a colon"
    for name, value in headers.items():
        if any(char in value or char in name for char in "\x00\r\n"):
            return "control character in a header"
    lengths = {value.strip() for value in headers.get_all("Content-Length") or ()}
    if len(lengths) > 1:
        return "conflicting Content-Length headers"
    if lengths and not all(value.isascii() and value.isdigit() for value in lengths):
        return "Content-Length is not a number"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart
    server_version = "authorizers-local"

    server: _Server
    raw_requestline: bytes  # set by handle_one_request (not in typeshed)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the gateway logs one line per request itself."""

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()  # refuses a client without a trusted certificate
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def parse_request(self) -> bool:
        """The standard parser, then what a real gateway refuses with 400 and it lets through
        (see :func:`_malformed`). An HTTP/0.9 line is refused before headers are read."""
        if len(self.raw_requestline.split()) == 2:  # "GET /": HTTP/0.9, no version
            self.command, self.request_version = "", "HTTP/1.0"  # answer with a status line
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            return self._bad_request()
        if not super().parse_request():
            return False
        return _malformed(self.headers) is None or self._bad_request()

    def _bad_request(self) -> bool:
        self.close_connection = True
        self._send(HttpResponse.json(400, {"message": "Bad Request"}))
        return False

    def _request(self) -> HttpRequest | None:
        """The request, or ``None`` after answering one that cannot be read."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._send(HttpResponse.json(411, {"message": "Length Required"}))
            return None
        try:  # digits only (see _malformed); int() still refuses over 4300 of them
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.close_connection = True
            status, message = (
                (413, "Request Entity Too Large") if length > 0 else (400, "Bad Request")
            )
            self._send(HttpResponse.json(status, {"message": message}))
            return None
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        der = (
            self.connection.getpeercert(True)
            if isinstance(self.connection, ssl.SSLSocket)
            else None
        )
        return HttpRequest(
            method=self.command,
            path=parts.path or "/",
            query_string=parts.query,
            headers=tuple(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            client_cert_pem=ssl.DER_cert_to_PEM_cert(der) if der else None,
        )

    def _dispatch(self) -> None:
        gateway = self.server.gateway
        request = self._request()
        if request is None:
            return
        if (request.header("Upgrade") or "").lower() == "websocket":
            from authorizers.local.websocket import serve_websocket  # noqa: PLC0415

            serve_websocket(gateway, request, self)
            self.close_connection = True
            return
        self._send(gateway.handle(request))

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch
