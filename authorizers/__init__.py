"""authorizers: write, test and ship AWS Lambda authorizers for Amazon API Gateway.

The public names below are imported lazily (module ``__getattr__``): ``import authorizers``
costs nothing, and a function that only uses the JWT validator never imports boto3, the test kit
or the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # core
    "Authorizer": "authorizers.authorizer",
    "Decision": "authorizers.authorizer",
    "AuthRequest": "authorizers.request",
    "RequestKind": "authorizers.request",
    "ClientCert": "authorizers.request",
    "ApiArn": "authorizers.arn",
    "Identity": "authorizers.identity",
    "Grants": "authorizers.grants",
    "Validator": "authorizers.validator",
    "AnyOf": "authorizers.validator",
    "AllOf": "authorizers.validator",
    "parse_event": "authorizers._internal.event_parsing",
    "bearer_token": "authorizers.credentials",
    # errors
    "ReasonCode": "authorizers.errors",
    "AuthorizerError": "authorizers.errors",
    "Unauthorized": "authorizers.errors",
    "Forbidden": "authorizers.errors",
    "InfrastructureError": "authorizers.errors",
    "MalformedEvent": "authorizers.errors",
    "InvalidResponse": "authorizers.errors",
    "ConfigurationError": "authorizers.errors",
    # access rules
    "AccessRules": "authorizers.rules",
    "RouteRule": "authorizers.rules",
    "scopes_any": "authorizers.rules",
    "scopes_all": "authorizers.rules",
    "groups_any": "authorizers.rules",
    "groups_all": "authorizers.rules",
    "claim_equals": "authorizers.rules",
    "claim_contains": "authorizers.rules",
    # validators
    "JwtValidator": "authorizers.validators.jwt",
    "IssuerConfig": "authorizers.validators.jwt",
    "CognitoValidator": "authorizers.validators.cognito",
    "OidcValidator": "authorizers.validators.oidc",
    "ApiKeyValidator": "authorizers.validators.api_key",
    "RequestValidator": "authorizers.validators.request_params",
    "HmacSignatureValidator": "authorizers.validators.hmac_signature",
    # keys
    "StaticJwks": "authorizers.jwks.sources",
    "RemoteJwks": "authorizers.jwks.sources",
    # time
    "FakeClock": "authorizers.clock",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'authorizers' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
