"""Environment variables for the servers and for the code that talks to them."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

import requests

#: ``None`` removes the variable.
EnvOverrides = Mapping[str, str | None]

LOOPBACK_NO_PROXY = "127.0.0.1,localhost"


def child_environment(overrides: EnvOverrides | None = None) -> dict[str, str]:
    """The current environment with ``overrides`` applied, for a child process."""
    env = dict(os.environ)
    _apply(env, overrides or {})
    return env


@contextmanager
def scoped_environ(overrides: EnvOverrides) -> Iterator[None]:
    """Apply ``overrides`` to ``os.environ`` and put back exactly what was there before.

    Session fixtures can't use ``monkeypatch`` (function scoped), hence this.
    """
    saved = {name: os.environ.get(name) for name in overrides}
    _apply(os.environ, overrides)
    try:
        yield
    finally:
        _apply(os.environ, saved)


def _apply(env: MutableMapping[str, str], values: EnvOverrides) -> None:
    for name, value in values.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value


def no_proxy_for_loopback() -> dict[str, str]:
    """Keep HTTP clients that honour proxy variables from sending loopback traffic to a proxy."""
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    value = f"{current},{LOOPBACK_NO_PROXY}" if current else LOOPBACK_NO_PROXY
    return {"NO_PROXY": value, "no_proxy": value}


def loopback_session() -> requests.Session:
    """An HTTP session that ignores proxy variables: test traffic must stay on 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False
    return session
