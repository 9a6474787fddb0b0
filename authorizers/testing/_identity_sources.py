"""Identity-source expressions: where API Gateway reads each value of an authorizer's result
cache key (``method.request.header.Authorization``, ``$request.querystring.token``,
``$context.routeKey``). Shared by the event factories and the cache replay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# expression prefixes (REST, WebSocket, HTTP API) -> where the value lives
_PREFIXES = {
    "method.request.header.": "header",
    "route.request.header.": "header",
    "$request.header.": "header",
    "method.request.querystring.": "query",
    "route.request.querystring.": "query",
    "$request.querystring.": "query",
    "stageVariables.": "stage",
    "$stageVariables.": "stage",
    "context.": "context",
    "$context.": "context",
}


def parse_source(expression: str) -> tuple[str, str] | None:
    """``(where, name)``, where is ``header``, ``query``, ``stage`` or ``context``; ``None``
    for anything API Gateway would not accept as an identity source."""
    for prefix, where in _PREFIXES.items():
        if expression.startswith(prefix) and len(expression) > len(prefix):
            return where, expression[len(prefix) :]
    return None


def identity_values(event: Mapping[str, Any], sources: Sequence[str] | None) -> list[str]:
    """The identity-source values API Gateway would send with an HTTP API ``event``, in order;
    ``None`` means the Authorization header if there is one. A missing source raises: API
    Gateway answers 401 without invoking the authorizer, so no such event exists."""
    headers = {name.lower(): value for name, value in event["headers"].items()}
    if sources is None:
        sources = ["$request.header.Authorization"] if "authorization" in headers else []
    found = []
    for source in sources:
        parsed = parse_source(source)
        if parsed is None:
            raise ValueError(f"unknown identity source {source!r}")
        where, name = parsed
        if where == "header":
            value = headers.get(name.lower())
        elif where == "query":
            value = event["queryStringParameters"].get(name)
        elif where == "stage":
            value = event["stageVariables"].get(name)
        else:
            value = dotted(event["requestContext"], name)
        if not isinstance(value, str) or not value:
            raise ValueError(
                f"identity source {source!r} is missing or empty: API Gateway answers 401 "
                "without invoking the authorizer (pass identity_sources=[] for none)"
            )
        found.append(value)
    return found


def dotted(context: Mapping[str, Any], path: str) -> Any:
    """``a.b`` of nested objects, or ``None`` where a level is missing."""
    value: Any = context
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value
