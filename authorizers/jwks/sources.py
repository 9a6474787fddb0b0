"""Where verification keys come from: a static JWK Set, or a remote JWKS URL behind the shared
per-URL cache (optionally seeded from a snapshot file shipped with the function, so a cold start
needs no network).

Validators depend only on :class:`KeySource`; tests swap in :class:`StaticJwks` or a
:class:`RemoteJwks` with a fake fetcher and clock.
"""

from __future__ import annotations

import contextlib
import os
import random as _random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict, runtime_checkable

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode, Unauthorized
from authorizers.jwks.cache import CacheSettings, JwksCache, RandomSource, shared_cache
from authorizers.jwks.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Fetcher,
    FetchError,
    check_url,
    fetch_json,
    parse_json_object,
    resolve_fetcher,
)
from authorizers.jwks.keys import VerificationKey, parse_jwks, select_key

__all__ = [
    "JwksTuning",
    "KeyFetching",
    "KeySource",
    "RemoteJwks",
    "StaticJwks",
    "fetch_json",
    "load_jwks_file",
]

_DEFAULTS = CacheSettings()


@runtime_checkable
class KeySource(Protocol):
    """Keys for signature verification.

    ``get_key`` raises ``Unauthorized(UNKNOWN_KEY)`` when no key has the kid,
    ``Unauthorized(DISALLOWED_ALGORITHM)`` when the kid exists but no key fits ``alg``, and
    ``InfrastructureError(KEY_UNAVAILABLE)`` when keys cannot be obtained at all.
    """

    def get_key(self, kid: str, alg: str) -> VerificationKey: ...

    def is_current(self, key: VerificationKey) -> bool:
        """Whether ``key`` is still in the latest key set (e.g. to keep a cached token)."""
        ...

    def prefetch(self) -> None: ...


def load_jwks_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Read a JWK Set file with the same strict JSON rules as a fetch; ``ConfigurationError``
    if it is unreadable, too large or not JSON (a broken deployment should fail at init)."""
    try:
        with Path(path).open("rb") as file:
            body = file.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise FetchError(f"larger than {max_bytes} bytes")
        return parse_json_object(body)
    except (OSError, FetchError) as error:
        raise ConfigurationError(f"JWKS file {os.fspath(path)!r}: {error}") from error


class StaticJwks:
    """Keys from a JWK Set given at construction (no network). Unfit keys are skipped; a set
    with no usable key at all is a configuration error."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        try:
            self._keys = parse_jwks(jwks)
        except ValueError as error:
            raise ConfigurationError(f"StaticJwks: {error}") from error
        if not self._keys:
            raise ConfigurationError("StaticJwks: the JWK Set has no usable signature key")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> StaticJwks:
        return cls(load_jwks_file(path))

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        candidates = self._keys.get(kid)
        if not candidates:
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, "no key with this kid")
        return select_key(candidates, alg)

    def is_current(self, key: VerificationKey) -> bool:
        return key in self._keys.get(key.kid, ())

    def prefetch(self) -> None:
        """Nothing to fetch."""


class RemoteJwks:
    """Keys from a JWKS URL, through the cache shared by every source of the same URL and
    settings in the process (see :mod:`authorizers.jwks.cache` for refresh rules and defaults).

    ``snapshot_file``: a JWK Set shipped with the function; it seeds the cache (fresh for
    ``max_age``) so the first requests need no network; refreshes replace it as usual.
    ``fetcher``: ``None`` (the standard-library default), a name (``"requests"``, the
    ``[requests]`` extra; ``"http.client"``) or any :class:`~authorizers.jwks.fetch.Fetcher`.
    ``prefetch=True`` fetches at construction (during Lambda init); a failure there is logged by
    the cache and the first request retries (after backoff). ``allow_http_loopback`` permits
    ``http://127.0.0.1``-style URLs, for tests only.
    """

    def __init__(
        self,
        url: str,
        *,
        fetcher: Fetcher | str | None = None,
        allow_http_loopback: bool = False,
        snapshot_file: str | os.PathLike[str] | None = None,
        prefetch: bool = False,
        max_age: float = _DEFAULTS.max_age,
        cooldown: float = _DEFAULTS.cooldown,
        negative_ttl: float = _DEFAULTS.negative_ttl,
        stale_if_error: float = _DEFAULTS.stale_if_error,
        backoff_base: float = _DEFAULTS.backoff_base,
        backoff_cap: float = _DEFAULTS.backoff_cap,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        monotonic: MonotonicClock = monotonic_clock,
        random: RandomSource = _random.random,
    ) -> None:
        try:
            check_url(url, allow_http_loopback=allow_http_loopback)
        except FetchError as error:
            raise ConfigurationError(f"RemoteJwks: {error}") from error
        settings = CacheSettings(
            max_age=max_age,
            cooldown=cooldown,
            negative_ttl=negative_ttl,
            stale_if_error=stale_if_error,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            timeout=timeout,
            max_bytes=max_bytes,
            allow_http_loopback=allow_http_loopback,
        )
        self.url = url
        self.cache: JwksCache = shared_cache(
            url,
            fetcher=resolve_fetcher(fetcher),
            settings=settings,
            monotonic=monotonic,
            random=random,
        )
        if snapshot_file is not None:
            try:
                self.cache.seed(load_jwks_file(snapshot_file, max_bytes=max_bytes))
            except ValueError as error:  # ConfigurationError is a ValueError too
                raise ConfigurationError(f"RemoteJwks snapshot: {error}") from error
        if prefetch:
            # a failure is logged by the cache; the first request retries after backoff
            with contextlib.suppress(InfrastructureError):
                self.cache.prefetch()

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        return self.cache.get_key(kid, alg)

    def is_current(self, key: VerificationKey) -> bool:
        return self.cache.is_current(key)

    def prefetch(self) -> None:
        """Fetch now; raises ``InfrastructureError(KEY_UNAVAILABLE)`` if no keys are held."""
        self.cache.prefetch()


class JwksTuning(TypedDict, total=False):
    """The per-URL key cache's tuning (``CacheSettings`` documents the defaults and why)."""

    max_age: float
    cooldown: float
    negative_ttl: float
    stale_if_error: float
    backoff_base: float
    backoff_cap: float
    max_bytes: int
    random: RandomSource


@dataclass(frozen=True)
class KeyFetching:
    """How a validator reaches keys behind a URL: HTTP (``fetcher``, ``timeout``), the
    monotonic clock of the cache, and the cache's tuning."""

    fetcher: Fetcher | str | None = None
    monotonic: MonotonicClock = monotonic_clock
    timeout: float = DEFAULT_TIMEOUT
    jwks_options: JwksTuning | None = None

    def remote(
        self,
        url: str,
        *,
        allow_http_loopback: bool = False,
        snapshot_file: str | os.PathLike[str] | None = None,
    ) -> RemoteJwks:
        return RemoteJwks(
            url,
            fetcher=self.fetcher,
            allow_http_loopback=allow_http_loopback,
            snapshot_file=snapshot_file,
            timeout=self.timeout,
            monotonic=self.monotonic,
            **(self.jwks_options or {}),
        )
