"""The HTTP request and response the gateway works on, independent of the server serving them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as received. ``path`` is raw (percent-encoded, no query string)."""

    method: str
    path: str
    query_string: str = field(default="", repr=False)  # these may hold credentials
    headers: Headers = field(default=(), repr=False)
    body: bytes = field(default=b"", repr=False)
    source_ip: str = "127.0.0.1"
    client_cert_pem: str | None = None  # with mutual TLS: the verified client certificate

    def header_values(self, *, without: tuple[str, ...] = ()) -> dict[str, list[str]]:
        """Header name (as first sent) -> every value; names compare case-insensitively."""
        grouped: dict[str, tuple[str, list[str]]] = {}
        for name, value in self.headers:
            if name.lower() in without:
                continue
            grouped.setdefault(name.lower(), (name, []))[1].append(value)
        return dict(grouped.values())

    def header(self, name: str) -> str | None:
        """The last value of a header, or ``None``."""
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values[-1] if values else None

    def query_values(self) -> dict[str, list[str]]:
        values: dict[str, list[str]] = {}
        for name, value in parse_qsl(self.query_string, keep_blank_values=True):
            values.setdefault(name, []).append(value)
        return values

    def cookies(self) -> list[str]:
        """``Cookie`` header pairs, as HTTP API payload 2.0 lists them."""
        values = (v for n, v in self.headers if n.lower() == "cookie")
        pairs = (part.strip() for value in values for part in value.split(";"))
        return [pair for pair in pairs if pair]

    def body_text(self) -> tuple[str | None, bool]:
        """The body as a Lambda event carries it: text, or base64 when it is not UTF-8."""
        if not self.body:
            return None, False
        try:
            return self.body.decode("utf-8"), False
        except UnicodeDecodeError:
            import base64  # noqa: PLC0415 - rare path

            return base64.b64encode(self.body).decode("ascii"), True


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Headers = ()
    body: bytes = b""

    @classmethod
    def json(cls, status: int, document: Any) -> HttpResponse:
        """``document`` serialised, or sent as is when it is already JSON text."""
        body = document if isinstance(document, str) else json.dumps(document)
        return cls(status, (("Content-Type", "application/json"),), body.encode())

    def header(self, name: str) -> str | None:
        return next((v for n, v in reversed(self.headers) if n.lower() == name.lower()), None)
