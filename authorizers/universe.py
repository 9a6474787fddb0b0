"""The route universe: every route the API serves, so a policy can refuse the ones no rule lists.

API Gateway replays a cached policy on every route of the API, including routes the access
rules never mention. Declared complete (``AccessRules(*rules, universe=...)``), the universe
lets the policy compiler deny exactly those routes and compact the policy (``*`` for an
identity allowed everything). Without one, the compiler assumes any other route may exist
and pairs each Allow with the Denies that keep it on its own route's paths.

The file format (written by ``authorizers routes template.yaml``)::

    {"version": 1, "api": "rest", "routes": ["GET /pets/{id}", "ANY /{proxy+}"]}

Route keys are as API Gateway writes them: ``VERB /path`` (``ANY`` for any method;
HTTP APIs may add ``$default``); WebSocket APIs list route keys (``$connect``, ``sendMessage``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authorizers._internal.route_patterns import VERBS, path_language
from authorizers._internal.selection import API_KINDS, DEFAULT_ROUTE, Router, route_key
from authorizers.errors import ConfigurationError

UNIVERSE_VERSION = 1


def _parse_key(key: Any, api: str) -> tuple[str, str]:
    """``"GET /pets/{id}"`` -> ("GET", "/pets/{id}"); route keys -> ("ANY", "$connect")."""
    if not isinstance(key, str) or not key:
        raise ConfigurationError(f"route {key!r} must be a non-empty string")
    if api == "websocket" or key == DEFAULT_ROUTE:
        if " " in key or (api != "websocket" and key != DEFAULT_ROUTE):
            raise ConfigurationError(f"route key {key!r} must be one word")
        return "ANY", key
    verb, space, path = key.partition(" ")
    verb = verb.upper()
    if not space or (verb not in VERBS and verb != "ANY"):
        raise ConfigurationError(f"route {key!r} must be 'VERB /path' (GET, ..., ANY)")
    path_language(path)
    return verb, path


@dataclass(frozen=True, slots=True)
class RouteUniverse:
    """Every route of one API: ``api`` is ``rest``, ``http`` or ``websocket``; ``routes``
    are ``(verb, path)`` pairs (verb ``ANY`` for any method and for route keys). A
    WebSocket authorizer runs on ``$connect`` only, so its other keys never meet a policy.
    """

    api: str
    routes: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.api not in API_KINDS:
            raise ConfigurationError(f"universe api must be one of {API_KINDS}, not {self.api!r}")
        if not self.routes:
            raise ConfigurationError("a route universe lists at least one route")

    @classmethod
    def from_route_keys(cls, keys: Iterable[str], api: str = "rest") -> RouteUniverse:
        """``RouteUniverse.from_route_keys(["GET /pets/{id}", "ANY /{proxy+}"], "http")``."""
        if api not in API_KINDS:
            raise ConfigurationError(f"universe api must be one of {API_KINDS}, not {api!r}")
        routes = tuple(dict.fromkeys(_parse_key(key, api) for key in keys))
        return cls(api, routes)

    @classmethod
    def from_json(cls, document: Any) -> RouteUniverse:
        """The parsed JSON document (see the module docstring)."""
        if not isinstance(document, Mapping):
            raise ConfigurationError("a route universe is a JSON object")
        if document.get("version") != UNIVERSE_VERSION:
            raise ConfigurationError(f"route universe version must be {UNIVERSE_VERSION}")
        unknown = set(document) - {"version", "api", "routes"}
        if unknown:
            raise ConfigurationError(f"route universe has unknown keys: {sorted(unknown)}")
        routes = document.get("routes")
        if not isinstance(routes, list):
            raise ConfigurationError("route universe 'routes' must be a list of route keys")
        return cls.from_route_keys(routes, str(document.get("api")))

    @classmethod
    def load(cls, path: str | Path) -> RouteUniverse:
        """Read a universe file (as ``authorizers routes template.yaml`` writes it)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read the route universe {path}: {error}") from None
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ConfigurationError(f"route universe {path} is not JSON: {error}") from None
        return cls.from_json(document)

    def to_json(self) -> dict[str, Any]:
        keys = [path if path.startswith("$") else f"{verb} {path}" for verb, path in self.routes]
        return {"version": UNIVERSE_VERSION, "api": self.api, "routes": keys}

    def check_listed(self, keys: Iterable[str]) -> None:
        """A rule for a route the API does not serve is a mistake (a typo, a stale rule):
        ``keys`` like ``"GET /pets/{id}"``, ``"* $connect"``."""
        served = {route_key(verb, path) for verb, path in self.routes}
        missing = [k for k in keys if route_key(*k.split(" ", 1)) not in served]
        if missing:
            raise ConfigurationError(
                f"rules for routes the API does not serve (not in the route universe): {missing}"
            )

    def router(self) -> Router:
        """API Gateway's route selection over these routes."""
        return Router(self.routes, self.api)
