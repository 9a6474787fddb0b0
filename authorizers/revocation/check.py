"""The revocation check: refuses a token whose ``jti``, ``origin_jti`` or subject is listed.

It is a custom check (``IssuerConfig(checks=[RevocationCheck(store)])``), and a
:class:`~authorizers.validators.jwt.JwtValidator` runs custom checks on every request, cache
hits included, so a revocation is never skipped by the validator's own token cache.

Answers are cached per entry key for ``ttl`` seconds (default 10): a revocation takes effect
within that time, and a warm function reads the store once per key per ``ttl`` rather than
once per request. A validator's cache hit hands the same claims object back, so the verdict
for that object is remembered too (until the earliest of its answers expires): one dict
lookup per request. Both caches are bounded (oldest evicted first): a flood of distinct
tokens cannot grow memory. A store that cannot answer is an ``InfrastructureError`` (500, or
a Deny with ``on_infrastructure_error="deny"``), never "not revoked", and failures are not
cached.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.jwks.keys import VerificationKey
from authorizers.keystores.base import SelfCachingStore
from authorizers.revocation.base import MAX_VALUE_CHARS, Revocation, RevocationStore
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE

DEFAULT_TTL = 10.0
DEFAULT_MAXSIZE = 10_000
#: Claims objects whose "not revoked" verdict is remembered: as many as a JwtValidator's token
#: cache holds by default. Only its hits hand a claims object back; an entry beyond them only
#: keeps a once-verified token's claims alive (~1 KiB each).
MEMO_SIZE = DEFAULT_CACHE_SIZE
_PREFIXES = (("jti", "jti#"), ("origin_jti", "origin_jti#"))


class RevocationCheck:
    """Refuses revoked tokens with ``token_revoked`` (401). ``subject_claim`` names the
    subject (``sub``); ``ttl=0`` asks the store on every request."""

    def __init__(
        self,
        store: RevocationStore,
        *,
        ttl: float = DEFAULT_TTL,
        maxsize: int = DEFAULT_MAXSIZE,
        subject_claim: str = "sub",
        monotonic: MonotonicClock = monotonic_clock,
    ) -> None:
        if not 0 <= ttl <= 3600 or maxsize < 1:
            raise ConfigurationError("revocation cache: ttl must be 0-3600 s and maxsize >= 1")
        self.store = store
        self._fields = (*_PREFIXES, (subject_claim, "sub#"))
        cached = ttl > 0 and not isinstance(store, SelfCachingStore)
        self._ttl = ttl
        self._maxsize = maxsize
        #: key -> (entry or None, monotonic deadline); plain dict reads are atomic
        self._cache: dict[str, tuple[Revocation | None, float]] | None = {} if cached else None
        #: id(claims) -> (claims, deadline): the verdict "not revoked" for one claims object
        self._memo: dict[int, tuple[Mapping[str, Any], float]] = {}
        self._memo_size = min(maxsize, MEMO_SIZE)
        self._monotonic = monotonic
        self._lock = threading.Lock()

    def __call__(
        self,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        key: VerificationKey | None = None,
    ) -> None:
        cache = self._cache
        if cache is None:
            self._check(claims, cache, 0.0)
            return
        now = self._monotonic()
        # A validator's cache hit passes the same claims object again: one lookup answers it.
        memo = self._memo.get(id(claims))
        if memo is not None and memo[0] is claims and now < memo[1]:
            return
        deadline = self._check(claims, cache, now)
        with self._lock:
            memos = self._memo
            memos.pop(id(claims), None)
            memos[id(claims)] = (claims, deadline)  # holds claims: its id cannot be reused
            if len(memos) > self._memo_size:
                del memos[next(iter(memos))]

    def _check(
        self,
        claims: Mapping[str, Any],
        cache: dict[str, tuple[Revocation | None, float]] | None,
        now: float,
    ) -> float:
        """Refuse a revoked token; else the time until which the answers used stay valid."""
        deadline = now + self._ttl
        missing: list[str] | None = None
        for claim, prefix in self._fields:
            value = claims.get(claim)
            if value is None:
                continue
            if type(value) is not str or not value or len(value) > MAX_VALUE_CHARS:
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{claim!r} is not a usable id")
            entry_key = prefix + value
            hit = cache.get(entry_key) if cache is not None else None
            if hit is None or hit[1] <= now:
                missing = [entry_key] if missing is None else [*missing, entry_key]
                continue
            if hit[0] is not None and hit[0].revokes(entry_key, claims.get("iat")):
                raise _revoked()
            deadline = min(deadline, hit[1])
        if missing is not None:
            self._ask(missing, claims, now)
        return deadline

    def _ask(self, keys: list[str], claims: Mapping[str, Any], now: float) -> None:
        found = self.store.find(keys)  # raises InfrastructureError: nothing is cached then
        cache = self._cache
        if cache is not None:
            deadline = now + self._ttl
            with self._lock:
                for entry_key in keys:
                    cache.pop(entry_key, None)  # re-insert: the dict's order is its age
                    cache[entry_key] = (found.get(entry_key), deadline)
                while len(cache) > self._maxsize:
                    del cache[next(iter(cache))]
        for entry_key, entry in found.items():
            if entry_key in keys and entry.revokes(entry_key, claims.get("iat")):
                raise _revoked()

    def invalidate(self) -> None:
        """Forget every cached answer (e.g. right after adding an entry in-process)."""
        with self._lock:
            self._memo.clear()
            if self._cache is not None:
                self._cache.clear()


def _revoked() -> Unauthorized:
    return Unauthorized(ReasonCode.TOKEN_REVOKED, "token has been revoked")
