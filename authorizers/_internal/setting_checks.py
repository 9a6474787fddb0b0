"""Build-time checks shared by every requirement setting: nothing empty, nothing mistyped.

An empty requirement must never come to mean "anything" - ``scopes_any=[]`` silently dropped,
``one_of="acme"`` read as the character set ``{a, c, e, m}``, ``equals`` filled from an empty
environment variable. Each check raises a :class:`ConfigurationError` that names the field and
never repeats the value (it may be a secret).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from authorizers.errors import ConfigurationError


def name(value: Any, field: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{field} must be a non-empty string")
    return value


def names(value: Any, field: str, *, single: bool = True) -> frozenset[str]:
    """A non-empty collection of non-empty strings (or one string, when ``single``)."""
    if isinstance(value, str) and single:
        value = (value,)
    if (
        isinstance(value, str | bytes | Mapping)
        or not isinstance(value, Iterable)
        or not (items := tuple(value))
        or not all(isinstance(item, str) and item for item in items)
    ):
        shape = "a non-empty string or " if single else ""
        raise ConfigurationError(f"{field} must be {shape}a non-empty list of non-empty strings")
    return frozenset(items)


def optional_names(value: Any, field: str) -> frozenset[str] | None:
    return None if value is None else names(value, field)


def scopes(value: Any, field: str, *, single: bool = True) -> frozenset[str]:
    """:func:`names` that are single OAuth scopes. A scope never holds whitespace (RFC 6749
    §3.3: tokens carry ``"read write"`` as two scopes), so ``"read write"`` as one required
    scope could never be met: refused, rather than split behind the caller's back."""
    found = names(value, field, single=single)
    if any(item.split() != [item] for item in found):
        raise ConfigurationError(
            f'{field}: a scope holds whitespace; pass separate scopes (e.g. "read", '
            '"write"), not one space-separated string'
        )
    return found


def mapping(value: Any, field: str) -> Mapping[str, Any]:
    """A non-empty mapping whose keys are non-empty strings."""
    if not isinstance(value, Mapping) or not value:
        raise ConfigurationError(f"{field} must be a non-empty mapping")
    for key in value:
        name(key, f"each name in {field}")
    return value
