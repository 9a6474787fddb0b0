"""Route selection as API Gateway does it, per API kind: which declared route a request reaches.

One implementation for the rules and the local gateway, so they cannot disagree with each
other (they may only disagree with AWS together, and the policy compiler does not depend on
the fine points: see :mod:`authorizers.rules._policy`).

- REST: the resource tree. Segment by segment a literal child beats ``{param}``, which beats
  ``{proxy+}`` (a last resort at its level; a branch that dead-ends falls back to it). The
  resource is chosen by path alone; a resource without the method (nor ``ANY``) is "Missing
  Authentication Token" - the authorizer is never called.
- HTTP: "the most-specific match" (http-api-develop-routes): a full match for the route and
  method, then a method route with a greedy ``{proxy+}``, then ``ANY``, then ``$default``.
  Among full matches a literal segment beats ``{param}``, leftmost first. The event's
  ``routeKey`` names the route API Gateway selected: callers use it when they have it.
- WebSocket: the route key itself, else ``$default``.

Walks are linear in the path: each tree node is visited at most once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from authorizers.request import RequestKind

if TYPE_CHECKING:
    from authorizers.request import AuthRequest

API_KINDS = ("rest", "http", "websocket")
API_OF_KIND = {
    RequestKind.REST_TOKEN: "rest",
    RequestKind.REST_REQUEST: "rest",
    RequestKind.HTTP_V1: "http",
    RequestKind.HTTP_V2: "http",
    RequestKind.WEBSOCKET: "websocket",
}
ANY = "ANY"
DEFAULT_ROUTE = "$default"
LITERAL, PARAM, GREEDY = 0, 1, 2
PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_.:-]+(\+?)\}")


def segment_kinds(path: str) -> tuple[tuple[int, str], ...]:
    """``/pets/{id}/{proxy+}`` -> ((LITERAL, "pets"), (PARAM, ""), (GREEDY, ""))."""
    kinds: list[tuple[int, str]] = []
    for segment in path.strip("/").split("/") if path.strip("/") else ():
        match = PLACEHOLDER.fullmatch(segment)
        if match is None:
            kinds.append((LITERAL, segment))
        else:
            kinds.append((GREEDY if match[1] else PARAM, ""))
    return tuple(kinds)


def split_path(path: str) -> list[str]:
    """A request path's segments (one trailing slash ignored; ``/`` has none)."""
    stripped = path[1:] if path.startswith("/") else path
    if stripped.endswith("/"):
        stripped = stripped[:-1]
    return stripped.split("/") if stripped else []


@dataclass(slots=True)
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    param: _Node | None = None
    greedy: dict[str, int] = field(default_factory=dict)  # verb -> route index
    methods: dict[str, int] = field(default_factory=dict)  # verb -> route index (here)


def http_rank(verb: str, path: str) -> tuple[int, int, tuple[int, ...]]:
    """Lower wins among HTTP routes matching a request (see the module docstring)."""
    kinds = tuple(kind for kind, _ in segment_kinds(path))
    return (int(verb == ANY), int(GREEDY in kinds), kinds)


