"""Managed where it suffices, Lambda where it must: ``authorizers plan`` reads a template's
Lambda authorizers built with this framework and says, per authorizer and route, whether an
API Gateway managed authorizer (HTTP API JWT, REST JWT, REST Cognito user pools) would do the
same job, and what moving would lose.

What the planner reads, never running any code:

- a zero-code authorizer: its configuration document (``AUTHORIZER_CONFIG`` or the file
  ``AUTHORIZER_CONFIG_FILE`` of the function's environment);
- a Python authorizer: a module-level ``AUTHORIZER_CONFIG`` in the handler's module, a literal
  dict (or JSON string) in the zero-code format describing what it checks - read with
  ``ast.literal_eval``, the module is not imported. Without it the planner cannot see the
  checks and says so.

Every check the Lambda makes that a managed authorizer cannot is a *loss* (moving is then not
advised); a difference that weakens nothing is a *change* (the integration reads claims under
another key, no leeway). Validator types other than JWT/OIDC/Cognito are losses by name
(``introspection``, ``dpop``, ``cert_bound``...), and so is a token validator's
``revocation`` setting.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.local.model import ApiType, AuthorizerSpec, FunctionSpec, LocalTemplate, RouteSpec

CONFIG_NAME = "AUTHORIZER_CONFIG"
JWT_TYPES = ("jwt", "oidc", "cognito")
#: What a validator type checks that no managed authorizer can.
LOSSES = {
    "api_key": "API keys",
    "request": "request rules (source IP, client certificate, headers)",
    "hmac": "HMAC request signatures",
    "introspection": "token introspection",
    "revocation": "revocation checks",
    "dpop": "DPoP proof of possession",
    "cert_bound": "certificate-bound tokens (mTLS)",
}
#: HTTP API JWT authorizers verify RSA signatures only (AWS docs); the REST JWT authorizer's
#: list is not documented in what we found: RS* and ES* are assumed, PS* and EdDSA are not.
HTTP_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
REST_ALGORITHMS = HTTP_ALGORITHMS | {"ES256", "ES384", "ES512"}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class RoutePlan:
    route: RouteSpec
    scopes: tuple[str, ...] = ()
    losses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IssuerPlan:
    """One trusted issuer as a managed authorizer would be configured."""

    issuer: str
    audiences: tuple[str, ...]
    algorithms: tuple[str, ...]
    claims: tuple[tuple[str, tuple[str, ...]], ...] = ()  # required claim, expected values
    user_pool: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizerPlan:
    spec: AuthorizerSpec
    api_type: ApiType
    source: str
    target: str | None = None  # "HTTP API JWT", "REST JWT", "REST COGNITO_USER_POOLS"
    issuers: tuple[IssuerPlan, ...] = ()
    header: str = "Authorization"
    losses: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    routes: tuple[RoutePlan, ...] = field(default=())

    @property
    def suffices(self) -> bool:
        return (
            self.target is not None and not self.losses and not any(r.losses for r in self.routes)
        )


def plan_template(template: LocalTemplate) -> list[AuthorizerPlan]:
    """A plan for every Lambda authorizer of the template (managed ones are already managed)."""
    plans = []
    for spec in template.authorizers.values():
        if spec.managed is not None or spec.unsupported is not None:
            continue
        routes = [
            r for r in template.routes if (r.api_id, r.authorizer) == (spec.api_id, spec.name)
        ]
        api_type = template.apis[spec.api_id].api_type
        function = template.functions.get(spec.function_id or "")
        document, source = authorizer_document(function)
        plans.append(plan_authorizer(spec, api_type, document, source, routes))
    return plans


def authorizer_document(function: FunctionSpec | None) -> tuple[dict[str, Any] | None, str]:
    """The zero-code document of ``function`` with its environment's ``${NAME}`` filled in
    (unknown names stay), and where it came from."""
    from authorizers.config import CONFIG_ENV, CONFIG_FILE_ENV, parse_document  # noqa: PLC0415

    if function is None:
        return None, "no function in the template"
    env = function.environment
    if env.get(CONFIG_ENV):
        return _filled(
            parse_document(env[CONFIG_ENV], CONFIG_ENV), env
        ), f"{CONFIG_ENV} (zero-code)"
    base = function.code_uri or Path()
    if env.get(CONFIG_FILE_ENV):
        path = base / env[CONFIG_FILE_ENV]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None
        return _filled(parse_document(text, str(path)), env), f"{path.name} (zero-code)"
    module = base / (function.handler.rpartition(".")[0].replace(".", "/") + ".py")
    declared = declared_config(module)
    if declared is None:
        return None, f"{module.name}: Python, no {CONFIG_NAME} declared"
    return _filled(declared, env), f"{module.name}: {CONFIG_NAME}"


def declared_config(module: Path) -> dict[str, Any] | None:
    """A module-level ``AUTHORIZER_CONFIG = {...}`` (or a JSON string), read without importing."""
    try:
        tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == CONFIG_NAME and value is not None:
            try:
                literal = ast.literal_eval(value)
            except ValueError:
                raise ConfigurationError(f"{module}: {CONFIG_NAME} is not a literal") from None
            document = json.loads(literal) if isinstance(literal, str) else literal
            if not isinstance(document, dict):
                raise ConfigurationError(f"{module}: {CONFIG_NAME} is not an object")
            return document
    return None


def _filled(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: env.get(m[1], m[0]), value)
    if isinstance(value, list):
        return [_filled(item, env) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, env) for key, item in value.items()}
    return value


def plan_authorizer(
    spec: AuthorizerSpec,
    api_type: ApiType,
    document: Mapping[str, Any] | None,
    source: str,
    routes: list[RouteSpec],
) -> AuthorizerPlan:
    """What moving ``spec`` to a managed authorizer would do (see the module docstring)."""
    if document is None:
        loss = f"the planner cannot see this authorizer's checks ({source})"
        return AuthorizerPlan(spec, api_type, source, losses=(loss,))
    if api_type is ApiType.WEBSOCKET:
        loss = "WebSocket APIs have no managed JWT authorizer"
        return AuthorizerPlan(spec, api_type, source, losses=(loss,))
    from authorizers.plan_checks import Checks  # noqa: PLC0415

    checks = Checks(api_type)
    checks.document(document)
    route_plans = tuple(checks.route(route, document.get("routes")) for route in routes)
    return AuthorizerPlan(
        spec,
        api_type,
        source,
        checks.target(),
        tuple(checks.issuers),
        checks.header,
        tuple(dict.fromkeys(checks.losses)),
        tuple(dict.fromkeys(checks.changes)),
        route_plans,
    )
