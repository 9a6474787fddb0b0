"""Hardened parsing of compact JWS tokens, before any cryptography runs.

Everything here happens on attacker-controlled input, so the checks are strict and cheap:
a type and size cap first, then ONE precompiled regex over the whole token (the strict
base64url alphabet without padding, exactly three segments: five-part JWE and JSON
serialization are refused), then canonical base64url (no stray trailing bits), then JSON that
must be an object, without duplicate keys, NaN/Infinity or deep nesting. Every failure is
``Unauthorized(malformed_token)`` with a detail that never quotes the token.

PyJWT performs an equivalent alphabet check in a Python loop (~55 µs per token); a single
``re.fullmatch`` does it in a few microseconds.
"""

from __future__ import annotations

import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from authorizers.errors import ReasonCode, Unauthorized

#: Default cap on the token length. Real access and ID tokens are 1-4 KB; 16 KB leaves room
#: for large claim sets while bounding the work an attacker can make us do.
DEFAULT_MAX_TOKEN_BYTES = 16 * 1024

#: JWT headers and claims are shallow; anything deeper is hostile or a mistake.
MAX_JSON_DEPTH = 16

_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")

# A segment whose length is 2 or 3 modulo 4 ends in a character carrying unused bits; in
# canonical base64url they are zero. Only these final characters leave them zero.
_CANONICAL_LAST_OF_2 = frozenset("AQgw")
_CANONICAL_LAST_OF_3 = frozenset("AEIMQUYcgkosw048")
_PADDING = ("", "", "==", "=")


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A syntactically valid, NOT yet verified compact JWS."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _malformed(detail: str) -> Unauthorized:
    return Unauthorized(ReasonCode.MALFORMED_TOKEN, detail)


def decode_segment(segment: str, what: str) -> bytes:
    """Decode one base64url segment already matched by the alphabet regex."""
    remainder = len(segment) % 4
    if remainder == 1:
        raise _malformed(f"{what} has an impossible base64url length")
    if (remainder == 2 and segment[-1] not in _CANONICAL_LAST_OF_2) or (
        remainder == 3 and segment[-1] not in _CANONICAL_LAST_OF_3
    ):
        raise _malformed(f"{what} is not canonical base64url")
    # The regex guarantees the alphabet, so the lenient C decoder cannot skip anything.
    return binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + _PADDING[remainder])


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may pick different duplicates (first vs last wins): refuse the ambiguity.
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_reject_constant)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def parse_json_object(data: bytes, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """Strict UTF-8 JSON object: no duplicate keys, no NaN/Infinity, bounded nesting."""
    try:
        value = _DECODER.decode(data.decode("utf-8"))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise _malformed(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise _malformed(f"{what} is not a JSON object")
    # Cheap bound first: nesting can't exceed the number of openers (strings may hold some).
    if data.count(b"{") + data.count(b"[") > max_depth and _depth(value) > max_depth:
        raise _malformed(f"{what} is nested too deeply")
    return value


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
    header = parse_json_object(decode_segment(header_b64, "header"), "header")
    claims = parse_json_object(decode_segment(payload_b64, "payload"), "payload")
    return CompactJws(
        header=header,
        claims=claims,
        signing_input=token[: match.end(2)].encode("ascii"),
        signature=decode_segment(signature_b64, "signature"),
    )
