"""Read a SAM template into what the local gateway serves (:class:`LocalTemplate`).

Understood: ``Parameters`` (with ``--parameter-overrides``), ``Conditions``, ``Globals``
(``Function``, ``Api``, ``HttpApi``), ``AWS::Serverless::Function`` with ``Api``/``HttpApi``
events, ``AWS::Serverless::Api``/``HttpApi`` ``Auth`` (Lambda TOKEN/REQUEST authorizers,
``DefaultAuthorizer``, per-route ``Authorizer``/``NONE``, ``ApiKeyRequired``), layers, and
``AWS::ApiGatewayV2`` APIs (WebSocket or HTTP) with their ``Authorizer``, ``Route``,
``Integration`` and ``Stage``, and CloudFormation REST APIs (``AWS::ApiGateway::RestApi``, the
only place a REST JWT authorizer can be declared). Managed authorizers (JWT, Cognito user
pools) are read with their ``AuthorizationScopes``. Identity sources are spelled the way SAM
generates them.
An environment file in SAM's format (``{"FunctionId": {"VAR": "value"}, "Parameters": {...}}``)
overrides variables; a variable the template does not declare is added (sam ignores it).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.local import gateway_responses, rest_resources, sam_auth, template_rules
from authorizers.local.intrinsics import Resolver, load_yaml
from authorizers.local.model import (
    ApiSpec,
    ApiType,
    AuthorizerSpec,
    FunctionSpec,
    LocalTemplate,
    RouteSpec,
)

_FUNCTION = "AWS::Serverless::Function"
_REST, _HTTP = "AWS::Serverless::Api", "AWS::Serverless::HttpApi"
_V2_API = "AWS::ApiGatewayV2::Api"
_REST_API = "AWS::ApiGateway::RestApi"
_GATEWAY_RESPONSE = "AWS::ApiGateway::GatewayResponse"
_IMPLICIT = {_REST: "ServerlessRestApi", _HTTP: "ServerlessHttpApi"}
_GLOBALS = {_FUNCTION: "Function", _REST: "Api", _HTTP: "HttpApi"}


def load_template(
    path: str | Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    env_vars: Mapping[str, Mapping[str, Any]] | str | Path | None = None,
    check_rules: bool = False,
) -> LocalTemplate:
    """The template at ``path`` as the gateway serves it. ``env_vars`` is SAM's environment
    file (a path) or its content. ``check_rules``: refuse parameter values the template's
    ``Rules`` refuse, as a deploy would (``authorizers serve`` does)."""
    path = Path(path).resolve()
    document = load_yaml(path)
    resolver = Resolver(document, parameter_overrides)
    skipped = template_rules.check_rules(document, resolver) if check_rules else []
    reader = _Reader(path.parent, document, resolver, _env_overrides(env_vars))
    reader.warnings += skipped
    return reader.read()


def _env_overrides(source: Mapping[str, Mapping[str, Any]] | str | Path | None) -> Any:
    if source is None or isinstance(source, Mapping):
        return source or {}
    try:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read {source}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigurationError(f'{source}: expected {{"FunctionId": {{"VAR": "value"}}}}')
    return data


def _merge_globals(defaults: Any, own: Any) -> Any:
    """SAM's Globals rule: maps merge (the resource wins), lists concatenate, else the
    resource's value."""
    if isinstance(defaults, dict) and isinstance(own, dict):
        merged = dict(defaults)
        for key, value in own.items():
            merged[key] = _merge_globals(defaults[key], value) if key in defaults else value
        return merged
    if isinstance(defaults, list) and isinstance(own, list):
        return defaults + own
    return own


