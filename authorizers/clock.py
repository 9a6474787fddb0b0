"""Injectable time, so expiry, rotation and outages are testable without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Returns seconds since the epoch (wall clock: token ``exp``/``nbf``/``iat``, key expiry).
Clock = Callable[[], float]

#: Returns monotonic seconds (cache ages, cooldowns, backoff, deadlines).
MonotonicClock = Callable[[], float]

system_clock: Clock = time.time
monotonic_clock: MonotonicClock = time.monotonic


class FakeClock:
    """A clock tests move by hand; usable both as wall and as monotonic clock."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
