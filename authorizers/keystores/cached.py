"""Per-hash caching in front of a remote key store: a positive cache and a bounded negative one.

The positive TTL bounds how long a disabled or deleted key keeps working (expiry is checked on
every request against the record's ``expires_at``, so it is exact). The negative cache keeps a
flood of one bad key from reaching the store on every request; it is bounded so a flood of
*random* keys cannot grow memory. Failures are never cached: the next request asks again.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError
from authorizers.keystores.base import KeyRecord, KeyStore, SelfCachingStore


class CachedKeyStore(SelfCachingStore):
    """Wraps any :class:`KeyStore`; ``ApiKeyValidator`` does this for you (see ``cache_ttl``)."""

    def __init__(
        self,
        store: KeyStore,
        *,
        ttl: float = 300.0,
        negative_ttl: float = 30.0,
        maxsize: int = 1024,
        negative_maxsize: int = 4096,
        monotonic: MonotonicClock = monotonic_clock,
    ) -> None:
        if ttl <= 0 or negative_ttl < 0 or maxsize < 1 or negative_maxsize < 1:
            raise ConfigurationError("cache TTLs must be positive and sizes at least 1")
        self.store = store
        self._positive: TTLCache[str, KeyRecord] = TTLCache(maxsize, ttl, timer=monotonic)
        self._negative: TTLCache[str, bool] | None = (
            TTLCache(negative_maxsize, negative_ttl, timer=monotonic) if negative_ttl else None
        )
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.store.name

    def lookup(self, key_hash: str) -> KeyRecord | None:
        with self._lock:
            record = self._positive.get(key_hash)
            if record is not None:
                return record
            if self._negative is not None and key_hash in self._negative:
                return None
        record = self.store.lookup(key_hash)  # raises on failure: nothing gets cached
        with self._lock:
            if record is not None:
                self._positive[key_hash] = record
            elif self._negative is not None:
                self._negative[key_hash] = True
        return record

    def invalidate(self) -> None:
        """Forget everything (e.g. after revoking a key from an operations hook)."""
        with self._lock:
            self._positive.clear()
            if self._negative is not None:
                self._negative.clear()
