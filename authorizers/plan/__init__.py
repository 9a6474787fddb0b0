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
from pathlib import Path
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.local.model import ApiType, AuthorizerSpec, FunctionSpec, LocalTemplate, RouteSpec
from authorizers.plan.model import (  # the plan's values, importable here too
    CONFIG_NAME,
    HTTP_ALGORITHMS,
    JWT_TYPES,
    LOSSES,
    REST_ALGORITHMS,
    AuthorizerPlan,
    IssuerPlan,
    RoutePlan,
)

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

__all__ = [
    "CONFIG_NAME",
    "HTTP_ALGORITHMS",
    "JWT_TYPES",
    "LOSSES",
    "REST_ALGORITHMS",
    "AuthorizerPlan",
    "IssuerPlan",
    "RoutePlan",
    "authorizer_document",
    "declared_config",
    "plan_authorizer",
    "plan_template",
]


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
    from authorizers.local.route_check import function_document  # noqa: PLC0415

    if function is None:
        return None, "no function in the template"
    found = function_document(function)
    if found is not None:
        return _filled(found[0], function.environment), f"{found[1]} (zero-code)"
    base = function.code_uri or Path()
    module = base / (function.handler.rpartition(".")[0].replace(".", "/") + ".py")
    declared = declared_config(module)
    if declared is None:
        return None, f"{module.name}: Python, no {CONFIG_NAME} declared"
    return _filled(declared, function.environment), f"{module.name}: {CONFIG_NAME}"


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
    from authorizers.plan.checks import Checks  # noqa: PLC0415 - loaded by a plan only

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
