"""Drive a template's managed authorizers (JWT, Cognito user pools) from a pytest suite.

``ManagedRoutes("template.yaml", jwks_overrides={...})`` reads the template as
``authorizers serve`` does; ``authorize("GET", "/pets", token)`` answers what API Gateway
would for that route - status 200/401/403/500 and, when allowed, what the integration receives
(:meth:`ManagedOutcome.integration_context`) - with no server and no function. The same
evaluation runs under ``authorizers serve``, so a suite covering :meth:`routes` covers every
route of the template that a managed authorizer guards::

    routes = ManagedRoutes("template.yaml", {"Issuer": issuer.iss}, jwks_overrides=...)
    outcome = routes.authorize("GET", "/pets", issuer.mint({}, scope="pets:read"))
    assert outcome.status == 200 and outcome.claims["sub"] == "user-1"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from authorizers.clock import Clock, system_clock
from authorizers.errors import ConfigurationError
from authorizers.local.managed import ManagedOutcome, managed_authorizers
from authorizers.local.model import LocalTemplate, RouteSpec
from authorizers.local.routing import api_routers

__all__ = ["ManagedOutcome", "ManagedRoutes"]


class ManagedRoutes:
    """The managed authorizers of one template and the routes they guard."""

    def __init__(
        self,
        template: str | Path | LocalTemplate,
        parameter_overrides: Mapping[str, str] | None = None,
        *,
        jwks_overrides: Mapping[str, str] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        if not isinstance(template, LocalTemplate):
            from authorizers.local.template import load_template  # noqa: PLC0415 - YAML

            template = load_template(template, parameter_overrides=parameter_overrides)
        self.template = template
        self._authorizers = managed_authorizers(template, jwks_overrides, clock)
        self._routers = api_routers(template)

    def routes(self) -> list[RouteSpec]:
        """Every route a managed authorizer guards (to parametrize a test over)."""
        return [
            route
            for route in self.template.routes
            if (route.api_id, route.authorizer or "") in self._authorizers
        ]

    def route(self, method: str, path: str, api: str | None = None) -> RouteSpec:
        """The route API Gateway picks for ``method path`` (``api``: its logical id, needed
        when several APIs serve the path)."""
        found = [
            (api_id, route)
            for api_id, router in self._routers.items()
            if api in (None, api_id) and (route := router.match(method.upper(), path)) is not None
        ]
        if len(found) != 1:
            where = ", ".join(api_id for api_id, _ in found) or "no API"
            raise ConfigurationError(f"{method} {path}: served by {where}; name the api")
        return found[0][1]

    def authorize(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        api: str | None = None,
        header_value: str | None = None,
    ) -> ManagedOutcome:
        """What the route's managed authorizer answers for ``Bearer <token>`` (or the raw
        ``header_value`` of its identity source header)."""
        route = self.route(method, path, api)
        authorizer = self._authorizers.get((route.api_id, route.authorizer or ""))
        if authorizer is None:
            raise ConfigurationError(f"{route.route_key}: no managed authorizer guards it")
        if isinstance(authorizer, str):
            return ManagedOutcome(500, authorizer)
        value = header_value if token is None else f"Bearer {token}"
        return authorizer.evaluate(value, route.scopes)
