"""What :class:`~authorizers.validators.introspection.IntrospectionValidator` remembers.

- An *active* answer until ``min(exp, ttl)``: never past the token's ``exp``, so a cached
  answer cannot outlive the token. At most ``maxsize`` of them, oldest evicted first, in a
  plain dict read without a lock (a hit costs about what a JWT cache hit does).
- A *refusal* (inactive, wrong audience, missing scope) for a short ``negative_ttl``, in a
  bounded ``TTLCache``, so one bad token repeated cannot hammer the provider; failures of
  the provider are never cached.
- One request to the provider per token at a time (single flight): concurrent callers of
  the same unknown token wait for the first one's answer.
- A token bucket on misses: a flood of *distinct* random tokens gets at most
  ``misses_per_second`` introspections (plus a burst), the rest fail closed with
  ``introspection_unavailable`` - known tokens keep being answered from the cache.

Keys are SHA-256 digests of the tokens: the token itself is never kept as a key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from authorizers.clock import Clock, MonotonicClock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.identity import Identity

#: What a load returns: the identity and the token's ``exp`` (epoch seconds).
Loaded = tuple[Identity, float]


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A cached negative answer; a fresh exception is raised from it every time."""

    kind: type[AuthorizerError]
    reason: ReasonCode
    detail: str

    def error(self) -> AuthorizerError:
        return self.kind(self.reason, self.detail)


class _Flight:
    __slots__ = ("done", "outcome")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Identity | _Refusal | None = None


def unavailable(detail: str) -> InfrastructureError:
    """The provider cannot answer now: fail closed (500, or a Deny)."""
    return InfrastructureError(ReasonCode.INTROSPECTION_UNAVAILABLE, detail)


class MissLimiter:
    """A token bucket: ``rate`` misses per second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: float, monotonic: MonotonicClock) -> None:
        if rate <= 0 or burst < 1:
            raise ConfigurationError("misses_per_second must be > 0 and the burst >= 1")
        self._rate, self._burst, self._monotonic = rate, burst, monotonic
        self._tokens, self._at = burst, monotonic()

    def take(self) -> bool:
        """Whether a miss may go to the provider now (call under the cache's lock)."""
        now = self._monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class IntrospectionCache:
    """Positive and negative answers, single flight and the miss limiter (see module doc)."""

    def __init__(
        self,
        *,
        ttl: float,
        negative_ttl: float,
        maxsize: int,
        negative_maxsize: int,
        limiter: MissLimiter | None,
        clock: Clock,
        monotonic: MonotonicClock,
        wait: float,
    ) -> None:
        if ttl < 0 or negative_ttl < 0 or maxsize < 1 or negative_maxsize < 1:
            raise ConfigurationError("introspection cache: TTLs >= 0 and sizes >= 1")
        #: key -> (identity, exp on the wall clock, monotonic deadline); a plain dict, read
        #: without the lock on the hot path (a TTLCache lookup costs several µs)
        self._active: dict[bytes, tuple[Identity, float, float]] | None = {} if ttl else None
        self._ttl, self._maxsize = ttl, maxsize
        self._refused: TTLCache[bytes, _Refusal] | None = (
            TTLCache(negative_maxsize, negative_ttl, timer=monotonic) if negative_ttl else None
        )
        self._limiter = limiter
        self._clock, self._monotonic = clock, monotonic
        self._wait = wait
        self._flights: dict[bytes, _Flight] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes, load: Callable[[], Loaded]) -> Identity:
        """The cached answer for ``key``, or ``load()``'s (once, however many callers ask)."""
        fast = self._active_answer(key)
        if fast is not None:
            return fast
        with self._lock:
            answer = self._cached(key)
            if answer is None:
                found = self._flights.get(key)
                leader = found is None
                if found is None:
                    if self._limiter is not None and not self._limiter.take():
                        raise unavailable("introspection rate limit for unknown tokens reached")
                    found = self._flights[key] = _Flight()
                flight = found
        if answer is None:
            answer = self._load(key, load, flight) if leader else self._follow(flight)
        if isinstance(answer, _Refusal):
            raise answer.error()
        return answer

    def _follow(self, flight: _Flight) -> Identity | _Refusal:
        if not flight.done.wait(self._wait):
            raise unavailable("no introspection answer in time")
        if flight.outcome is None:  # the leader's call failed: that is not cached, nor shared
            raise unavailable("introspection failed for a concurrent request")
        return flight.outcome

    def _active_answer(self, key: bytes) -> Identity | None:
        """The hot path: an active answer still within its TTL and the token's ``exp``."""
        active = self._active
        hit = active.get(key) if active is not None else None
        if hit is None or self._monotonic() >= hit[2] or self._clock() >= hit[1]:
            return None
        return hit[0]

    def _cached(self, key: bytes) -> Identity | _Refusal | None:
        active = self._active
        if active is not None:
            hit = active.get(key)
            if hit is not None:
                if self._monotonic() >= hit[2]:
                    active.pop(key, None)  # past the TTL: ask the provider again
                elif self._clock() < hit[1]:
                    return hit[0]
                else:
                    active.pop(key, None)  # the token expired: never answer past exp
                    return _Refusal(Unauthorized, ReasonCode.EXPIRED, "token has expired")
        if self._refused is not None:
            return self._refused.get(key)
        return None

    def _load(self, key: bytes, load: Callable[[], Loaded], flight: _Flight) -> Identity | _Refusal:
        outcome: Identity | _Refusal | None = None
        try:
            identity, exp = load()
            outcome = identity
        except (Unauthorized, Forbidden) as refused:
            outcome = _Refusal(type(refused), refused.reason, refused.detail)
        finally:
            with self._lock:
                active = self._active
                if isinstance(outcome, Identity) and active is not None:
                    active.pop(key, None)  # re-insert: the dict's order is its age
                    active[key] = (outcome, exp, self._monotonic() + self._ttl)
                    if len(active) > self._maxsize:
                        del active[next(iter(active))]
                elif isinstance(outcome, _Refusal) and self._refused is not None:
                    self._refused[key] = outcome
                flight.outcome = outcome
                del self._flights[key]
            flight.done.set()
        return outcome

    def clear(self) -> None:
        """Forget every answer (e.g. after revoking a token at the provider)."""
        with self._lock:
            for cache in (self._active, self._refused):
                if cache is not None:
                    cache.clear()
