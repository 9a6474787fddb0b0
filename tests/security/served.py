"""A token issuer served on 127.0.0.1 and validators that fetch from it over real HTTP, for the
fault-injection and concurrency tests. Monotonic clocks are injected (refresh, backoff and
stale windows move by hand); the fetch deadline is real, and short."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authorizers.clock import FakeClock
from authorizers.jwks.sources import RemoteJwks
from authorizers.testing.issuer import BrokenToken, TestIssuer
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.jwt import JwtValidator
from authorizers.validators.oidc import OidcValidator

from . import keys
from .keys import AUDIENCE, NOW

DEADLINE = 0.5
WATCHDOG = 10.0  # a call still running after this has hung
#: A call cut off by DEADLINE returns within this, long before the hanging faults (a minute's
#: delay, a trickle of 20 s) end by themselves: no timing margin a loaded machine can eat.
CUT_OFF = WATCHDOG


class RegisteredIssuer(TestIssuer):
    """A TestIssuer (the suite's RSA key, kid ``rsa-1``) whose every token is registered with
    the redaction guard."""

    __test__ = False

    def __init__(self, register: Callable[..., Any]) -> None:
        super().__init__(private_key=keys.key("rsa").private_key, kid="rsa-1", clock=FakeClock(NOW))
        self._register = register

    def mint(self, *args: Any, **kwargs: Any) -> str:
        token = super().mint(*args, **kwargs)
        self._register(token, "served issuer token")
        return token

    def mint_broken(self, kind: BrokenToken | str, *args: Any, **kwargs: Any) -> str:
        token = super().mint_broken(kind, *args, **kwargs)
        self._register(token, "served issuer token")
        return token


def server(issuer: TestIssuer) -> JwksServer:
    assert issuer.server is not None, "the issuer is not being served"
    return issuer.server


def jwt_validator(
    issuer: TestIssuer, monotonic: FakeClock, *, timeout: float = DEADLINE, **jwks: Any
) -> JwtValidator:
    """Keys from the issuer's JWKS URL; ``jwks`` tunes the cache (max_age, backoff...)."""
    source = RemoteJwks(
        server(issuer).jwks_url,
        allow_http_loopback=True,
        timeout=timeout,
        monotonic=monotonic,
        random=lambda: 1.0,  # the full backoff delay: deterministic
        **jwks,
    )
    return JwtValidator(issuer=issuer.issuer, keys=source, audience=AUDIENCE, clock=FakeClock(NOW))


def oidc_validator(issuer: TestIssuer, monotonic: FakeClock) -> OidcValidator:
    """Keys found through the issuer's discovery document."""
    return OidcValidator(
        issuer.issuer,
        AUDIENCE,
        allow_http_loopback=True,
        timeout=DEADLINE,
        monotonic=monotonic,
        clock=FakeClock(NOW),
    )
