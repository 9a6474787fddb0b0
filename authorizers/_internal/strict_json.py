"""Strict JSON, one definition for every document we trust: configuration, JWS headers and
claims, key-store records.

No duplicate member names (parsers disagree on which one wins: ``{"enabled": false,
"enabled": true}`` must not read as enabled to us and disabled to a reviewer's tool) and no
``NaN``/``Infinity`` (not JSON, and a ``NaN`` time compares false with everything, so a key
whose ``expires_at`` is NaN would never expire).
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKeyError(ValueError):
    """A JSON object names a member twice; ``key`` is the name (callers decide to show it)."""

    def __init__(self, key: str) -> None:
        super().__init__("duplicate member name in a JSON object")
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)  # the common case: one C call, no Python loop
    if len(obj) != len(pairs):
        seen: set[str] = set()
        raise DuplicateKeyError(next(k for k, _ in pairs if k in seen or seen.add(k)))  # type: ignore[func-returns-value]
    return obj


def reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


DECODER = json.JSONDecoder(object_pairs_hook=unique_keys, parse_constant=reject_constant)


def loads(text: str) -> Any:
    """Parse strict JSON; ``ValueError`` (``json.JSONDecodeError``, :class:`DuplicateKeyError`)
    or ``RecursionError`` for anything else."""
    return DECODER.decode(text)
