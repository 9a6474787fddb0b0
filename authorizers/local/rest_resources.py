"""REST APIs written as plain CloudFormation: ``AWS::ApiGateway::RestApi`` with its
``Resource``, ``Method``, ``Authorizer`` and ``Stage``/``Deployment`` resources.

This is the only way a template can declare a REST ``JWT`` authorizer today: SAM's
``AWS::Serverless::Api`` has no shape for it, while CloudFormation documents
``AWS::ApiGateway::Authorizer`` ``JwtConfiguration`` (``DefaultAlgorithms``, ``Issuers`` with
``Issuer``, ``Audiences``, ``AdditionalClaims``). Lambda (``TOKEN``/``REQUEST``) and
``COGNITO_USER_POOLS`` authorizers are read too, so one API can mix them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.local import sam_auth
from authorizers.local.model import (
    REST_JWT_ALGORITHMS,
    ApiSpec,
    ApiType,
    AuthorizerSpec,
    ManagedConfig,
    ManagedIssuer,
    ManagedKind,
    RequiredClaim,
    RouteSpec,
)
from authorizers.local.sam_auth import TemplateView
from authorizers.request import RequestKind

_PREFIX = "AWS::ApiGateway::"
#: CloudFormation's default AuthorizerResultTtlInSeconds for REST authorizers.
_DEFAULT_TTL = 300


def rest_api(
    reader: TemplateView, name: str
) -> tuple[ApiSpec, dict[tuple[str, str], AuthorizerSpec], list[RouteSpec]]:
    """One ``AWS::ApiGateway::RestApi`` with its authorizers and methods."""
    parts = sam_auth.api_children(reader, name, prefix=_PREFIX, id_key="RestApiId")
    stage = next(iter(parts.get("Stage", {}).values()), None)
    deployment = next(iter(parts.get("Deployment", {}).values()), {})
    stage_name = (stage or {}).get("StageName") or deployment.get("StageName") or "Prod"
    api = ApiSpec(
        name,
        ApiType.REST,
        str(stage_name),
        stage_variables=(stage or {}).get("Variables") or {},
        api_key_source=str(reader.properties(name).get("ApiKeySourceType") or "HEADER"),
    )
    authorizers = {
        (name, auth): _authorizer(reader, api, auth, spec)
        for auth, spec in parts.get("Authorizer", {}).items()
    }
    paths = _paths(name, parts.get("Resource", {}))
    routes = []
    for method_name, spec in parts.get("Method", {}).items():
        resource = str(spec.get("ResourceId", ""))
        if resource not in paths:
            raise ConfigurationError(f"{name} method {method_name}: unknown ResourceId")
        auth_type = str(spec.get("AuthorizationType", "NONE")).upper()
        given = (
            spec.get("AuthorizerId")
            if auth_type in ("CUSTOM", "JWT", "COGNITO_USER_POOLS")
            else None
        )
        if auth_type == "AWS_IAM":
            given = "AWS_IAM"
        integration = spec.get("Integration") or {}
        routes.append(
            RouteSpec(
                api_id=name,
                method=str(spec.get("HttpMethod", "ANY")).upper(),
                path=paths[resource],
                function_id=reader.function_in(str(integration.get("Uri", ""))),
                authorizer=sam_auth.route_authorizer(api, given, authorizers),
                api_key_required=bool(spec.get("ApiKeyRequired", False)),
                scopes=tuple(str(s) for s in spec.get("AuthorizationScopes") or ()),
            )
        )
    return api, authorizers, routes


def _paths(api_id: str, resources: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Resource id (``Api.RootResourceId`` for the root) -> its path, parents first."""
    paths = {f"{api_id}.RootResourceId": "/"}
    pending = dict(resources)
    while pending:
        ready = {n: r for n, r in pending.items() if str(r.get("ParentId")) in paths}
        if not ready:
            raise ConfigurationError(f"{api_id}: resources {sorted(pending)} have no parent")
        for name, resource in ready.items():
            parent = paths[str(resource.get("ParentId"))]
            paths[name] = parent.rstrip("/") + "/" + str(resource.get("PathPart", ""))
            del pending[name]
    return paths