class _Reader:
    def __init__(
        self,
        base: Path,
        document: Mapping[str, Any],
        resolver: Resolver,
        env_overrides: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.base = base
        self.resolver = resolver
        self.globals: Mapping[str, Any] = document.get("Globals") or {}
        self.env_overrides = env_overrides
        self.warnings: list[str] = []
        self._resolved: dict[str, Any] = {}
        self.resources = {
            name: resource
            for name, resource in document["Resources"].items()
            if isinstance(resource, dict)
            and ("Condition" not in resource or resolver.condition(resource["Condition"]))
        }
        self.function_ids = {
            resolver.function_arn(name): name
            for name, resource in self.resources.items()
            if resource.get("Type") in (_FUNCTION, "AWS::Lambda::Function")
        }

    def properties(self, name: str, resource: Mapping[str, Any] | None = None) -> Any:
        """A resource's properties, Globals merged in, intrinsics resolved; a template
        resource's once (each API's children and each event's API are asked for again)."""
        if resource is None and name in self._resolved:
            return self._resolved[name]
        given = resource if resource is not None else self.resources[name]
        raw = given.get("Properties") or {}
        section = _GLOBALS.get(given.get("Type", ""))
        if section is not None:
            raw = _merge_globals(self.globals.get(section) or {}, raw)
        resolved = self.resolver.resolve(raw)
        if resource is None:
            self._resolved[name] = resolved
        return resolved

    def function_in(self, text: str) -> str | None:
        """The template function an ARN or integration URI names."""
        return next((name for arn, name in self.function_ids.items() if arn in text), None)

    def read(self) -> LocalTemplate:
        functions, routes = {}, []
        apis: dict[str, ApiSpec] = {}
        authorizers: dict[tuple[str, str], AuthorizerSpec] = {}
        for name, resource in self.resources.items():
            kind = resource.get("Type")
            if kind in (_REST, _HTTP):
                apis[name], found = self.serverless_api(name, self.properties(name), kind)
                authorizers.update(found)
            elif kind in (_V2_API, _REST_API):
                read = sam_auth.v2_api if kind == _V2_API else rest_resources.rest_api
                apis[name], found, api_routes = read(self, name)
                authorizers.update(found)
                routes += api_routes
        for name, resource in self.resources.items():
            if resource.get("Type") == _FUNCTION:
                properties = self.properties(name)
                functions[name] = self.function(name, properties)
                routes += self.event_routes(name, properties, apis, authorizers)
        self.check(routes, authorizers, functions)
        self.add_gateway_responses(apis)
        return LocalTemplate(functions, apis, authorizers, tuple(routes), tuple(self.warnings))

    # -- functions --------------------------------------------------------------------------

    def function(self, name: str, properties: Mapping[str, Any]) -> FunctionSpec:
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        for section in ("Parameters", name):
            variables = {**variables, **(self.env_overrides.get(section) or {})}
        code_uri = properties.get("CodeUri")
        return FunctionSpec(
            logical_id=name,
            handler=str(properties.get("Handler") or ""),
            code_uri=self.base / code_uri if isinstance(code_uri, str) else None,
            runtime=properties.get("Runtime"),
            environment={key: _env_text(value) for key, value in variables.items()},
            import_paths=tuple(self.layer_paths(name, properties.get("Layers") or [])),
            timeout_seconds=float(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
        )

    def layer_paths(self, function: str, layers: list[Any]) -> list[Path]:
        """Where each layer's Python code is: ``<ContentUri>/python`` when it exists, the
        folder itself when SAM builds it as Python source; a layer built by a makefile has
        nothing importable before ``sam build`` (this interpreter's packages stand in)."""
        paths = []
        for arn in layers:
            name = next((n for n in self.resources if self.resolver.resolve({"Ref": n}) == arn), "")
            resource = self.resources.get(name) or {}
            if "LayerVersion" not in str(resource.get("Type")):
                self.warnings.append(f"{function}: layer {arn} is not in the template: skipped")
                continue
            content = (resource.get("Properties") or {}).get("ContentUri")
            if not isinstance(content, str):
                continue
            folder = self.base / content
            method = str((resource.get("Metadata") or {}).get("BuildMethod", ""))
            if (folder / "python").is_dir():
                paths.append(folder / "python")
            elif method.startswith("python"):
                paths.append(folder)
        return paths

    # -- SAM APIs ---------------------------------------------------------------------------

    def serverless_api(
        self, name: str, properties: Mapping[str, Any], kind: str
    ) -> tuple[ApiSpec, dict[tuple[str, str], AuthorizerSpec]]:
        rest = kind == _REST
        api = ApiSpec(
            logical_id=name,
            api_type=ApiType.REST if rest else ApiType.HTTP,
            stage=str(properties.get("StageName") or ("Prod" if rest else "$default")),
            stage_variables=properties.get("Variables" if rest else "StageVariables") or {},
            api_key_source=str(properties.get("ApiKeySourceType") or "HEADER"),
            gateway_responses=gateway_responses.from_sam(
                properties.get("GatewayResponses") or {}, self.warnings
            )
            if rest
            else {},
        )
        auth = properties.get("Auth") or {}
        found = {
            (name, auth_name): sam_auth.serverless_authorizer(self, api, auth_name, spec)
            for auth_name, spec in (auth.get("Authorizers") or {}).items()
        }
        return api, found

    def event_routes(
        self,
        function: str,
        properties: Mapping[str, Any],
        apis: dict[str, ApiSpec],
        authorizers: dict[tuple[str, str], AuthorizerSpec],
    ) -> list[RouteSpec]:
        routes = []
        for event in (properties.get("Events") or {}).values():
            kind = {"Api": _REST, "HttpApi": _HTTP}.get(event.get("Type"))
            if kind is None:
                continue
            spec = event.get("Properties") or {}
            api_id = spec.get("RestApiId" if kind == _REST else "ApiId") or _IMPLICIT[kind]
            if api_id not in apis:  # the implicit API SAM creates, with Globals applied
                implicit = self.properties(api_id, {"Type": kind})
                apis[api_id], found = self.serverless_api(api_id, implicit, kind)
                authorizers.update(found)
            api_auth = self.api_auth(api_id)
            route_auth = spec.get("Auth") or {}
            authorizer = route_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
            path, method = spec.get("Path"), spec.get("Method")
            name = sam_auth.route_authorizer(apis[api_id], authorizer, authorizers)
            routes.append(
                RouteSpec(
                    api_id=api_id,
                    method=None if path is None and kind == _HTTP else str(method or "ANY").upper(),
                    path=str(path or "$default"),
                    function_id=function,
                    authorizer=name,
                    api_key_required=bool(
                        route_auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))
                    ),
                    payload_version=str(spec.get("PayloadFormatVersion", "2.0"))
                    if kind == _HTTP
                    else "1.0",
                    scopes=_scopes(route_auth, authorizers.get((api_id, name or ""))),
                )
            )
        return routes

    def api_auth(self, api_id: str) -> Mapping[str, Any]:
        if api_id in self.resources:
            auth = self.properties(api_id).get("Auth")
        else:  # an implicit API: only Globals configure it
            section = "Api" if api_id == _IMPLICIT[_REST] else "HttpApi"
            auth = self.resolver.resolve((self.globals.get(section) or {}).get("Auth"))
        return dict(auth or {})

    def add_gateway_responses(self, apis: dict[str, ApiSpec]) -> None:
        """``AWS::ApiGateway::GatewayResponse`` resources join their REST API's responses."""
        for name, resource in self.resources.items():
            if resource.get("Type") != _GATEWAY_RESPONSE:
                continue
            properties = self.properties(name)
            api = apis.get(str(properties.get("RestApiId")))
            if api is None or api.api_type is not ApiType.REST:
                self.warnings.append(f"{name}: not attached to a REST API in the template")
                continue
            spec = gateway_responses.from_resource(properties, self.warnings)
            merged = {**api.gateway_responses, str(properties.get("ResponseType")): spec}
            apis[api.logical_id] = dataclasses.replace(api, gateway_responses=merged)

    # -- consistency ------------------------------------------------------------------------

    def check(
        self,
        routes: list[RouteSpec],
        authorizers: Mapping[tuple[str, str], AuthorizerSpec],
        functions: Mapping[str, FunctionSpec],
    ) -> None:
        for route in routes:
            if route.function_id is None or route.function_id not in functions:
                self.warnings.append(
                    f"{route.api_id} {route.route_key}: no template function behind it (500)"
                )
        for spec in authorizers.values():
            if (
                spec.managed is None
                and spec.unsupported is None
                and spec.function_id not in functions
            ):
                self.warnings.append(f"{spec.api_id} {spec.name}: function not in the template")


def _scopes(route_auth: Mapping[str, Any], spec: AuthorizerSpec | None) -> tuple[str, ...]:
    """A route's ``AuthorizationScopes``, else its managed authorizer's default ones."""
    given = route_auth.get("AuthorizationScopes")
    if given is not None:
        return tuple(str(scope) for scope in given)
    return spec.managed.scopes if spec is not None and spec.managed is not None else ()


def _env_text(value: Any) -> str:
    """Lambda environment values are strings; YAML may have read a number or a boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
