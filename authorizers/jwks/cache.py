"""One key cache per JWKS URL: refresh, rate limits, single-flight, backoff, bounded stale use.

Lookups by kid are lock-free while the held key set is fresh. Otherwise:

* an unknown kid triggers a refresh, at most once per ``cooldown`` (a rotated-in key is
  accepted within seconds, while a flood of invented kids costs the IdP one fetch per window),
  and a kid a fresh fetch proved absent is remembered for ``negative_ttl`` in a bounded cache;
* only one thread fetches at a time; threads that need the result wait for it, at most the
  fetch deadline; threads holding a usable (stale) key do not wait at all;
* a failed fetch starts exponential backoff with jitter; meanwhile the last good keys keep
  serving until ``stale_if_error`` seconds past their max-age, then lookups fail closed with
  ``InfrastructureError(KEY_UNAVAILABLE)``.

All times come from an injectable monotonic clock, all randomness from an injectable
``random()``, all HTTP from an injectable :class:`~authorizers.jwks.fetch.Fetcher`.
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authorizers.clock import MonotonicClock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode, Unauthorized
from authorizers.jwks.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Fetcher,
    FetchError,
    describe_url,
    fetch_json,
)
from authorizers.jwks.keys import (
    MAX_KID_LENGTH,
    VerificationKey,
    log,
    parse_jwk,
    parse_jwks,
    select_key,
)

if TYPE_CHECKING:
    from cachetools import TTLCache


Keys = Mapping[str, tuple[VerificationKey, ...]]
#: Returns a float in [0, 1): the jitter source (``random.random`` by default).
RandomSource = Callable[[], float]

NEGATIVE_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """Tuning of a :class:`JwksCache`; caches are shared only between equal settings.

    Defaults, and why:

    * ``max_age`` 600 s: a key the IdP withdrew (compromise) stops being trusted within 10
      minutes, at one fetch per 10 minutes per process (panva/jose and Envoy use the same).
    * ``cooldown`` 10 s: a newly rotated kid is fetched at once and retried after 10 s if the
      IdP's CDN lagged, yet invented kids cost the IdP at most 6 fetches a minute per process
      (aws-jwt-verify's penalty box is 10 s; Powertools' 300 s refuses new keys for 5 min).
    * ``negative_ttl`` 30 s: one repeated bogus kid re-triggers a fetch at most every 30 s,
      and a kid published just after its first use is accepted within 30 s.
    * ``stale_if_error`` 3600 s: an IdP outage of up to an hour does not take the API down;
      after that, keys nobody could confirm are no longer trusted.
    * backoff 1 s doubling to 30 s, with jitter: a down IdP sees a trickle, not a stampede,
      and recovery is noticed within 30 s.
    * ``timeout`` 3 s and ``max_bytes`` 512 KiB: see :mod:`authorizers.jwks.fetch`.
    """

    max_age: float = 600.0
    cooldown: float = 10.0
    negative_ttl: float = 30.0
    stale_if_error: float = 3600.0
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    allow_http_loopback: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.cooldown <= 30:
            raise ConfigurationError("cooldown must be in (0, 30] seconds")
        if not 0 < self.timeout <= 30:
            raise ConfigurationError("timeout must be in (0, 30] seconds")
        if self.max_age <= 0 or self.max_bytes <= 0 or self.backoff_base <= 0:
            raise ConfigurationError("max_age, max_bytes and backoff_base must be positive")
        if min(self.negative_ttl, self.stale_if_error) < 0 or self.backoff_cap < 0:
            raise ConfigurationError("negative_ttl, stale_if_error, backoff_cap must be >= 0")


class _AbsentKids:
    """Kids a fresh fetch proved absent, each remembered for ``ttl`` seconds, at most
    ``size`` of them: a ``cachetools.TTLCache`` on the injected clock, built on the first
    miss so a function whose kids are all known never imports it."""

    def __init__(self, size: int, ttl: float, clock: MonotonicClock) -> None:
        self._size, self._ttl, self._clock = size, ttl, clock
        self._kids: TTLCache[str, bool] | None = None

    def add(self, kid: str) -> None:
        if self._kids is None:
            from cachetools import TTLCache  # noqa: PLC0415 - lazy: cold start

            self._kids = TTLCache(self._size, self._ttl, timer=self._clock)
        self._kids[kid] = True

    def __contains__(self, kid: str) -> bool:
        return self._kids is not None and kid in self._kids


@dataclass(frozen=True, slots=True)
class _KeySet:
    keys: Keys
    fetched_at: float


class _Flight:
    """One fetch in progress; waiters read ``result`` once ``done``."""

    __slots__ = ("done", "result")

    def __init__(self) -> None:
        self.done = False
        self.result: _KeySet | None = None


class JwksCache:
    """Keys of one JWKS URL, shared by every validator of the process using it (see
    :func:`shared_cache`). Raises like :class:`~authorizers.jwks.sources.KeySource`."""

    def __init__(
        self,
        url: str,
        *,
        fetcher: Fetcher | None,
        settings: CacheSettings,
        monotonic: MonotonicClock,
        random: RandomSource,
    ) -> None:
        self.url = url
        self.settings = settings
        self._fetcher = fetcher
        self._now = monotonic
        self._random = random
        self._held: _KeySet | None = None
        self._lock = threading.Lock()
        self._flight_done = threading.Condition(self._lock)
        self._flight: _Flight | None = None
        self._last_attempt = -math.inf
        self._retry_at = -math.inf
        self._failures = 0
        self._absent = _AbsentKids(NEGATIVE_CACHE_SIZE, settings.negative_ttl, monotonic)
        self._parsed: dict[str, VerificationKey] = {}  # canonical JWK -> key, across refreshes

    @property
    def fetcher(self) -> Fetcher | None:
        """What fetches this URL (``None``: the default, resolved at each fetch)."""
        return self._fetcher

    # -- lookups ----------------------------------------------------------------------------

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        held = self._held  # the hot path of _candidates, inlined: every new token asks this
        if held is not None and self._now() - held.fetched_at < self.settings.max_age:
            found = held.keys.get(kid)
            if found:
                return select_key(found, alg)
        return select_key(self._candidates(kid), alg)

    def is_current(self, key: VerificationKey) -> bool:
        held = self._held  # the hot path of _candidates, inlined: every cache hit asks this
        if held is not None and self._now() - held.fetched_at < self.settings.max_age:
            found = held.keys.get(key.kid)
            if found:
                return key in found
        try:
            return key in self._candidates(key.kid)
        except (Unauthorized, InfrastructureError):
            return False

    def _usable(self, now: float) -> _KeySet | None:
        held = self._held
        limit = self.settings.max_age + self.settings.stale_if_error
        return held if held is not None and now - held.fetched_at < limit else None

    def _candidates(self, kid: str) -> tuple[VerificationKey, ...]:
        now = self._now()
        held = self._usable(now)
        fresh = held is not None and now - held.fetched_at < self.settings.max_age
        found = held.keys.get(kid, ()) if held is not None else ()
        if found and fresh:
            return found  # the hot path: no lock
        if found:  # past max-age: one thread refreshes, the others keep the last good keys
            latest = self._refresh(now, seen=held, wait=False)
            if latest is None:
                return found
        elif len(kid) > MAX_KID_LENGTH:
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, "kid longer than any published one")
        else:
            latest = self._refresh(now, seen=held, wait=True, unknown_kid=kid if fresh else None)
            if latest is None:
                if self._usable(self._now()) is None:
                    raise InfrastructureError(ReasonCode.KEY_UNAVAILABLE, self._unavailable())
                raise Unauthorized(ReasonCode.UNKNOWN_KEY, "no key with this kid")
        found = latest.keys.get(kid, ())
        if not found:
            with self._lock:
                self._absent.add(kid)
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, "no key with this kid after a refresh")
        return found

    def _unavailable(self) -> str:
        return f"no usable keys from {describe_url(self.url)} (fetch failing or backing off)"

    # -- loading ----------------------------------------------------------------------------

    def seed(self, doc: Mapping[str, Any]) -> None:
        """Start from a shipped JWK Set (fresh for ``max_age``) unless keys are already held.

        Raises ``ValueError`` if ``doc`` is not a JWK Set.
        """
        new: dict[str, VerificationKey] = {}
        keys = parse_jwks(doc, parse=self._parse_into(new))
        with self._lock:
            if self._held is None:
                self._held = _KeySet(keys, self._now())
                self._parsed = new

    def prefetch(self) -> None:
        """Fetch now (e.g. at init) unless keys were fetched within the cooldown.

        Raises ``InfrastructureError(KEY_UNAVAILABLE)`` if afterwards no usable keys are held.
        """
        now = self._now()
        if self._held is not None and now - self._last_attempt < self.settings.cooldown:
            return
        held = self._usable(now)
        if self._refresh(now, seen=held, wait=True) is None and self._usable(self._now()) is None:
            raise InfrastructureError(ReasonCode.KEY_UNAVAILABLE, self._unavailable())

    def _may_fetch(self, now: float, unknown_kid: str | None) -> bool:
        if now < self._retry_at:
            return False  # backing off after a failure
        if unknown_kid is None:
            return True  # keys are due (expired, none, or prefetch)
        fresh_miss = unknown_kid in self._absent
        return not fresh_miss and now - self._last_attempt >= self.settings.cooldown

    def _refresh(
        self, now: float, *, seen: _KeySet | None, wait: bool, unknown_kid: str | None = None
    ) -> _KeySet | None:
        """Fetch (single-flight) and return the new key set, or ``None`` if there is none to
        offer: not allowed now, the fetch failed, or waiting ran out of time."""
        with self._lock:
            running = self._flight
            if running is not None:
                if not wait:
                    return None
                self._flight_done.wait_for(lambda: running.done, timeout=self.settings.timeout)
                return running.result
            if not self._may_fetch(now, unknown_kid):
                held = self._usable(now)  # another thread may have refreshed since we looked
                return held if held is not seen else None
            flight = self._flight = _Flight()
            self._last_attempt = now
        result: _KeySet | None = None
        try:
            result = self._fetch()
        finally:
            with self._lock:
                flight.result, flight.done, self._flight = result, True, None
                self._flight_done.notify_all()
        return result

    def _fetch(self) -> _KeySet | None:
        """One fetch; records success or failure (under the lock). Never raises."""
        new: dict[str, VerificationKey] = {}
        try:
            doc = fetch_json(
                self.url,
                fetcher=self._fetcher,
                timeout=self.settings.timeout,
                max_bytes=self.settings.max_bytes,
                allow_http_loopback=self.settings.allow_http_loopback,
            )
            keys = parse_jwks(doc, parse=self._parse_into(new))
        except Exception as error:  # fail closed on anything, keep the last good keys
            with self._lock:
                self._record_failure(error)
            return None
        with self._lock:
            self._failures, self._retry_at = 0, -math.inf
            self._held = _KeySet(keys, self._now())
            self._parsed = new
            log("DEBUG", "JWKS %s: %d kids", describe_url(self.url), len(keys))
            return self._held

    def _record_failure(self, error: Exception) -> None:
        self._failures += 1
        s = self.settings
        delay = min(s.backoff_cap, s.backoff_base * 2 ** (self._failures - 1))
        delay *= 0.5 + 0.5 * self._random()  # "equal jitter": never 0, never above the cap
        self._retry_at = self._now() + delay
        # our own messages are safe to log; anything else is named by type only
        reason = str(error) if isinstance(error, FetchError | ValueError) else type(error).__name__
        log(
            "WARNING",
            "JWKS refresh from %s failed (%s); failure %d, next try in %.1f s",
            describe_url(self.url),
            reason,
            self._failures,
            delay,
        )

    def _parse_into(self, new: dict[str, VerificationKey]) -> Callable[[Any], VerificationKey]:
        """A parser that reuses keys parsed by earlier refreshes (same JWK, same object)."""

        def parse(jwk: Any) -> VerificationKey:
            canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":"))
            key = self._parsed.get(canonical) or new.get(canonical) or parse_jwk(jwk)
            new[canonical] = key
            return key

        return parse


_registry: weakref.WeakValueDictionary[tuple[Any, ...], JwksCache] = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


def shared_cache(
    url: str,
    *,
    fetcher: Fetcher | None,
    settings: CacheSettings,
    monotonic: MonotonicClock,
    random: RandomSource,
) -> JwksCache:
    """The process-wide cache for ``url`` with these settings, fetcher and clocks.

    Held weakly: it lives as long as a key source uses it. Keyed by the identity of the
    fetcher and clocks (the cache holds them, so an identity is never reused while it lives).
    """
    key = (url, settings, id(fetcher), id(monotonic), id(random))
    with _registry_lock:
        cache = _registry.get(key)
        if cache is None:
            cache = JwksCache(
                url, fetcher=fetcher, settings=settings, monotonic=monotonic, random=random
            )
            _registry[key] = cache
        return cache
