"""Extract a bearer token from an ``Authorization`` value (RFC 6750 section 2.1).

Strict on purpose: ``Bearer a b``, ``Basic ...`` or a token with characters outside the
b64token alphabet are rejected rather than repaired, so what a validator checks is exactly
what the client sent and no two readings of one header exist.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from authorizers.errors import ReasonCode, Unauthorized

if TYPE_CHECKING:
    from authorizers.request import AuthRequest

# RFC 6750: credentials = "Bearer" 1*SP b64token;  b64token = 1*( ALPHA / DIGIT /
# "-" / "." / "_" / "~" / "+" / "/" ) *"="   (ASCII only: str patterns, no \w)
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Header values lose surrounding optional whitespace (RFC 9110 section 5.5).
_OWS = " \t"


def bearer_token(value: str | None, *, allow_bare: bool = True) -> str:
    """The token in ``"Bearer <token>"`` (scheme case-insensitive), or a bare ``<token>``
    when ``allow_bare`` (what API Gateway's own JWT authorizer accepts too).

    Raises ``Unauthorized(missing_credential)`` when there is nothing, and
    ``Unauthorized(malformed_token)`` for another scheme, several tokens or stray characters.
    """
    return _token_after(value, "Bearer", allow_bare)


def bearer_jws(value: str | None, *, allow_bare: bool = True) -> str:
    """:func:`bearer_token` for a compact JWS, which ``validators._jws.parse_compact`` parses
    next: its grammar (three base64url segments) admits only b64tokens, so the token's
    characters are checked once, by that grammar, instead of twice (each scan of a ~700-byte
    token costs a µs or two on every new token). A non-b64token is still refused, as a
    malformed token, by the JWS grammar."""
    return _token_after(value, "Bearer", allow_bare, checked=False)


def request_bearer_token(request: AuthRequest, *, allow_bare: bool = True) -> str:
    """:func:`bearer_token` of the request's Authorization value (TOKEN event token or header).

    Conflicting duplicate Authorization headers raise ``Unauthorized(ambiguous_credential)``.
    """
    return bearer_token(request.authorization(), allow_bare=allow_bare)


def scheme_token(value: str | None, scheme: str) -> str:
    """The b64token after ``scheme`` (case-insensitive), e.g. ``DPoP <token>`` (RFC 9449 §7.1);
    anything else (another scheme, no token, stray characters) is refused like
    :func:`bearer_token` refuses it."""
    return _token_after(value, scheme, False)


def _token_after(value: str | None, scheme: str, allow_bare: bool, *, checked: bool = True) -> str:
    """One reading of ``<scheme> 1*SP b64token`` (or a bare b64token) for every scheme;
    ``checked=False`` leaves the b64token grammar to a stricter one (see :func:`bearer_jws`)."""
    if value is None:
        raise Unauthorized(ReasonCode.MISSING_CREDENTIAL, "no Authorization value")
    if not isinstance(value, str):
        raise Unauthorized(ReasonCode.MALFORMED_TOKEN, "Authorization value is not text")
    credentials = value.strip(_OWS)
    if not credentials:
        raise Unauthorized(ReasonCode.MISSING_CREDENTIAL, "empty Authorization value")
    given, space, token = credentials.partition(" ")
    named = given.lower() == scheme.lower()
    if space:
        if not named:
            raise Unauthorized(ReasonCode.MALFORMED_TOKEN, f"Authorization scheme is not {scheme}")
        token = token.lstrip(" ")
    elif named:
        raise Unauthorized(ReasonCode.MALFORMED_TOKEN, f"{scheme} scheme without a token")
    elif allow_bare:
        token = credentials
    else:
        raise Unauthorized(
            ReasonCode.MALFORMED_TOKEN, f"Authorization value lacks the {scheme} scheme"
        )
    if checked and not _B64TOKEN.fullmatch(token):
        raise Unauthorized(ReasonCode.MALFORMED_TOKEN, "token is not one RFC 6750 b64token")
    return token
