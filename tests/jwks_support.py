"""Test helpers for the JWKS tests: key pairs (generated once per run) and their JWKs.

JWKs are produced by PyJWT's exporters, an implementation independent of the parser under
test, so a parser bug cannot hide behind a matching bug in the helper.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from authorizers.clock import FakeClock
from authorizers.jwks.fetch import FetchError
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import StaticJwks

#: The fetch deadline of the deadline tests, and the bound that shows a fetch was cut off by it.
#: The faults those tests inject would last a minute (a 60 s delay, a body trickling for
#: longer), so "returned within CUT_OFF" tells the deadline apart from the fault ending by
#: itself with a margin of seconds no loaded machine eats - unlike DEADLINE plus a slack.
DEADLINE = 0.5
CUT_OFF = 10.0
HANG = 60.0
#: How a fetch cut off at DEADLINE is reported: by the overall deadline, or, on a loaded
#: machine, by the socket timeout that the remaining time set first.
TIMED_OUT = f"no complete response within {DEADLINE:g} s|ReadTimeout|TimeoutError|timed out"

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


def private_key(kind: str, index: int = 0) -> PrivateKey:
    """``kind``: ``"RSA"``, ``"RSA1024"``, ``"RSA3072"``, ``"P-256"``…, ``"Ed25519"``, ``"Ed448"``.
    Cached: RSA generation is slow, and tests only need distinct keys per ``index``."""
    return _generate(kind, index)


@functools.cache
def _generate(kind: str, index: int) -> PrivateKey:
    del index  # part of the cache key only
    if kind.startswith("RSA"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:] or 2048))
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind])
    if kind == "Ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ed448.Ed448PrivateKey.generate()


def public_jwk(kind: str, kid: str, /, index: int = 0, **members: Any) -> dict[str, Any]:
    """The public JWK of ``private_key(kind, index)`` with ``kid`` and extra ``members``
    (a member set to ``None`` is removed)."""
    public = private_key(kind, index).public_key()
    if kind.startswith("RSA"):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif kind in _CURVES:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    jwk.pop("key_ops", None)  # PyJWT adds key_ops; tests add it back when they mean to
    jwk["kid"] = kid
    jwk.update(members)
    return {name: value for name, value in jwk.items() if value is not None}


def jwks(*keys: Mapping[str, Any]) -> dict[str, Any]:
    return {"keys": [dict(key) for key in keys]}


class FakeFetcher:
    """A :class:`~authorizers.jwks.fetch.Fetcher` serving a document from memory.

    ``doc`` is what it serves; ``error`` (if set) is raised instead; ``calls`` counts fetches,
    ``at`` records the fake-clock time of each; ``hold`` (if set) blocks each fetch until set.
    """

    def __init__(self, doc: Mapping[str, Any], clock: FakeClock | None = None) -> None:
        self.doc: Mapping[str, Any] = doc
        self.error: Exception | None = None
        self.clock = clock
        self.calls = 0
        self.at: list[float] = []
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        with self._lock:
            self.calls += 1
            if self.clock is not None:
                self.at.append(self.clock())
        if self.hold is not None and not self.hold.wait(timeout):
            raise FetchError("deadline")  # what a real fetcher does when the IdP hangs
        if self.error is not None:
            raise self.error
        return json.dumps(self.doc).encode()


class CountingKeys:
    """A key source whose key set can change (``keys``), counting lookups: one per full
    verification, none per verified-token cache hit."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self.keys = StaticJwks(jwks)
        self.lookups = 0

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        self.lookups += 1
        return self.keys.get_key(kid, alg)

    def is_current(self, key: VerificationKey) -> bool:
        return self.keys.is_current(key)

    def prefetch(self) -> None:
        pass
