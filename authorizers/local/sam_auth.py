"""Authorizers and ``AWS::ApiGatewayV2`` APIs of a template, as API Gateway would configure them.

SAM turns ``Auth.Authorizers`` into identity-source expressions and TTLs by fixed rules
(contract reference §10.2, §10.3); they are reproduced here so the local cache keys and the
"missing identity source: 401 without invoking" checks are the deployed ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from authorizers.errors import ConfigurationError
from authorizers.local.model import (
    HTTP_JWT_ALGORITHMS,
    ApiSpec,
    ApiType,
    AuthorizerSpec,
    ManagedConfig,
    ManagedIssuer,
    ManagedKind,
    RouteSpec,
)
from authorizers.request import RequestKind


class TemplateView(Protocol):
    """What this module reads from the template reader (``local/template.py`` provides it):
    a protocol, so neither module imports the other's internals."""

    @property
    def resources(self) -> Mapping[str, Any]: ...

    def properties(self, name: str, resource: Mapping[str, Any] | None = None) -> Any: ...

    def function_in(self, text: str) -> str | None: ...


#: SAM's REST ``ReauthorizeEvery`` default (SAM docs); HTTP APIs get no TTL unless given.
REST_DEFAULT_TTL = 300
MAX_TTL = 3600
_V2_PREFIX = "AWS::ApiGatewayV2::"
#: Identity.<list> -> expression prefix, for REST and for HTTP APIs (SAM's order).
_REST_SOURCES = {
    "Headers": "method.request.header.",
    "QueryStrings": "method.request.querystring.",
    "StageVariables": "stageVariables.",
    "Context": "context.",
}
_HTTP_SOURCES = {
    "Headers": "$request.header.",
    "QueryStrings": "$request.querystring.",
    "StageVariables": "$stageVariables.",
    "Context": "$context.",
}
_NO_AUTH = (None, "NONE")


def checked_ttl(where: str, value: Any, sources: tuple[str, ...]) -> int:
    ttl = int(value)
    if not 0 <= ttl <= MAX_TTL:
        raise ConfigurationError(f"{where}: ReauthorizeEvery must be 0..{MAX_TTL}")
    if ttl and not sources:
        raise ConfigurationError(f"{where}: a cached authorizer needs identity sources")
    return ttl


