"""The decision: what the authorizer concluded and why - the contract with the observer.

Its own module so that :mod:`authorizers.observability` (which receives decisions) and
:mod:`authorizers.authorizer` (which makes them) both depend on it and not on each other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from authorizers.errors import ReasonCode
    from authorizers.grants import Grants
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest


class Outcome(StrEnum):
    """200, 403, 401 (or 403 for simple responses), 500 (or 403 for faults when configured)."""

    ALLOW = "allow"
    DENY = "deny"
    UNAUTHORIZED = "unauthorized"
    ERROR = "error"


class Decision(NamedTuple):
    """What the authorizer decided and why. ``response`` is what the handler returns, or
    ``None`` when it must raise (401 with an IAM response format, and every error: 500).
    ``request`` is ``None`` when the event could not be parsed; ``detail`` is credential-free.
    (A named tuple: built on every call, and ~3x cheaper than a frozen dataclass.)"""

    outcome: Outcome
    validator: str
    request: AuthRequest | None = None
    reason: ReasonCode | None = None
    detail: str = ""
    identity: Identity | None = None
    grants: Grants | None = None
    response: dict[str, Any] | None = None

    def __repr__(self) -> str:  # the response may carry the API key (usageIdentifierKey)
        response = self.response
        if response is not None and "usageIdentifierKey" in response:
            response = {**response, "usageIdentifierKey": "<redacted>"}
        values = (*self[:-1], response)
        pairs = zip(self._fields, values, strict=True)
        shown = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"Decision({shown})"
