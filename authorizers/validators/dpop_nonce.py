"""Optional DPoP server nonces (RFC 9449 §8): proofs must carry a recent server-chosen value.

A nonce limits how far ahead a client (or malware on it) can pre-compute proofs. Nonces here
are stateless: ``HMAC(secret, period number)``, so every instance and the backend that hands
them out agree without shared state; the current and the previous period's nonce are accepted.

A Lambda authorizer cannot set headers on its 401, so it cannot send ``DPoP-Nonce`` itself:
the protected backend returns ``DPoP-Nonce: <DpopNonces.current()>`` on its responses (and on
an endpoint a client may call first); a proof without a fresh nonce is a 401 with reason
``use_dpop_nonce`` (docs/recipes.md).
"""

from __future__ import annotations

import hashlib
import hmac

from authorizers._internal.thumbprints import b64url
from authorizers.clock import Clock, system_clock
from authorizers.errors import ConfigurationError

MIN_SECRET_BYTES = 32


class DpopNonces:
    """Issues and checks nonces valid for ``period`` to ``2 * period`` seconds."""

    def __init__(self, secret: bytes, *, period: int = 300, clock: Clock = system_clock) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"a nonce secret must be at least {MIN_SECRET_BYTES} bytes")
        if period < 1:
            raise ConfigurationError("period must be at least 1 second")
        self._secret = secret
        self._period = period
        self._clock = clock

    def __repr__(self) -> str:
        return f"DpopNonces(period={self._period})"  # never the secret

    def _nonce(self, number: int) -> str:
        digest = hmac.new(self._secret, f"dpop-nonce:{number}".encode(), hashlib.sha256)
        return b64url(digest.digest()[:18])

    def current(self) -> str:
        """The nonce to send in ``DPoP-Nonce`` now."""
        return self._nonce(int(self._clock()) // self._period)

    def is_fresh(self, nonce: object) -> bool:
        """Whether ``nonce`` is this or the previous period's (constant-time comparison)."""
        if not isinstance(nonce, str) or len(nonce) != 24:
            return False
        number = int(self._clock()) // self._period
        fresh = [hmac.compare_digest(nonce, self._nonce(n)) for n in (number, number - 1)]
        return any(fresh)
