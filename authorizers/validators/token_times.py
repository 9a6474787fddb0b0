"""The time claims of a JWT: ``exp`` (required and bounded), ``nbf``, ``iat``, age and lifetime.

Dates are attacker-chosen JSON even after the signature checks out (a buggy or compromised
client of the issuer may mint odd values): ``true`` is not a number, ``1e400`` is not a date,
and a date past year 9999 (``1e20``, ``1e300``, a 400-digit integer) is refused everywhere - a
token that never expires defeats the reason ``exp`` is required. Only bounded values are ever
subtracted, so nothing can overflow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from authorizers.errors import ReasonCode, Unauthorized

#: Leeway for ``exp``/``nbf``/``iat``. Lambda and the big IdPs keep NTP time, but a token minted
#: a second "in the future" by a slightly fast IdP clock must not bounce; 30 s absorbs real skew
#: while keeping an expired token usable for at most half a minute (Envoy and Powertools use 60,
#: aws-jwt-verify and PyJWT 0).
DEFAULT_LEEWAY = 30.0
#: 9999-12-31T23:59:59Z, the last second a ``datetime`` (and most JWT libraries) can represent.
MAX_NUMERIC_DATE = 253_402_300_799


def numeric_date(claims: Mapping[str, Any], name: str) -> int | float | None:
    """A NumericDate claim (RFC 7519 §2) or ``None`` if absent; other types are invalid."""
    if name not in claims:
        return None
    value = claims[name]
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        if -MAX_NUMERIC_DATE <= value <= MAX_NUMERIC_DATE:
            return value
        raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} is not a date before year 10000")
    raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} is not a finite number")


def check_times(
    claims: Mapping[str, Any],
    now: float,
    leeway: float,
    max_age: float | None,
    max_lifetime: float | None = None,
) -> None:
    """``exp`` is required; ``nbf`` and ``iat`` may not lie in the future (same rules as
    PyJWT: expired when ``exp <= now - leeway``, early when ``nbf|iat > now + leeway``).
    ``max_lifetime`` bounds ``exp - iat``, or ``exp - now`` for a token without ``iat``."""
    exp = numeric_date(claims, "exp")
    if exp is None:
        raise Unauthorized(ReasonCode.MISSING_CLAIM, "'exp' is required")
    if exp <= now - leeway:
        raise Unauthorized(ReasonCode.EXPIRED, "token has expired")
    if "nbf" in claims:
        nbf = numeric_date(claims, "nbf")
        if nbf is not None and nbf > now + leeway:
            raise Unauthorized(ReasonCode.NOT_YET_VALID, "'nbf' is in the future")
    iat = numeric_date(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise Unauthorized(ReasonCode.NOT_YET_VALID, "'iat' is in the future")
    if max_lifetime is not None:
        lifetime = exp - iat if iat is not None else exp - now - leeway
        if lifetime > max_lifetime:
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'exp' is further away than max_lifetime")
    if max_age is not None:
        if iat is None:
            raise Unauthorized(ReasonCode.MISSING_CLAIM, "'iat' is required for a max age")
        if iat < now - max_age - leeway:
            raise Unauthorized(ReasonCode.TOKEN_TOO_OLD, "token was issued too long ago")
