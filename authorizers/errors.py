"""Errors and the reason-code taxonomy.

Every rejection carries a stable, machine-readable :class:`ReasonCode` and a short detail that
never contains credential material (tokens, signatures, keys, secrets). The exception *class*
decides what API Gateway is told; the reason code says why, for logs and metrics.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum


class ReasonCode(StrEnum):
    """Why a request was not allowed. Values are stable: dashboards and alarms key on them."""

    # credential presence and shape
    MISSING_CREDENTIAL = "missing_credential"
    AMBIGUOUS_CREDENTIAL = "ambiguous_credential"
    MALFORMED_TOKEN = "malformed_token"
    # token cryptography
    DISALLOWED_ALGORITHM = "disallowed_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    # token claims
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    TOKEN_TOO_OLD = "token_too_old"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_TOKEN_USE = "wrong_token_use"
    WRONG_TOKEN_TYPE = "wrong_token_type"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    # revocation and introspection
    TOKEN_REVOKED = "token_revoked"
    TOKEN_INACTIVE = "token_inactive"
    # API keys
    UNKNOWN_API_KEY = "unknown_api_key"
    DISABLED_API_KEY = "disabled_api_key"
    EXPIRED_API_KEY = "expired_api_key"
    API_KEY_NOT_YET_VALID = "api_key_not_yet_valid"
    # request parameters
    SOURCE_IP_DENIED = "source_ip_denied"
    REQUEST_PARAMETER_MISMATCH = "request_parameter_mismatch"
    CLIENT_CERT_REJECTED = "client_cert_rejected"
    BAD_REQUEST_SIGNATURE = "bad_request_signature"
    STALE_REQUEST_SIGNATURE = "stale_request_signature"
    # sender-constrained tokens (RFC 8705 mTLS binding, RFC 9449 DPoP)
    CERT_BINDING_MISMATCH = "cert_binding_mismatch"
    INVALID_DPOP_PROOF = "invalid_dpop_proof"
    DPOP_BINDING_MISMATCH = "dpop_binding_mismatch"
    DPOP_REPLAY = "dpop_replay"
    USE_DPOP_NONCE = "use_dpop_nonce"
    # authorization (403)
    INSUFFICIENT_SCOPE = "insufficient_scope"
    INSUFFICIENT_GROUP = "insufficient_group"
    FORBIDDEN = "forbidden"
    # infrastructure and faults (500 by default)
    KEY_UNAVAILABLE = "key_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    INTROSPECTION_UNAVAILABLE = "introspection_unavailable"
    MALFORMED_EVENT = "malformed_event"
    INVALID_RESPONSE = "invalid_response"
    INTERNAL_ERROR = "internal_error"


class AuthorizerError(Exception):
    """Base class: a decision that is not an Allow. ``detail`` is safe to log."""

    default_reason: ReasonCode = ReasonCode.INTERNAL_ERROR

    def __init__(self, reason: ReasonCode | None = None, detail: str = "") -> None:
        self.reason = reason if reason is not None else self.default_reason
        self.detail = detail
        super().__init__(f"{self.reason.value}: {detail}" if detail else self.reason.value)


class Unauthorized(AuthorizerError):
    """Missing or invalid credential: API Gateway answers 401."""

    default_reason = ReasonCode.MISSING_CREDENTIAL


class Forbidden(AuthorizerError):
    """Valid identity that may not call this route: rendered as a Deny (403)."""

    default_reason = ReasonCode.FORBIDDEN


class InfrastructureError(AuthorizerError):
    """A dependency failed (keys unreachable, store down). Raise (500) by default, or deny."""

    default_reason = ReasonCode.KEY_UNAVAILABLE


class MalformedEvent(AuthorizerError):
    """The Lambda event is not one API Gateway sends to an authorizer: fail closed (500)."""

    default_reason = ReasonCode.MALFORMED_EVENT


class InvalidResponse(AuthorizerError):
    """The response would be rejected by API Gateway (500): caught before returning it."""

    default_reason = ReasonCode.INVALID_RESPONSE


class ConfigurationError(ValueError):
    """Raised when an authorizer is built with unsafe or inconsistent settings (at cold start)."""


def describe_unexpected(error: BaseException) -> str:
    """Type and raising line of an unexpected exception, never its message: that may hold a
    credential (a library quoting the token it choked on)."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return type(error).__name__
    filename = os.path.basename(traceback.tb_frame.f_code.co_filename)
    return f"{type(error).__name__} at {filename}:{traceback.tb_lineno}"


def issuer_mismatch(sent: str, trusted: Sequence[str], *, what: str = "token issuer") -> str:
    """Which ``iss`` came and which are trusted (issuers are public; the sent one is cut
    short and escaped: it is attacker-chosen), with a hint for a trailing-slash difference."""
    shown = ", ".join(repr(name) for name in trusted[:4]) + (", ..." if len(trusted) > 4 else "")
    got = repr(sent if len(sent) <= 100 else sent[:97] + "...")
    detail = f"{what} {got} is not trusted (trusted: {shown})"
    near = [name for name in trusted if name.rstrip("/") == sent.rstrip("/")]
    if near:
        detail += f"; it differs from {near[0]!r} only by a trailing slash"
    return detail
