"""What the local gateway serves, read from a template: functions, APIs, authorizers, routes.

Plain frozen data, so the routing and the per-request flow are testable without YAML, and
the template reader (:mod:`authorizers.local.template`) is the only place that knows SAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from authorizers.request import RequestKind

if TYPE_CHECKING:
    from authorizers.local.gateway_responses import GatewayResponseSpec
from authorizers.testing.simulator import ApiKind

_EMPTY: Mapping[str, str] = MappingProxyType({})


class ApiType(StrEnum):
    REST = "rest"
    HTTP = "http"
    WEBSOCKET = "websocket"


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A Lambda function: where its code is, its handler, its environment as deployed.

    ``import_paths`` are the folders the function's layers put on ``sys.path``.
    """

    logical_id: str
    handler: str
    code_uri: Path | None
    runtime: str | None = None
    environment: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    import_paths: tuple[Path, ...] = ()
    timeout_seconds: float = 3.0
    memory_mb: int = 128


class ManagedKind(StrEnum):
    HTTP_JWT = "http-jwt"
    REST_JWT = "rest-jwt"
    COGNITO = "cognito-user-pools"


@dataclass(frozen=True, slots=True)
class RequiredClaim:
    """A REST JWT authorizer's ``AdditionalClaims`` entry: present when ``required``, one
    of ``expected`` (when given) whenever present."""

    name: str
    expected: tuple[str, ...] = ()
    required: bool = True


#: HTTP API JWT authorizers verify RSA signatures only (AWS HTTP API JWT authorizer docs).
HTTP_JWT_ALGORITHMS = ("RS256", "RS384", "RS512")
#: What a REST JWT authorizer's ``DefaultAlgorithms`` (required, no default) may list: the API
#: reference's ``JwtConfigurationInput.defaultAlgorithms`` valid values.
REST_JWT_ALGORITHMS = (*HTTP_JWT_ALGORITHMS, "ES256", "ES384", "ES512")


@dataclass(frozen=True, slots=True)
class ManagedIssuer:
    issuer: str
    audiences: tuple[str, ...] = ()
    claims: tuple[RequiredClaim, ...] = ()


@dataclass(frozen=True, slots=True)
class ManagedConfig:
    """One managed authorizer as the template configures it. ``header`` is the identity
    source's header; Cognito's ``issuers`` are the pools' (``user_pools`` keeps the ids)."""

    kind: ManagedKind
    issuers: tuple[ManagedIssuer, ...]
    header: str = "Authorization"
    algorithms: tuple[str, ...] = ("RS256",)
    user_pools: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()  # default AuthorizationScopes of its routes (SAM)


@dataclass(frozen=True, slots=True)
class AuthorizerSpec:
    """A Lambda authorizer as API Gateway runs it.

    ``identity_sources`` are API Gateway's expressions (``method.request.header.Authorization``,
    ``$request.header.Authorization``, ``route.request.querystring.token``, ``context.x``).
    ``unsupported`` says why an authorizer cannot run locally (IAM auth): its routes fail
    closed with a 500. ``managed``: a JWT or Cognito authorizer API Gateway runs itself.
    """

    name: str
    api_id: str
    kind: RequestKind
    function_id: str | None
    identity_sources: tuple[str, ...] = ()
    validation_expression: str | None = None
    ttl_seconds: int = 0
    simple_responses: bool = False
    unsupported: str | None = None
    managed: ManagedConfig | None = None

    @property
    def api_kind(self) -> ApiKind:
        """The response format API Gateway expects from this authorizer."""
        if self.kind in (RequestKind.REST_TOKEN, RequestKind.REST_REQUEST):
            return ApiKind.REST
        if self.kind is RequestKind.WEBSOCKET:
            return ApiKind.WEBSOCKET
        return ApiKind.HTTP_SIMPLE if self.simple_responses else ApiKind.HTTP_IAM


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One route: ``method`` is ``"GET"``/``"ANY"`` (``None`` for ``$default`` and WebSocket
    route keys), ``path`` the resource template (``/pets/{id}``, ``/{proxy+}``) or route key.
    ``payload_version`` is the integration's event format (REST: ``"1.0"``)."""

    api_id: str
    method: str | None
    path: str
    function_id: str | None
    authorizer: str | None = None
    api_key_required: bool = False
    payload_version: str = "1.0"
    route_response: bool = False
    scopes: tuple[str, ...] = ()  # AuthorizationScopes of a managed authorizer's route

    @property
    def route_key(self) -> str:
        return self.path if self.method is None else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """One API and its stage. ``api_key_source`` is ``HEADER`` or ``AUTHORIZER`` (REST)."""

    logical_id: str
    api_type: ApiType
    stage: str
    stage_variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    api_key_source: str = "HEADER"
    route_selection_expression: str = "$request.body.action"
    #: REST gateway responses by type (``UNAUTHORIZED``, ``DEFAULT_4XX``...)
    gateway_responses: Mapping[str, GatewayResponseSpec] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, slots=True)
class LocalTemplate:
    """Everything the gateway serves. ``authorizers`` is keyed by ``(api id, name)``."""

    functions: Mapping[str, FunctionSpec]
    apis: Mapping[str, ApiSpec]
    authorizers: Mapping[tuple[str, str], AuthorizerSpec]
    routes: tuple[RouteSpec, ...]
    warnings: tuple[str, ...] = ()

    def routes_of(self, api_id: str) -> list[RouteSpec]:
        return [route for route in self.routes if route.api_id == api_id]

    def authorizer_of(self, route: RouteSpec) -> AuthorizerSpec | None:
        if route.authorizer is None:
            return None
        return self.authorizers[(route.api_id, route.authorizer)]
