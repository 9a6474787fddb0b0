"""LoadOnce, the discovery loader OIDC keys and introspection endpoints share (the discovery
documents themselves are tested in tests/validators/test_oidc.py and test_introspection.py)."""

from __future__ import annotations

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import InfrastructureError, ReasonCode
from authorizers.jwks.discovery import LoadOnce


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.down = True

    def __call__(self) -> str:
        self.calls += 1
        if self.down:
            raise InfrastructureError(ReasonCode.KEY_UNAVAILABLE, "down")
        return "found"


def frames(error: BaseException) -> int:
    count, tb = 0, error.__traceback__
    while tb is not None:
        count, tb = count + 1, tb.tb_next
    return count


def test_a_failure_is_repeated_without_loading_until_retry_after() -> None:
    load, clock = Loader(), FakeClock(0.0)
    once = LoadOnce(load, retry_after=10, monotonic=clock)
    depths = []
    for _ in range(50):
        with pytest.raises(InfrastructureError) as raised:
            once.get()
        depths.append(frames(raised.value))
    assert load.calls == 1
    assert len(set(depths[1:])) == 1  # re-raising must not grow the traceback per request
    load.down = False
    clock.advance(9.9)
    with pytest.raises(InfrastructureError):
        once.get()
    clock.advance(0.1)
    assert once.get() == "found"
    assert once.value == "found"
    clock.advance(1_000)
    assert once.get() == "found"
    assert load.calls == 2  # kept for good
