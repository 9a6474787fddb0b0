"""A whole key map loaded at once and reloaded after a TTL (Secrets Manager, SSM by path).

When a store can only return every key together, asking it once per unknown key would let a
flood of random keys turn into a flood of store calls. A snapshot answers every lookup from
memory and reloads on a schedule instead. Once the snapshot is older than its TTL it is not used:
a failed reload fails closed (no stale keys - a revoked key must stop working), and after a
failure further reloads wait ``failure_cooldown`` seconds so an outage is not hammered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.keystores.base import store_unavailable

T = TypeVar("T")


class Snapshot(Generic[T]):
    """``load()`` returns the full map or raises; ``get(name)`` answers from the current map."""

    def __init__(
        self,
        store: str,
        load: Callable[[], Mapping[str, T]],
        *,
        ttl: float = 300.0,
        failure_cooldown: float = 2.0,
        monotonic: MonotonicClock = monotonic_clock,
    ) -> None:
        if ttl <= 0 or failure_cooldown < 0:
            raise ConfigurationError("snapshot ttl must be positive, failure_cooldown >= 0")
        self._store = store
        self._load = load
        self._ttl = ttl
        self._failure_cooldown = failure_cooldown
        self._monotonic = monotonic
        self._data: Mapping[str, T] | None = None
        self._loaded_at = 0.0
        self._failed: tuple[float, InfrastructureError] | None = None
        self._lock = threading.Lock()

    def get(self, name: str) -> T | None:
        return self.current().get(name)

    def current(self) -> Mapping[str, T]:
        with self._lock:  # one reload at a time; others wait and reuse its result
            now = self._monotonic()
            if self._data is not None and now - self._loaded_at < self._ttl:
                return self._data
            if self._failed is not None and now - self._failed[0] < self._failure_cooldown:
                raise InfrastructureError(
                    ReasonCode.STORE_UNAVAILABLE, f"{self._failed[1].detail}; cooling down"
                )
            self._data = None  # expired: never serve it again, even if the reload fails
            try:
                data = self._load()
            except InfrastructureError as error:
                self._failed = (now, error)
                raise
            except Exception as error:  # any SDK or parsing fault fails closed
                failure = store_unavailable(self._store, error)
                self._failed = (now, failure)
                raise failure from None
            self._data, self._loaded_at, self._failed = data, now, None
            return data

    def invalidate(self) -> None:
        with self._lock:
            self._data = None
            self._failed = None
