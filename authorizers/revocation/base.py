"""Revocation entries, the store interface, and the keys entries are stored under.

An entry is keyed by what it revokes: ``jti#<jti>`` (one token), ``origin_jti#<origin_jti>``
(every token of one Cognito sign-in: its ID, access and refreshed tokens share it) or
``sub#<subject>`` (every token of a subject, or - with ``before`` - those issued before a
moment: "log out everywhere"). Keys carry no issuer: a clash between issuers can only revoke
too much, never too little.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, runtime_checkable

#: DynamoDB caps a partition key at 2048 bytes; a claim longer than this is refused outright.
MAX_VALUE_CHARS = 1024


class RevokedBy(StrEnum):
    """What an entry names; the value is the key prefix (and the CLI's word for it)."""

    JTI = "jti"
    ORIGIN_JTI = "origin_jti"
    SUBJECT = "sub"


def revocation_key(kind: RevokedBy, value: str) -> str:
    """The store key of an entry: ``<kind>#<value>``."""
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"a {kind.value} must be 1-{MAX_VALUE_CHARS} characters")
    return f"{kind.value}#{value}"


@dataclass(frozen=True, slots=True)
class Revocation:
    """One entry. ``before`` applies to subject entries only: tokens whose ``iat`` is earlier
    are revoked (``None``: all of the subject's tokens). ``expires_at`` is when the store may
    forget the entry (epoch seconds; the revoked tokens have expired by then)."""

    before: float | None = None
    expires_at: float | None = None

    def revokes(self, key: str, iat: object) -> bool:
        """Whether this entry, stored under ``key``, revokes a token issued at ``iat``."""
        if self.before is None or not key.startswith("sub#"):
            return True
        if type(iat) is not int and type(iat) is not float:
            return True  # no (usable) issue time: cannot prove it is newer - fail closed
        return bool(iat < self.before)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Revocation:
        """From a stored item (``before``/``expires_at`` as numbers); ``ValueError`` if bad."""
        before, expires_at = data.get("before"), data.get("expires_at")
        return cls(_epoch(before, "before"), _epoch(expires_at, "expires_at"))


def _epoch(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number):
            return number
    raise ValueError(f"{name!r} must be epoch seconds")


@runtime_checkable
class RevocationStore(Protocol):
    """Finds the entries stored under some of ``keys``; a key it returns nothing for is not
    revoked. It raises ``InfrastructureError`` (``store_unavailable``) when it cannot answer,
    so an outage never reads as "not revoked"."""

    @property
    def name(self) -> str: ...

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]: ...
