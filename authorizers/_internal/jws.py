"""Hardened parsing of compact JWS tokens, before any cryptography runs.

Everything here happens on attacker-controlled input, so the checks are strict and cheap:
a type and size cap first, then ONE precompiled regex over the whole token (the strict
base64url alphabet without padding, exactly three segments: five-part JWE and JSON
serialization are refused), then canonical base64url (no stray trailing bits), then JSON that
must be an object, without duplicate keys, NaN/Infinity or deep nesting. Header members
that change how a JWS is processed are checked here too: ``crit`` may only name extensions we
implement (none but ``b64``), ``b64: false`` (unencoded payload, RFC 7797) is refused, and a
``kid`` must be a string. ``jku``/``x5u``/``jwk``/``x5c`` are never read anywhere: keys come
only from the configured key source. Every failure is ``Unauthorized(malformed_token)`` with a
detail that never quotes the token.

PyJWT performs an equivalent alphabet check in a Python loop (~55 µs per token); a single
``re.fullmatch`` does it in a few microseconds.
"""

from __future__ import annotations

import binascii
import functools
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from authorizers._internal import strict_json
from authorizers.errors import ReasonCode, Unauthorized

#: Default cap on the token length. Real access and ID tokens are 1-4 KB; 16 KB leaves room
#: for large claim sets while bounding the work an attacker can make us do.
DEFAULT_MAX_TOKEN_BYTES = 16 * 1024

#: JWT headers and claims are shallow; anything deeper is hostile or a mistake.
MAX_JSON_DEPTH = 16

_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")

# A segment whose length is 2 or 3 modulo 4 ends in a character carrying unused bits; in
# canonical base64url they are zero. Only these final characters leave them zero (and no
# length of 1 modulo 4 exists at all). Indexed by the length modulo 4.
_CANONICAL_LAST: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset(),
    frozenset("AQgw"),
    frozenset("AEIMQUYcgkosw048"),
)
_PADDING = ("", "", "==", "=")


#: Distinct headers remembered: an issuer uses a handful (one per signing key), so parsing the
#: header of every token again would be wasted work on the hot path.
HEADER_CACHE_SIZE = 256


class CompactJws(NamedTuple):
    """A syntactically valid, NOT yet verified compact JWS. ``header`` is read-only (parsed
    headers are shared between tokens); ``claims`` belongs to this token alone."""

    header: Mapping[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _malformed(detail: str) -> Unauthorized:
    return Unauthorized(ReasonCode.MALFORMED_TOKEN, detail)


def decode_segment(segment: str, what: str) -> bytes:
    """Decode one base64url segment already matched by the alphabet regex."""
    remainder = len(segment) & 3
    if remainder and segment[-1] not in _CANONICAL_LAST[remainder]:
        raise _malformed(f"{what} is not canonical base64url")
    # The regex guarantees the alphabet, so the lenient C decoder cannot skip anything.
    return binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + _PADDING[remainder])


_DECODER = strict_json.DECODER  # no duplicate keys, no NaN/Infinity
#: The C scanner itself, without decode()'s Python-level wrapping (undocumented but stable
#: since Python 2.6, and typeshed lacks it).
_SCAN_VALUE: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def _nesting(text: str) -> int:
    """The deepest bracket nesting outside strings, without recursion: checked *before* the
    JSON parser, whose recursion (and its limit) differs between Python versions."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "}]":
            depth -= 1
    return deepest


def parse_json_object(data: bytes, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """Strict UTF-8 JSON object: no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        text = data.decode("utf-8")
        # Cheap bound first: nesting can't exceed the number of openers (the scan is for attacks).
        if data.count(b"{") + data.count(b"[") > max_depth and _nesting(text) > max_depth:
            raise _malformed(f"{what} is nested too deeply")
        # Fast path: one C call when the value fills the whole text (every real token).
        # Anything else - surrounding whitespace, trailing data, errors - takes decode().
        try:
            value, end = _SCAN_VALUE(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            value = _DECODER.decode(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise _malformed(f"{what} is not valid JSON") from None
    if type(value) is not dict:
        raise _malformed(f"{what} is not a JSON object")
    return value


#: ``crit`` extensions we understand; ``b64`` only in its default (true) form, as PyJWT does.
_UNDERSTOOD_CRITICAL = frozenset({"b64"})


def check_header(header: Mapping[str, Any]) -> None:
    """Members whose misuse would change how the token must be processed (RFC 7515 §4.1.11)."""
    if "crit" in header:
        crit = header["crit"]
        if not isinstance(crit, list) or not crit:
            raise _malformed("'crit' is not a non-empty list")
        for name in crit:
            if not isinstance(name, str) or name not in _UNDERSTOOD_CRITICAL:
                raise _malformed("'crit' names an extension we do not implement")
            if name not in header:  # RFC 7515 §4.1.11: listed names must be present
                raise _malformed("'crit' names a member the header lacks")
    if header.get("b64", True) is not True:
        raise _malformed("unencoded payloads (b64: false) are not accepted")
    if not isinstance(header.get("kid", ""), str):
        raise _malformed("'kid' is not a string")


@functools.lru_cache(maxsize=HEADER_CACHE_SIZE)
def parse_header(segment: str) -> Mapping[str, Any]:
    """The checked header of a base64url header segment (memoized: a pure function of it)."""
    header = parse_json_object(decode_segment(segment, "header"), "header")
    check_header(header)
    return MappingProxyType(header)


def parse_compact(token: object, *, max_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> CompactJws:
    """Split and decode a compact JWS; raise ``Unauthorized(malformed_token)`` on any flaw."""
    if not isinstance(token, str):
        raise _malformed("token is not a string")
    if len(token) > max_bytes:
        raise _malformed(f"token longer than {max_bytes} bytes")
    match = _COMPACT_JWS.fullmatch(token)
    if match is None:
        raise _malformed("not a compact JWS (three base64url segments)")
    header_b64, payload_b64, signature_b64 = match.groups()
    # tuple.__new__ skips the NamedTuple's Python-level __new__: this runs for every token.
    return tuple.__new__(
        CompactJws,
        (
            parse_header(header_b64),
            parse_json_object(decode_segment(payload_b64, "payload"), "payload"),
            token[: match.end(2)].encode("ascii"),
            decode_segment(signature_b64, "signature"),
        ),
    )
