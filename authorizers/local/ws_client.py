"""A minimal WebSocket client (RFC 6455) for the demo and for tests of a local WebSocket API.

Enough to see what a browser would: the handshake's status (101, or API Gateway's 401/403/
500 with its body), text messages both ways, close. Loopback use only; no TLS, no extensions.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from authorizers.local.websocket import accept_key, frame

_TEXT, _CLOSE = 0x1, 0x8


class WebSocketClient:
    """Connects on creation; ``status`` is 101 when the handshake was accepted, else the
    refusal's status with its ``body``. Use as a context manager."""

    def __init__(
        self, url: str, headers: Mapping[str, str] | None = None, *, timeout: float = 5.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "ws" or parts.hostname is None:
            raise ValueError("expected a ws:// URL")
        self._sock = socket.create_connection((parts.hostname, parts.port or 80), timeout)
        self._reader = self._sock.makefile("rb")
        key = base64.b64encode(os.urandom(16)).decode()
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"GET {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = self._reader.readline().decode("latin-1")
        self.status = int(status_line.split(" ", 2)[1])
        self.headers: dict[str, str] = {}
        while (line := self._reader.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.body = b""
        if self.status != 101:
            self.body = self._reader.read(int(self.headers.get("content-length", "0")))
            self.close()
        elif self.headers.get("sec-websocket-accept") != accept_key(key):
            self.close()
            raise ConnectionError("the server's Sec-WebSocket-Accept does not match")

    @property
    def connected(self) -> bool:
        return self.status == 101

    def json(self) -> Any:
        """The refusal's body as JSON."""
        return json.loads(self.body)

    def send_text(self, text: str) -> None:
        self._send(_TEXT, text.encode())

    def receive(self) -> tuple[int, bytes]:
        """The next frame's opcode and payload (server frames are not masked)."""
        first, second = self._reader.read(2)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", self._reader.read(2))
        elif size == 127:
            (size,) = struct.unpack("!Q", self._reader.read(8))
        return first & 0x0F, self._reader.read(size)

    def close(self) -> None:
        """Send a close frame (when connected) and wait for the server's, then disconnect."""
        try:
            if self.status == 101:
                self._send(_CLOSE, struct.pack("!H", 1000))
                self.status = 0
                while self.receive()[0] != _CLOSE:
                    pass
        except (OSError, ValueError):
            pass
        finally:
            self._reader.close()
            self._sock.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        self._sock.sendall(frame(opcode, payload, os.urandom(4)))

    def __enter__(self) -> WebSocketClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
