"""Fixtures of the security suite: the trap server, the user pool's JWKS server, the corpus.

Both servers run on 127.0.0.1 with ephemeral ports for the whole session. The trap serves the
attacker's key set; ``jku``/``x5u`` headers point at it, and nothing may ever fetch from it.
Every private key of the suite is registered with the redaction guard before any test runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authorizers.testing.jwks_server import DISCOVERY_PATH, JWKS_PATH, JwksServer

from . import keys
from .forge import Forge
from .profiles import Profile, build_profiles, pyjwt_at_now
from .runner import Corpus
from .served import RegisteredIssuer


@pytest.fixture(scope="session", autouse=True)
def _private_keys_are_secret(register_secret: Callable[..., Any]) -> None:
    for pem in keys.private_pems():
        register_secret(pem, "security suite private key")


@pytest.fixture(scope="session")
def trap() -> Iterator[JwksServer]:
    with JwksServer(keys.jwks("attacker")) as server:
        yield server


def trap_untouched(trap: JwksServer) -> bool:
    return trap.fetch_count(JWKS_PATH) == 0 and trap.fetch_count(DISCOVERY_PATH) == 0


@pytest.fixture(scope="session")
def pool_idp() -> Iterator[JwksServer]:
    with JwksServer(keys.jwks(*keys.POOL_KEYS), issuer=keys.POOL_ISSUER) as server:
        yield server


@pytest.fixture(scope="session")
def profiles(pool_idp: JwksServer) -> dict[str, Profile]:
    return build_profiles(pool_idp.jwks_url)


@pytest.fixture(scope="session")
def corpus(
    trap: JwksServer, profiles: dict[str, Profile], register_secret: Callable[..., Any]
) -> Corpus:
    return Corpus(Forge(trap.jwks_url), profiles, register_secret)


@pytest.fixture
def pyjwt_now() -> Iterator[None]:
    with pyjwt_at_now():
        yield


@pytest.fixture
def idp(register_secret: Callable[..., Any]) -> Iterator[RegisteredIssuer]:
    """An issuer serving its JWKS and discovery document on 127.0.0.1 (iss = its URL)."""
    issuer = RegisteredIssuer(register_secret)
    with issuer.serve():
        yield issuer