def _authorizer(
    reader: TemplateView, api: ApiSpec, name: str, spec: Mapping[str, Any]
) -> AuthorizerSpec:
    where = f"{api.logical_id} authorizer {name}"
    kind = str(spec.get("Type", "")).upper()
    source = str(spec.get("IdentitySource") or "method.request.header.Authorization")
    sources = tuple(s.strip() for s in source.split(",") if s.strip())
    ttl = sam_auth.checked_ttl(
        where, spec.get("AuthorizerResultTtlInSeconds", _DEFAULT_TTL), sources
    )
    if kind == "JWT":
        return AuthorizerSpec(
            name,
            api.logical_id,
            RequestKind.REST_TOKEN,
            None,
            sources,
            managed=_rest_jwt(spec, sources, where),
        )
    if kind == "COGNITO_USER_POOLS":
        pools = tuple(sam_auth.user_pool_id(str(a)) for a in spec.get("ProviderARNs") or ())
        header = sam_auth.header_of(sources, where)
        config = ManagedConfig(ManagedKind.COGNITO, (), header=header, user_pools=pools)
        validation = spec.get("IdentityValidationExpression")
        return AuthorizerSpec(
            name,
            api.logical_id,
            RequestKind.REST_TOKEN,
            None,
            sources,
            validation,
            ttl,
            managed=config,
        )
    function = reader.function_in(str(spec.get("AuthorizerUri", "")))
    request_kind = RequestKind.REST_TOKEN if kind == "TOKEN" else RequestKind.REST_REQUEST
    validation = spec.get("IdentityValidationExpression") if kind == "TOKEN" else None
    return AuthorizerSpec(name, api.logical_id, request_kind, function, sources, validation, ttl)


def _rest_jwt(spec: Mapping[str, Any], sources: tuple[str, ...], where: str) -> ManagedConfig:
    jwt = spec.get("JwtConfiguration") or {}
    issuers = tuple(
        ManagedIssuer(
            str(issuer.get("Issuer") or ""),
            tuple(str(a) for a in issuer.get("Audiences") or ()),
            tuple(
                RequiredClaim(
                    str(claim.get("ClaimName")),
                    tuple(str(v) for v in claim.get("ExpectedValues") or ()),
                    bool(claim.get("Required", True)),  # default UNVERIFIED
                )
                for claim in issuer.get("AdditionalClaims") or ()
            ),
        )
        for issuer in jwt.get("Issuers") or ()
    )
    if not issuers:
        raise ConfigurationError(f"{where}: JwtConfiguration.Issuers is empty")
    algorithms = _algorithms(jwt.get("DefaultAlgorithms"), where)
    header = sam_auth.header_of(sources, where)
    return ManagedConfig(ManagedKind.REST_JWT, issuers, header=header, algorithms=algorithms)


def _algorithms(listed: Any, where: str) -> tuple[str, ...]:
    """``DefaultAlgorithms``: required (API Gateway has no default) and each one it supports;
    a template that would not deploy is refused, not given a guessed list."""
    if not isinstance(listed, list) or not listed:
        raise ConfigurationError(
            f"{where}: JwtConfiguration.DefaultAlgorithms is required (a non-empty list of "
            f"{', '.join(REST_JWT_ALGORITHMS)})"
        )
    unsupported = [str(alg) for alg in listed if alg not in REST_JWT_ALGORITHMS]
    if unsupported:
        raise ConfigurationError(
            f"{where}: JwtConfiguration.DefaultAlgorithms lists {', '.join(unsupported)}; a REST "
            f"JWT authorizer supports {', '.join(REST_JWT_ALGORITHMS)}"
        )
    return tuple(str(alg) for alg in listed)