class Router:
    """Routes ``(verb, path)`` of one API (verb ``ANY`` for any method; WebSocket and
    ``$default``: ``("ANY", "$connect")``...): :meth:`select` gives a route's index or None."""

    def __init__(self, routes: Sequence[tuple[str, str]], api: str) -> None:
        if api not in API_KINDS:
            raise ValueError(f"API kind must be one of {API_KINDS}, not {api!r}")
        self.api = api
        self.routes = tuple(routes)
        self._keys: dict[str, int] = {}
        # The keys as declared ("GET /pets/{id}"), to the route their canonical key names:
        # events spell templates as the API does, so most lookups skip route_key's regex.
        self._spelled: dict[str, int] = {}
        self._root = _Node()
        for index, (verb, path) in enumerate(self.routes):
            canonical = route_key(verb, path)
            self._keys.setdefault(canonical, index)
            self._spelled.setdefault(f"{verb} {path}", self._keys[canonical])
            if not path.startswith("/"):
                continue
            node = self._root
            for kind, literal in segment_kinds(path):
                if kind == GREEDY:
                    node.greedy.setdefault(verb, index)
                    break
                if kind == PARAM:
                    node.param = node.param or _Node()
                    node = node.param
                else:
                    node = node.literal.setdefault(literal, _Node())
            else:
                node.methods.setdefault(verb, index)
        self._default = self._keys.get(DEFAULT_ROUTE) if api != "rest" else None

    def by_key(self, key: str) -> int | None:
        """The route with this route key (``"GET /pets/{id}"``, ``"$connect"``), if any;
        the spelling of parameter names does not matter."""
        found = self._spelled.get(key)
        if found is None:
            verb, space, path = key.partition(" ")
            found = self._keys.get(route_key(verb, path) if space else key)
        if found is None and self.api == "websocket":
            return self._default
        return found

    def select(self, verb: str, path: str) -> int | None:
        """The route a request reaches, or None (REST: 403 Missing Authentication Token;
        HTTP: 404; the authorizer is not called either way)."""
        if self.api == "websocket":
            return self.by_key(path)
        segments = split_path(path)
        if self.api == "rest":
            return self._rest(verb, segments)
        return self._http(verb, segments)

    def _rest(self, verb: str, segments: list[str]) -> int | None:
        methods = self._resource(self._root, segments, 0)
        if methods is None:
            return None
        return methods.get(verb, methods.get(ANY))

    def _resource(self, node: _Node, segments: list[str], depth: int) -> dict[str, int] | None:
        """The methods of the first resource matching ``segments[depth:]`` under ``node``."""
        if depth == len(segments):
            return node.methods or None
        segment = segments[depth]
        child = node.literal.get(segment)
        if child is not None and (found := self._resource(child, segments, depth + 1)):
            return found
        param = node.param if segment else None
        if param is not None and (found := self._resource(param, segments, depth + 1)):
            return found
        return node.greedy or None

    def _http(self, verb: str, segments: list[str]) -> int | None:
        candidates: list[int] = []
        self._collect(self._root, segments, 0, verb, candidates)
        if not candidates:
            return self._default
        return min(candidates, key=lambda i: (http_rank(*self.routes[i]), i))

    def _collect(
        self, node: _Node, segments: list[str], depth: int, verb: str, into: list[int]
    ) -> None:
        """Every route matching the request (each node is reached at one depth only)."""
        if depth < len(segments):
            into += (i for v, i in node.greedy.items() if v in (verb, ANY))
            segment = segments[depth]
            child = node.literal.get(segment)
            if child is not None:
                self._collect(child, segments, depth + 1, verb, into)
            if node.param is not None and segment:
                self._collect(node.param, segments, depth + 1, verb, into)
        else:
            into += (i for v, i in node.methods.items() if v in (verb, ANY))


def route_key(verb: str, path: str) -> str:
    """The canonical key of a route: ``GET /pets/{}``, ``ANY /{+}``, ``$connect``."""
    if not path.startswith("/"):  # a route key: "$connect", "sendMessage"
        return path
    canonical = PLACEHOLDER.sub(lambda m: "{+}" if m[1] else "{}", path.rstrip("/") or "/")
    return f"{ANY if verb in ('*', ANY) else verb} {canonical}"


def selected_route(router: Router, request: AuthRequest, api: str) -> int | None:
    """The route API Gateway selected for ``request``: the one the event names (HTTP
    ``routeKey``, REST ``resource``), else :meth:`Router.select` (TOKEN events, literal
    routes; test events that name the concrete path instead of a template)."""
    arn = request.arn
    if api == "websocket" or arn.verb is None:
        return router.by_key(arn.resource)
    path = "/" + arn.resource
    template = request.resource
    if request.route_key and api == "http":
        if request.route_key.startswith("$"):
            return router.by_key(request.route_key)
        template = request.route_key.partition(" ")[2]
    if template and template != path:
        found = router.by_key(f"{arn.verb} {template}")
        return found if found is not None else router.by_key(f"{ANY} {template}")
    return router.select(arn.verb, path)
