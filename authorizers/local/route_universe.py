"""The routes an API serves through one authorizer, read from a SAM template (the route universe).

API Gateway replays a cached policy on every route that uses the authorizer, so the policy
compiler must know them all: ``authorizers routes template.yaml`` writes them to the file the
function ships (``{"version": 1, "api": "rest" | "http" | "websocket", "routes": [...]}``,
route keys as API Gateway writes them). The template is read by
:func:`~authorizers.local.template.load_template`, the local gateway's reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authorizers.errors import ConfigurationError

if TYPE_CHECKING:
    from authorizers.local.model import AuthorizerSpec, LocalTemplate, RouteSpec


@dataclass(frozen=True, slots=True)
class AuthorizerRoutes:
    """One authorizer of one API, the routes that use it, and the API's other routes."""

    spec: AuthorizerSpec
    api_type: str
    routes: tuple[RouteSpec, ...]
    other_routes: tuple[RouteSpec, ...]

    @property
    def label(self) -> str:
        return f"{self.spec.api_id}.{self.spec.name}"

    def universe(self) -> dict[str, Any]:
        """The route-universe document (sorted, so regenerating it gives the same file),
        written by its loader's own class: a route it would refuse is refused here."""
        from authorizers.rules.universe import RouteUniverse  # noqa: PLC0415

        keys = sorted({route.route_key for route in self.routes})
        return RouteUniverse.from_route_keys(keys, self.api_type).to_json()

    def universe_json(self) -> str:
        return json.dumps(self.universe(), indent=2) + "\n"


def _describe(spec: AuthorizerSpec) -> str:
    function = f" (function {spec.function_id})" if spec.function_id else ""
    return f"{spec.api_id}.{spec.name}{function}"


def authorizers_in(template: LocalTemplate) -> list[AuthorizerRoutes]:
    """Every Lambda authorizer of the template that at least one route uses."""
    found = []
    for (api_id, _name), spec in template.authorizers.items():
        if spec.unsupported is not None:
            continue
        routes = template.routes_of(api_id)
        own = tuple(route for route in routes if template.authorizer_of(route) is spec)
        if own:
            others = tuple(route for route in routes if route not in own)
            api_type = template.apis[api_id].api_type.value
            found.append(AuthorizerRoutes(spec, api_type, own, others))
    return found


def select_authorizer(
    template: LocalTemplate, authorizer: str | None = None, api: str | None = None
) -> AuthorizerRoutes:
    """The authorizer named by its name in the template (``Auth.Authorizers`` key, or the
    ``AWS::ApiGatewayV2::Authorizer`` logical id) or its function's logical id, on ``api``;
    without a name, the template's only one."""
    candidates = [
        found
        for found in authorizers_in(template)
        if (authorizer is None or authorizer in (found.spec.name, found.spec.function_id))
        and (api is None or found.spec.api_id == api)
    ]
    if len(candidates) == 1:
        return candidates[0]
    choices = ", ".join(_describe(found.spec) for found in authorizers_in(template)) or "none"
    if not candidates:
        wanted = " ".join(filter(None, (authorizer, api and f"on API {api}")))
        raise ConfigurationError(f"no Lambda authorizer {wanted} with routes (found: {choices})")
    raise ConfigurationError(
        f"several authorizers match: name one with --authorizer (and --api): {choices}"
    )
