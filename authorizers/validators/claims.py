"""Claim checks for verified JWTs: time, audience, required values, scopes and groups.

Kept apart from :mod:`authorizers.validators.jwt` so the rules read as a list. Claims are
attacker-chosen JSON even after the signature checks out (a buggy or compromised client of
the issuer may mint odd values), so every reader checks types: ``true`` is not a number,
``1e400`` is not a date, a ``scope`` that is not a string is refused rather than ignored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authorizers.errors import Forbidden, ReasonCode, Unauthorized


def numeric_date(claims: Mapping[str, Any], name: str) -> int | float | None:
    """A NumericDate claim (RFC 7519 §2) or ``None`` if absent; other types are invalid."""
    if name not in claims:
        return None
    value = claims[name]
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return value
    raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} is not a finite number")


def check_times(
    claims: Mapping[str, Any], now: float, leeway: float, max_age: float | None
) -> None:
    """``exp`` is required; ``nbf`` and ``iat`` may not lie in the future (same rules as
    PyJWT: expired when ``exp <= now - leeway``, early when ``nbf|iat > now + leeway``)."""
    exp = numeric_date(claims, "exp")
    if exp is None:
        raise Unauthorized(ReasonCode.MISSING_CLAIM, "'exp' is required")
    if exp <= now - leeway:
        raise Unauthorized(ReasonCode.EXPIRED, "token has expired")
    nbf = numeric_date(claims, "nbf")
    if nbf is not None and nbf > now + leeway:
        raise Unauthorized(ReasonCode.NOT_YET_VALID, "'nbf' is in the future")
    iat = numeric_date(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise Unauthorized(ReasonCode.NOT_YET_VALID, "'iat' is in the future")
    if max_age is not None:
        if iat is None:
            raise Unauthorized(ReasonCode.MISSING_CLAIM, "'iat' is required for a max age")
        if now - iat > max_age + leeway:
            raise Unauthorized(ReasonCode.TOKEN_TOO_OLD, "token was issued too long ago")


def _strings(value: Any, name: str, *, split: bool) -> frozenset[str]:
    """A claim holding one string or a list of strings, as a set."""
    if isinstance(value, str):
        return frozenset(value.split() if split else (value,))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} is not a string or string list")


def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """Scopes from ``scope`` (RFC 8693/9068: space-delimited string) and ``scp`` (string or
    list, as Okta and Entra ID send it); the union when both are present."""
    scopes: frozenset[str] = frozenset()
    if "scope" in claims:
        value = claims["scope"]
        if not isinstance(value, str):
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'scope' is not a string")
        scopes = frozenset(value.split())
    if "scp" in claims:
        scopes |= _strings(claims["scp"], "scp", split=True)
    return scopes


def groups_of(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    """Groups from a list-of-strings claim (a single string counts as one group)."""
    return _strings(claims[name], name, split=False) if name in claims else frozenset()


def normalize_token_type(value: str) -> str:
    """RFC 7515 §4.1.9: media types are case-insensitive and ``application/`` may be left out."""
    value = value.lower()
    return value.removeprefix("application/") if value.count("/") == 1 else value


def context_value(value: Any) -> str | int | float | bool | None:
    """Flatten a claim to a value every API kind accepts in ``context`` (scalars only: REST
    and WebSocket reject lists and maps). Lists become comma-joined strings (``a,b``; non-
    string items as JSON), maps compact JSON; ``None`` means "leave out" (null, NaN)."""
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return ",".join(item if isinstance(item, str) else _json(item) for item in value)
    if isinstance(value, dict):
        return _json(value)
    return None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _same_json(a: Any, b: Any) -> bool:
    # ``True == 1`` and ``1 == 1.0`` in Python, not in JSON: compare types too.
    return type(a) is type(b) and a == b


def _as_set(values: str | Iterable[str] | None) -> frozenset[str]:
    if values is None:
        return frozenset()
    return frozenset((values,) if isinstance(values, str) else values)


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """The static (time-independent) claim rules of one issuer, compiled once."""

    audiences: frozenset[str] | None  # None: audience not checked
    client_ids: frozenset[str]
    required: tuple[str, ...] = ()
    equal: tuple[tuple[str, Any], ...] = ()
    contain: tuple[tuple[str, frozenset[str]], ...] = ()
    scopes_any: frozenset[str] = frozenset()
    scopes_all: frozenset[str] = frozenset()
    groups_any: frozenset[str] = frozenset()
    groups_all: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        audience: str | Iterable[str] | None,
        client_ids: str | Iterable[str] | None,
        required: Iterable[str] = (),
        equal: Mapping[str, Any] | None = None,
        contain: Mapping[str, str | Iterable[str]] | None = None,
        scopes_any: str | Iterable[str] | None = None,
        scopes_all: str | Iterable[str] | None = None,
        groups_any: str | Iterable[str] | None = None,
        groups_all: str | Iterable[str] | None = None,
    ) -> ClaimRules:
        return cls(
            audiences=None if audience is None else _as_set(audience),
            client_ids=_as_set(client_ids),
            required=tuple(required),
            equal=tuple((equal or {}).items()),
            contain=tuple((name, _as_set(values)) for name, values in (contain or {}).items()),
            scopes_any=_as_set(scopes_any),
            scopes_all=_as_set(scopes_all),
            groups_any=_as_set(groups_any),
            groups_all=_as_set(groups_all),
        )

    def check_audience(self, claims: Mapping[str, Any]) -> None:
        """``aud`` must contain a configured audience, or - where client ids are configured -
        ``client_id`` must be one of them (what API Gateway's JWT authorizer accepts)."""
        if (
            self.audiences is not None
            and "aud" in claims
            and not _strings(claims["aud"], "aud", split=False).isdisjoint(self.audiences)
        ):
            return
        if self.client_ids:
            client_id = claims.get("client_id")
            if isinstance(client_id, str) and client_id in self.client_ids:
                return
        elif self.audiences is None:
            return  # audience checks explicitly disabled
        raise Unauthorized(ReasonCode.WRONG_AUDIENCE, "token is not for this audience")

    def check(self, claims: Mapping[str, Any]) -> None:
        """Audience, required claims, exact values and contained values (401 on failure)."""
        self.check_audience(claims)
        for name in self.required:
            if claims.get(name) is None:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
        for name, expected in self.equal:
            if name not in claims:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
            if not _same_json(claims[name], expected):
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} has the wrong value")
        for name, wanted in self.contain:
            if name not in claims:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
            if not wanted <= _strings(claims[name], name, split=False):
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} lacks a required value")

    def authorize(self, scopes: frozenset[str], groups: frozenset[str]) -> None:
        """Scope and group requirements. A valid identity that lacks them is *Forbidden*
        (403): the caller is known, just not allowed, and asking again with the same token
        cannot help - a 401 would invite a pointless re-authentication."""
        if (self.scopes_any and scopes.isdisjoint(self.scopes_any)) or not (
            self.scopes_all <= scopes
        ):
            raise Forbidden(ReasonCode.INSUFFICIENT_SCOPE, "token lacks a required scope")
        if (self.groups_any and groups.isdisjoint(self.groups_any)) or not (
            self.groups_all <= groups
        ):
            raise Forbidden(ReasonCode.INSUFFICIENT_GROUP, "caller is not in a required group")