def _sources(identity: Mapping[str, Any], prefixes: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(
        prefix + str(name) for key, prefix in prefixes.items() for name in identity.get(key) or []
    )


def _unsupported(name: str, api: ApiSpec, kind: RequestKind, why: str) -> AuthorizerSpec:
    return AuthorizerSpec(name, api.logical_id, kind, None, unsupported=why)


def serverless_authorizer(
    reader: TemplateView, api: ApiSpec, name: str, spec: Mapping[str, Any]
) -> AuthorizerSpec:
    """One entry of ``Auth.Authorizers`` of an ``AWS::Serverless::Api`` or ``HttpApi``."""
    where = f"{api.logical_id}.Auth.Authorizers.{name}"
    function = reader.function_in(str(spec.get("FunctionArn", "")))
    identity = spec.get("Identity") or {}
    if api.api_type is ApiType.REST:
        if "UserPoolArn" in spec:
            return _cognito(name, api, spec, identity)
        if str(spec.get("FunctionPayloadType", "TOKEN")).upper() == "TOKEN":
            sources: tuple[str, ...] = (
                f"method.request.header.{identity.get('Header', 'Authorization')}",
            )
            return AuthorizerSpec(
                name,
                api.logical_id,
                RequestKind.REST_TOKEN,
                function,
                sources,
                identity.get("ValidationExpression"),
                checked_ttl(where, identity.get("ReauthorizeEvery", REST_DEFAULT_TTL), sources),
            )
        sources = _sources(identity, _REST_SOURCES)
        ttl = checked_ttl(where, identity.get("ReauthorizeEvery", REST_DEFAULT_TTL), sources)
        return AuthorizerSpec(
            name, api.logical_id, RequestKind.REST_REQUEST, function, sources, None, ttl
        )
    if "JwtConfiguration" in spec:  # SAM's OAuth2Authorizer
        sources = tuple(str(s) for s in _listed(spec.get("IdentitySource")))
        return http_jwt(name, api, spec["JwtConfiguration"], sources, spec)
    sources = _sources(identity, _HTTP_SOURCES)
    ttl = checked_ttl(where, identity.get("ReauthorizeEvery", 0), sources)
    return _http_authorizer(where, name, api, spec, function=function, sources=sources, ttl=ttl)


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _field(spec: Mapping[str, Any], name: str) -> Any:
    """SAM spells JwtConfiguration's keys in lower case, CloudFormation capitalised."""
    return spec.get(name, spec.get(name.lower()))


def header_of(sources: tuple[str, ...], where: str) -> str:
    """The header a managed authorizer reads; API Gateway allows one header source."""
    if not sources:
        return "Authorization"
    if len(sources) != 1 or ".header." not in sources[0]:
        raise ConfigurationError(f"{where}: a JWT authorizer reads exactly one request header")
    return sources[0].rpartition(".header.")[2]


def http_jwt(
    name: str,
    api: ApiSpec,
    jwt: Mapping[str, Any],
    sources: tuple[str, ...],
    spec: Mapping[str, Any],
) -> AuthorizerSpec:
    """An HTTP API JWT authorizer (SAM ``OAuth2Authorizer`` or ``AWS::ApiGatewayV2``)."""
    where = f"{api.logical_id} authorizer {name}"
    sources = sources or ("$request.header.Authorization",)
    issuer = ManagedIssuer(
        str(_field(jwt, "Issuer") or ""),
        tuple(str(a) for a in _listed(_field(jwt, "Audience"))),
    )
    config = ManagedConfig(
        ManagedKind.HTTP_JWT,
        (issuer,),
        header=header_of(sources, where),
        algorithms=HTTP_JWT_ALGORITHMS,
        scopes=tuple(str(s) for s in _listed(spec.get("AuthorizationScopes"))),
    )
    return AuthorizerSpec(name, api.logical_id, RequestKind.HTTP_V2, None, sources, managed=config)


def user_pool_id(arn: str) -> str:
    """``arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`` -> the pool id."""
    return arn.rpartition("userpool/")[2] if "userpool/" in arn else arn


def _cognito(
    name: str, api: ApiSpec, spec: Mapping[str, Any], identity: Mapping[str, Any]
) -> AuthorizerSpec:
    """A REST ``COGNITO_USER_POOLS`` authorizer (SAM ``CognitoAuthorizer``)."""
    pools = tuple(user_pool_id(str(arn)) for arn in _listed(spec.get("UserPoolArn")))
    header = str(identity.get("Header", "Authorization"))
    source = f"method.request.header.{header}"
    config = ManagedConfig(ManagedKind.COGNITO, (), header=header, user_pools=pools)
    where = f"{api.logical_id}.Auth.Authorizers.{name}"
    ttl = checked_ttl(where, identity.get("ReauthorizeEvery", REST_DEFAULT_TTL), (source,))
    return AuthorizerSpec(
        name,
        api.logical_id,
        RequestKind.REST_TOKEN,
        None,
        (source,),
        identity.get("ValidationExpression"),
        ttl,
        managed=config,
    )


def _http_authorizer(
    where: str,
    name: str,
    api: ApiSpec,
    spec: Mapping[str, Any],
    *,
    function: str | None,
    sources: tuple[str, ...],
    ttl: int,
) -> AuthorizerSpec:
    version = str(spec.get("AuthorizerPayloadFormatVersion", ""))
    if version not in ("1.0", "2.0"):
        raise ConfigurationError(f"{where}: AuthorizerPayloadFormatVersion must be 1.0 or 2.0")
    simple = bool(spec.get("EnableSimpleResponses", False))
    if simple and version != "2.0":
        raise ConfigurationError(f"{where}: simple responses need payload format 2.0")
    kind = RequestKind.HTTP_V2 if version == "2.0" else RequestKind.HTTP_V1
    return AuthorizerSpec(name, api.logical_id, kind, function, sources, None, ttl, simple)


def route_authorizer(
    api: ApiSpec, given: Any, authorizers: dict[tuple[str, str], AuthorizerSpec]
) -> str | None:
    """The authorizer a route uses (``None``: open); IAM auth is registered as unsupported."""
    if given in _NO_AUTH:
        return None
    name = str(given)
    if name == "AWS_IAM":
        kind = RequestKind.REST_REQUEST if api.api_type is ApiType.REST else RequestKind.HTTP_V2
        why = "IAM (SigV4) authorization is not emulated"
        authorizers.setdefault((api.logical_id, name), _unsupported(name, api, kind, why))
    elif (api.logical_id, name) not in authorizers:
        raise ConfigurationError(f"{api.logical_id}: a route uses the undefined authorizer {name}")
    return name


# -- AWS::ApiGatewayV2 (WebSocket and HTTP APIs written without SAM) ---------------------------


def v2_api(
    reader: TemplateView, name: str
) -> tuple[ApiSpec, dict[tuple[str, str], AuthorizerSpec], list[RouteSpec]]:
    """An ``AWS::ApiGatewayV2::Api`` with its stage, authorizers, integrations and routes."""
    properties = reader.properties(name)
    protocol = str(properties.get("ProtocolType", "HTTP")).upper()
    parts = api_children(reader, name)
    stage = next(iter(parts.get("Stage", {}).values()), {})
    api = ApiSpec(
        logical_id=name,
        api_type=ApiType.WEBSOCKET if protocol == "WEBSOCKET" else ApiType.HTTP,
        stage=str(stage.get("StageName", "$default")),
        stage_variables=stage.get("StageVariables") or {},
        route_selection_expression=str(
            properties.get("RouteSelectionExpression", "$request.body.action")
        ),
    )
    authorizers = {
        (name, auth_name): _v2_authorizer(reader, api, auth_name, spec)
        for auth_name, spec in parts.get("Authorizer", {}).items()
    }
    integrations = parts.get("Integration", {})
    routes = []
    for route_name, spec in parts.get("Route", {}).items():
        key = str(spec.get("RouteKey", ""))
        target = str(spec.get("Target", "")).removeprefix("integrations/")
        integration = integrations.get(target, {})
        auth_type = str(spec.get("AuthorizationType", "NONE")).upper()
        if auth_type in ("CUSTOM", "JWT"):
            authorizer = route_authorizer(api, spec.get("AuthorizerId"), authorizers)
        elif auth_type == "AWS_IAM":
            why = "IAM (SigV4) authorization is not emulated"
            authorizer = f"{route_name}:{auth_type}"
            authorizers[(name, authorizer)] = _unsupported(
                authorizer, api, RequestKind.HTTP_V2, why
            )
        else:
            authorizer = None
        method, _, path = key.partition(" ")
        routes.append(
            RouteSpec(
                api_id=name,
                method=method if path else None,
                path=path or key,
                function_id=reader.function_in(str(integration.get("IntegrationUri", ""))),
                authorizer=authorizer,
                api_key_required=bool(spec.get("ApiKeyRequired", False)),
                payload_version=str(integration.get("PayloadFormatVersion", "1.0")),
                route_response="RouteResponseSelectionExpression" in spec,
                scopes=tuple(str(s) for s in _listed(spec.get("AuthorizationScopes"))),
            )
        )
    return api, authorizers, routes


def api_children(
    reader: TemplateView, api_id: str, *, prefix: str = _V2_PREFIX, id_key: str = "ApiId"
) -> dict[str, dict[str, Mapping[str, Any]]]:
    """An API's CloudFormation child resources by kind (``Route``, ``Stage``... for V2 APIs;
    ``Resource``, ``Method``... with the REST prefix and ``RestApiId``), properties resolved."""
    found: dict[str, dict[str, Mapping[str, Any]]] = {}
    for name, resource in reader.resources.items():
        kind = str(resource.get("Type", ""))
        if kind.startswith(prefix):
            properties = reader.properties(name)
            if properties.get(id_key) == api_id:
                found.setdefault(kind.removeprefix(prefix), {})[name] = properties
    return found


def _v2_authorizer(
    reader: TemplateView, api: ApiSpec, name: str, spec: Mapping[str, Any]
) -> AuthorizerSpec:
    where = f"{api.logical_id} authorizer {name}"
    kind = RequestKind.WEBSOCKET if api.api_type is ApiType.WEBSOCKET else RequestKind.HTTP_V2
    raw = spec.get("IdentitySource") or []
    sources = tuple(s.strip() for s in (raw.split(",") if isinstance(raw, str) else raw))
    if str(spec.get("AuthorizerType", "REQUEST")).upper() == "JWT" and kind is RequestKind.HTTP_V2:
        return http_jwt(name, api, spec.get("JwtConfiguration") or {}, sources, {})
    if str(spec.get("AuthorizerType", "REQUEST")).upper() != "REQUEST":
        return _unsupported(name, api, kind, "this authorizer type is not emulated")
    function = reader.function_in(str(spec.get("AuthorizerUri", "")))
    if api.api_type is ApiType.WEBSOCKET:  # results are not cached (contract §6)
        return AuthorizerSpec(name, api.logical_id, kind, function, sources)
    ttl = checked_ttl(where, spec.get("AuthorizerResultTtlInSeconds", 0), sources)
    return _http_authorizer(where, name, api, spec, function=function, sources=sources, ttl=ttl)
