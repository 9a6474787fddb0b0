"""The canonical string an HMAC request signature covers (``SignatureScheme``), versions 1 and 2.

Version 2 (the default) exists because two different requests must never share a signature,
and version 1 let them:

- a signed header that is absent signed like one sent empty (``name:``) - v2 writes ``name``
  alone for an absent header or query parameter and ``name:``/``name=`` for an empty one;
- the timestamp was signed as ``str(int(...))``, so ``0``-prefixed and non-ASCII digit forms of
  it verified - v2 signs the header exactly as sent, and only ``[1-9][0-9]*`` is accepted;
- the order of a repeated signed query parameter was not signed while REST backends read the
  last value - v2 refuses a repeated signed parameter (or header) outright;
- nothing named the API or stage, so a signature replayed across stages and APIs - v2 signs
  the API id and the stage of the method ARN.

Version 1 verifies only when configured explicitly (``SignatureScheme(version=1)``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from authorizers.errors import ConfigurationError

if TYPE_CHECKING:
    from authorizers.request import AuthRequest

ALGORITHM = "AUTHORIZERS-HMAC-SHA256"
ALGORITHM_V2 = "AUTHORIZERS-HMAC-SHA256-V2"
#: Epoch seconds as a client writes them: ASCII digits, no sign, no leading zero.
TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}")
_OWS = " \t"  # HTTP's optional whitespace, not every Unicode space
_LINE = re.compile(r"[!-~]{1,128}")  # an API id or stage: one printable word

Values = str | Sequence[str]


def _pct(text: str) -> str:
    return quote(text, safe="-._~")


def _distinct(value: Values | None, *, strip: bool = False) -> list[str]:
    """v1: sorted distinct values (the event collapses repeated identical values)."""
    items = [] if value is None else [value] if isinstance(value, str) else list(value)
    return sorted({item.strip() if strip else item for item in items})


def _single(value: Values | None, what: str) -> str | None:
    """v2: the one value, ``None`` when absent. A signed name repeated with different values
    is refused: which one would the backend read? (REST: the last; others: joined.)"""
    if value is None or isinstance(value, str):
        return value
    distinct = set(value)
    if len(distinct) > 1:
        raise ValueError(f"signed {what} sent more than once")
    return distinct.pop() if distinct else None


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """What is signed and where the signature travels; client and authorizer must agree."""

    signed_headers: tuple[str, ...] = ()
    signed_query: tuple[str, ...] = ()
    key_id_header: str = "x-signature-key-id"
    timestamp_header: str = "x-signature-timestamp"
    signature_header: str = "x-signature"
    version: int = 2

    def __post_init__(self) -> None:
        headers = tuple(sorted({name.lower() for name in self.signed_headers}))
        object.__setattr__(self, "signed_headers", headers)
        object.__setattr__(self, "signed_query", tuple(sorted(set(self.signed_query))))
        own = {self.key_id_header, self.timestamp_header, self.signature_header}
        if self.signature_header.lower() in headers or len({h.lower() for h in own}) != 3:
            raise ConfigurationError("signature headers must differ and not sign themselves")
        if self.version not in (1, 2) or isinstance(self.version, bool):
            raise ConfigurationError("version must be 2 (or 1, for clients not yet moved)")

    def canonical_string(
        self,
        *,
        key_id: str,
        timestamp: int | str,
        method: str,
        path: str,
        headers: Mapping[str, Values] | None = None,
        query: Mapping[str, Values] | None = None,
        api_id: str | None = None,
        stage: str | None = None,
    ) -> str:
        """v2: nine lines joined by ``\\n`` - algorithm, key id, timestamp as sent, API id,
        stage, METHOD, path, ``name=value&...`` (signed query names sorted; ``name`` alone
        when absent), ``name:value;...`` (signed headers, lowercase, sorted; trimmed value;
        ``name`` alone when absent). Names and values are RFC 3986 percent-encoded.
        v1: seven lines (no API id or stage), see docs/api-keys-and-request-rules.md."""
        if not path.startswith("/") or not path.isprintable():
            raise ValueError("path must start with '/' and hold no control characters")
        query = query or {}
        lower_headers = {name.lower(): value for name, value in (headers or {}).items()}
        if self.version == 1:
            return self._v1(key_id, int(timestamp), method, path, lower_headers, query=query)
        stamp = str(timestamp)
        if not TIMESTAMP.fullmatch(stamp):
            raise ValueError("timestamp must be epoch seconds in ASCII digits")
        if not (isinstance(api_id, str) and _LINE.fullmatch(api_id)):
            raise ValueError("signature version 2 needs the API id")
        if not (isinstance(stage, str) and _LINE.fullmatch(stage)):
            raise ValueError("signature version 2 needs the stage")
        canonical_query = "&".join(
            _pct(name)
            if (value := _single(query.get(name), "query parameter")) is None
            else f"{_pct(name)}={_pct(value)}"
            for name in self.signed_query
        )
        canonical_headers = ";".join(
            name
            if (value := _single(lower_headers.get(name), "header")) is None
            else f"{name}:{_pct(value.strip(_OWS))}"
            for name in self.signed_headers
        )
        lines = (ALGORITHM_V2, key_id, stamp, api_id, stage, method.upper(), path)
        return "\n".join((*lines, canonical_query, canonical_headers))

    def _v1(
        self,
        key_id: str,
        timestamp: int,
        method: str,
        path: str,
        headers: Mapping[str, Values],
        *,
        query: Mapping[str, Values],
    ) -> str:
        canonical_query = "&".join(
            f"{_pct(name)}={_pct(value)}"
            for name in self.signed_query
            for value in _distinct(query.get(name))
        )
        canonical_headers = ";".join(
            f"{name}:{','.join(_pct(v) for v in _distinct(headers.get(name), strip=True))}"
            for name in self.signed_headers
        )
        lines = (ALGORITHM, key_id, str(timestamp), method.upper(), path)
        return "\n".join((*lines, canonical_query, canonical_headers))

    def canonical_request(self, request: AuthRequest, *, key_id: str, timestamp: str) -> str:
        """The canonical string of a received request (``ValueError`` if it cannot have one,
        e.g. a repeated signed parameter under v2)."""
        return self.canonical_string(
            key_id=key_id,
            timestamp=timestamp,
            method=request.arn.verb or "GET",  # WebSocket $connect: the upgrade is a GET
            path=request.arn.path,
            headers={name: request.headers.get_all(name) for name in self.signed_headers},
            query={name: request.query.get_all(name) for name in self.signed_query},
            api_id=request.arn.api_id,
            stage=request.arn.stage,
        )

    def signature(self, secret: bytes, canonical: str) -> str:
        return hmac.new(secret, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
