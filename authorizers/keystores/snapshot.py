"""A whole key map loaded at once and reloaded after a TTL (Secrets Manager, SSM by path).

When a store can only return every key together, asking it once per unknown key would let a
flood of random keys turn into a flood of store calls. A snapshot answers every lookup from
memory and reloads on a schedule instead. Once the snapshot is older than its TTL it is not used:
a failed reload fails closed (no stale keys - a revoked key must stop working), and after a
failure further reloads wait ``failure_cooldown`` seconds so an outage is not hammered.

:class:`EntrySnapshot` converts the entries one by one, so one malformed entry fails closed
for its own name only; :class:`SnapshotKeyStore` is the key store over it (Secrets Manager, SSM).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.keystores.base import (
    KeyRecord,
    SelfCachingStore,
    is_key_hash,
    malformed_record,
    store_unavailable,
)

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


class EntrySnapshot(Generic[T]):
    """A :class:`Snapshot` of entries each converted on load; an entry ``convert`` refuses
    (``ValueError``, which includes ``ConfigurationError``) makes lookups of that name alone
    raise ``store_unavailable``, never "unknown", while the other entries keep working."""

    def __init__(
        self,
        store: str,
        load: Callable[[], Iterable[tuple[str, Any]]],
        convert: Callable[[Any], T],
        *,
        ttl: float,
        monotonic: MonotonicClock,
    ) -> None:
        self._store = store
        self._load = load
        self._convert = convert
        self._snapshot: Snapshot[T | InfrastructureError] = Snapshot(
            store, self._converted, ttl=ttl, monotonic=monotonic
        )

    def get(self, name: str) -> T | None:
        found = self._snapshot.get(name)
        if isinstance(found, InfrastructureError):
            raise found
        return found

    def _converted(self) -> dict[str, T | InfrastructureError]:
        return {name: self._entry(value) for name, value in self._load()}

    def _entry(self, value: Any) -> T | InfrastructureError:
        try:
            return self._convert(value)
        except ValueError as error:
            return malformed_record(self._store, error)


class SnapshotKeyStore(SelfCachingStore):
    """API keys from a source that returns them all at once: ``entries()`` gives ``(name,
    record data)`` pairs, named by key hash; ``record`` turns data into a :class:`KeyRecord`.
    Entries named otherwise are ignored with a warning that counts them and never names them
    (a name may be a plaintext key pasted by mistake)."""

    def __init__(
        self,
        name: str,
        entries: Callable[[], Iterable[tuple[str, Any]]],
        *,
        record: Callable[[Any], KeyRecord] = KeyRecord.from_mapping,
        noun: str = "entries",
        ttl: float,
        monotonic: MonotonicClock,
    ) -> None:
        self._name = name
        self._entries = entries
        self._noun = noun
        self._keys = EntrySnapshot(name, self._hash_named, record, ttl=ttl, monotonic=monotonic)

    @property
    def name(self) -> str:
        return self._name

    def lookup(self, key_hash: str) -> KeyRecord | None:
        return self._keys.get(key_hash)

    def _hash_named(self) -> list[tuple[str, Any]]:
        entries = list(self._entries())
        named = [(name, data) for name, data in entries if is_key_hash(name)]
        if len(named) < len(entries):
            logging.getLogger(type(self).__module__).warning(
                "%s: %d %s are not named by a SHA-256 hex digest and are ignored",
                self._name,
                len(entries) - len(named),
                self._noun,
            )
        return named
