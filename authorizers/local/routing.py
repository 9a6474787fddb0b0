"""Match a request to a route the way API Gateway picks one.

REST resources and HTTP API routes agree on the precedence that matters: segment by segment,
a literal beats a ``{param}``, which beats a greedy ``{proxy+}``; a route for the method beats
``ANY``; HTTP APIs fall back to ``$default``. APIs are mounted at ``/<ApiLogicalId>``; a
template with a single API is served at ``/`` as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from authorizers.local.http import HttpRequest
from authorizers.local.model import ApiSpec, RouteSpec

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")
_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Compiled:
    route: RouteSpec
    pattern: re.Pattern[str]
    rank: tuple[tuple[int, ...], bool]  # lower is more specific


def _compile(route: RouteSpec) -> _Compiled:
    kinds: list[int] = []
    parts: list[str] = []
    for segment in route.path.strip("/").split("/") if route.path != "/" else []:
        match = _PLACEHOLDER.fullmatch(segment)
        if match is None:
            kinds.append(_LITERAL)
            parts.append(re.escape(segment))
        else:
            kinds.append(_GREEDY if match[2] else _PARAM)
            parts.append(".+" if match[2] else "[^/]+")
    pattern = re.compile("/" + "/".join(parts))
    return _Compiled(route, pattern, (tuple(kinds), route.method == "ANY"))


class ApiRouter:
    """The routes of one API. ``match(method, path)`` gives the route or ``None``."""

    def __init__(self, api: ApiSpec, routes: Iterable[RouteSpec]) -> None:
        self.api = api
        routes = list(routes)
        self._default = next((r for r in routes if r.method is None and r.path == "$default"), None)
        self._keyed = {r.path: r for r in routes if r.method is None}  # WebSocket route keys
        compiled = [_compile(r) for r in routes if r.method is not None]
        self._routes = sorted(compiled, key=lambda c: c.rank)

    def match(self, method: str, path: str) -> RouteSpec | None:
        for candidate in self._routes:
            if candidate.route.method in (method, "ANY") and candidate.pattern.fullmatch(path):
                return candidate.route
        return self._default

    def route_key(self, key: str) -> RouteSpec | None:
        """A WebSocket route by its key (``$connect``, ``sendMessage``), else ``$default``."""
        return self._keyed.get(key, self._default)


@dataclass(frozen=True, slots=True)
class Routed:
    """A request and where it goes: ``path`` is the path within the API."""

    request: HttpRequest
    path: str
    route: RouteSpec
    api: ApiSpec
    request_id: str


@dataclass(frozen=True, slots=True)
class Target:
    """The API a URL path belongs to and the path within that API."""

    router: ApiRouter
    path: str


class Mounts:
    """Which API serves a URL path: ``/<ApiLogicalId>/...``, or ``/...`` for a lone API."""

    def __init__(self, routers: Mapping[str, ApiRouter]) -> None:
        self.routers = dict(routers)

    @cached_property
    def _lone(self) -> ApiRouter | None:
        return next(iter(self.routers.values())) if len(self.routers) == 1 else None

    def prefix(self, api_id: str) -> str:
        return f"/{api_id}"

    def resolve(self, raw_path: str) -> Target | None:
        first, _, rest = raw_path.lstrip("/").partition("/")
        router = self.routers.get(first)
        if router is not None:
            return Target(router, "/" + rest)
        if self._lone is not None:
            return Target(self._lone, raw_path or "/")
        return None
