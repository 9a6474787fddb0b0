"""Routes as tests write them for the event factories: ``"GET /pets/1"`` or a template
``"GET /pets/{id}"`` filled from path parameters; a concrete path plus a template has its path
parameters read from the path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

Params = Mapping[str, str] | None
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")


class Route(NamedTuple):
    verb: str
    path: str  # concrete: "/pets/1"
    template: str  # "/pets/{id}" (the path when no template was given); HTTP: the route key
    params: dict[str, str]


def parse_route(route: str, template: str | None, params: Params) -> Route:
    """``"GET /pets/{id}"`` or ``"GET /pets/1"`` -> verb, concrete path, template, params."""
    verb, space, path = route.partition(" ")
    if not (verb and space and path.startswith("/")) or any(c in path for c in " ?#"):
        raise ValueError(f"route must look like 'GET /pets/1' (query via query=), got {route!r}")
    if _PLACEHOLDER.search(path):
        template, path = path, _fill(path, params or {})
    elif template is not None and params is None:
        params = _read_params(template, path)
    return Route(verb, path, template or path, dict(params or {}))


def parse_http_route(route: str, route_key: str | None, params: Params) -> Route:
    """Like :func:`parse_route`, with the route key as template: it defaults to the route as
    written (``$default`` ok)."""
    _verb, space, key_template = (route_key or "").partition(" ")
    verb, path, template, params = parse_route(route, key_template if space else None, params)
    return Route(verb, path, route_key or f"{verb} {template}", params)


def _fill(template: str, params: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match[1] not in params:
            raise ValueError(f"path_parameters lacks {match[1]!r} for {template!r}")
        return params[match[1]]

    return _PLACEHOLDER.sub(value, template)


def _read_params(template: str, path: str) -> dict[str, str]:
    pattern, names, end = [], [], 0
    for match in _PLACEHOLDER.finditer(template):
        pattern += [re.escape(template[end : match.start()]), "(.+)" if match[2] else "([^/]+)"]
        names.append(match[1])
        end = match.end()
    found = re.fullmatch("".join(pattern) + re.escape(template[end:]), path)
    if found is None:
        raise ValueError(f"path {path!r} does not match the template {template!r}")
    return dict(zip(names, found.groups(), strict=True))
