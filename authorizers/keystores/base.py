"""API-key records, the key-store interface, and key hashing.

Stores are indexed by the SHA-256 hex digest of a key, never by the key: a leaked table, secret or
parameter does not leak usable keys. A digest is not secret-equivalent (it cannot be inverted
into a key), so looking it up in a dict or a table needs no constant-time comparison.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.identity import ContextValue

_KEY_HASH = re.compile(r"[0-9a-f]{64}")
_EPOCH_TEXT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,9})?")
_EMPTY: Mapping[str, ContextValue] = MappingProxyType({})

_RECORD_FIELDS = frozenset(
    {
        "owner",
        "key_id",
        "plan",
        "scopes",
        "groups",
        "enabled",
        "not_before",
        "expires_at",
        "context",
    }
)
#: Bookkeeping fields a store may carry and we ignore. Any other field is refused, not ignored:
#: a typo such as ``expires`` for ``expires_at`` must not silently make a key immortal.
_INFORMATIONAL_FIELDS = frozenset({"key_hash", "description", "created_at", "updated_at"})


def hash_api_key(key: str) -> str:
    """The SHA-256 hex digest under which a key is stored (what the CLI prints)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key(prefix: str = "") -> tuple[str, str]:
    """A fresh random key (256 bits, URL-safe) and its hash: give the key out, store the hash."""
    if prefix and not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", prefix):
        raise ConfigurationError("key prefix must be 1-32 characters of [A-Za-z0-9_-]")
    key = f"{prefix}{secrets.token_urlsafe(32)}"
    return key, hash_api_key(key)


def is_key_hash(text: object) -> bool:
    return isinstance(text, str) and _KEY_HASH.fullmatch(text) is not None


def require_key_hash(text: object) -> str:
    """Reject anything but a lowercase SHA-256 hex digest: catches plaintext keys in config."""
    if not is_key_hash(text):
        raise ConfigurationError(
            "key stores are indexed by the SHA-256 hex digest of a key (64 lowercase hex "
            "characters, see hash_api_key); never configure a plaintext key"
        )
    assert isinstance(text, str)
    return text


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What a store knows about one key. ``owner`` becomes the principal; one owner may hold
    several enabled keys at once, which is how keys are rotated. ``key_id`` is a non-secret
    label (shown in logs and claims). Times are epoch seconds; ``None`` means unbounded."""

    owner: str
    key_id: str | None = None
    plan: str | None = None
    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    enabled: bool = True
    not_before: float | None = None
    expires_at: float | None = None
    context: Mapping[str, ContextValue] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not isinstance(self.owner, str) or not self.owner:
            raise ValueError("KeyRecord.owner must be a non-empty string")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KeyRecord:
        """Build a record from stored JSON or a DynamoDB item; raise ``ValueError`` if bad.

        Times may be epoch seconds (number or numeric string) or ISO 8601 with a UTC offset;
        scopes and groups may be a list, a set or a space-separated string.
        """
        if not isinstance(data, Mapping):
            raise ValueError("key record is not an object")
        unknown = set(data) - _RECORD_FIELDS - _INFORMATIONAL_FIELDS
        if unknown:
            raise ValueError(f"unknown key record fields: {sorted(unknown)}")
        enabled = data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ValueError("'enabled' must be a boolean")
        context = data.get("context") or {}
        if not isinstance(context, Mapping) or not all(isinstance(k, str) for k in context):
            raise ValueError("'context' must be an object")
        return cls(
            owner=_text(data, "owner", required=True) or "",
            key_id=_text(data, "key_id"),
            plan=_text(data, "plan"),
            scopes=_names(data.get("scopes"), "scopes"),
            groups=_names(data.get("groups"), "groups"),
            enabled=enabled,
            not_before=epoch_seconds(data.get("not_before"), "not_before"),
            expires_at=epoch_seconds(data.get("expires_at"), "expires_at"),
            context=MappingProxyType({k: _plain(v) for k, v in context.items()}),
        )


def _text(data: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None:
        if required:  # e.g. the owner stored as "principal" or "user": say what is absent
            raise ValueError(f"{name!r} is missing")
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name!r} must be a non-empty string")
    return value


def _names(value: object, name: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset) or not all(
        isinstance(item, str) and item for item in items
    ):
        raise ValueError(f"{name!r} must be a list of strings")
    return frozenset(items)


def epoch_seconds(value: object, name: str) -> float | None:
    """A finite time: NaN compares false with everything, so a NaN ``expires_at`` would
    never expire; ``"1_0"``, ``"inf"`` or non-ASCII digits are not epoch seconds either."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name!r} must be epoch seconds or an ISO 8601 time")
    if isinstance(value, int | float | Decimal):
        if (isinstance(value, Decimal) and not value.is_finite()) or not math.isfinite(value):
            raise ValueError(f"{name!r} must be a finite number")
        return float(value)
    if isinstance(value, str):
        if _EPOCH_TEXT.fullmatch(value):
            return float(value)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.timestamp()
    raise ValueError(f"{name!r} must be epoch seconds or an ISO 8601 time with a UTC offset")


def _plain(value: Any) -> ContextValue:
    """DynamoDB numbers arrive as ``Decimal`` and string sets as ``set``: make them JSON-able."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool):
        return value
    raise ValueError("'context' values must be strings, numbers, booleans, lists or objects")


@runtime_checkable
class KeyStore(Protocol):
    """Finds the record for a key hash. Returns ``None`` only when the store *answered* that the
    hash is unknown; any failure to get an answer raises ``InfrastructureError``
    (``store_unavailable``), so an outage never reads as "unknown key"."""

    @property
    def name(self) -> str: ...

    def lookup(self, key_hash: str) -> KeyRecord | None: ...


class SelfCachingStore:
    """Marker base: the store keeps its own cache, so ``ApiKeyValidator`` does not wrap it in a
    ``CachedKeyStore`` (which would only delay revocations further)."""


def store_unavailable(store: str, error: BaseException) -> InfrastructureError:
    """The fail-closed error for a store fault. Only the exception *type* is kept: messages of
    SDK errors can echo request parameters (a key hash, a parameter name)."""
    return InfrastructureError(
        ReasonCode.STORE_UNAVAILABLE, f"{store}: lookup failed ({type(error).__name__})"
    )


def malformed_record(store: str, error: ValueError) -> InfrastructureError:
    """A record the store returned but we cannot trust: fail closed, never "unknown key"."""
    return InfrastructureError(ReasonCode.STORE_UNAVAILABLE, f"{store}: malformed record ({error})")
