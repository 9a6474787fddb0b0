"""Match a request to a route the way API Gateway picks one.

Selection is :mod:`authorizers.rules._selection`, the one the access rules use (the simulator
and the cache replay match policies against ARNs and select nothing): REST walks its resource
tree (a resource without the method is "Missing Authentication Token"), HTTP APIs take the most
specific full match before greedy ``{proxy+}`` routes, then ``ANY``, then ``$default``. APIs
are mounted at ``/<ApiLogicalId>``; a template with a single API is served at ``/`` as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from authorizers.local.http import HttpRequest
from authorizers.local.model import ApiSpec, LocalTemplate, RouteSpec
from authorizers.rules._selection import ANY, Router


class ApiRouter:
    """The routes of one API. ``match(method, path)`` gives the route or ``None``."""

    def __init__(self, api: ApiSpec, routes: Iterable[RouteSpec]) -> None:
        self.api = api
        self._routes = list(routes)
        self._router = Router([(r.method or ANY, r.path) for r in self._routes], api.api_type)

    def match(self, method: str, path: str) -> RouteSpec | None:
        index = self._router.select(method, path)
        return None if index is None else self._routes[index]

    def route_key(self, key: str) -> RouteSpec | None:
        """A WebSocket route by its key (``$connect``, ``sendMessage``), else ``$default``."""
        index = self._router.by_key(key)
        return None if index is None else self._routes[index]


def api_routers(template: LocalTemplate) -> dict[str, ApiRouter]:
    """A router per API of the template, by logical id."""
    return {
        api_id: ApiRouter(api, template.routes_of(api_id)) for api_id, api in template.apis.items()
    }


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
