"""authorizers: write, test and ship AWS Lambda authorizers for Amazon API Gateway.

The public names below are imported lazily (module ``__getattr__``): ``import authorizers``
costs nothing, and a function that only uses the JWT validator never imports boto3, the test kit
or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._internal.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Authorizer": "authorizers.authorizer",
    "Decision": "authorizers.authorizer",
    "Outcome": "authorizers.authorizer",
    "AuthRequest": "authorizers.request",
    "RequestKind": "authorizers.request",
    "ClientCert": "authorizers.request",
    "MultiMap": "authorizers.request",
    "ApiArn": "authorizers.arn",
    "Identity": "authorizers.identity",
    "Grants": "authorizers.grants",
    "Validator": "authorizers.validator",
    "AnyOf": "authorizers.validator",
    "AllOf": "authorizers.validator",
    "parse_event": "authorizers._internal.event_parsing",
    "bearer_token": "authorizers.credentials",
    "request_bearer_token": "authorizers.credentials",
    "ReasonCode": "authorizers.errors",
    "AuthorizerError": "authorizers.errors",
    "Unauthorized": "authorizers.errors",
    "Forbidden": "authorizers.errors",
    "InfrastructureError": "authorizers.errors",
    "MalformedEvent": "authorizers.errors",
    "InvalidResponse": "authorizers.errors",
    "ConfigurationError": "authorizers.errors",
    "AccessRules": "authorizers.rules",
    "RouteRule": "authorizers.rules",
    "allow_route": "authorizers.rules",
    "deny_route": "authorizers.rules",
    "MethodArnOnly": "authorizers.rules",
    "AllRoutes": "authorizers.rules",
    "RouteUniverse": "authorizers.universe",
    "Requirement": "authorizers.requirements",
    "AUTHENTICATED": "authorizers.requirements",
    "scopes_any": "authorizers.requirements",
    "scopes_all": "authorizers.requirements",
    "groups_any": "authorizers.requirements",
    "groups_all": "authorizers.requirements",
    "from_validator": "authorizers.requirements",
    "from_issuer": "authorizers.requirements",
    "claim_equals": "authorizers.requirements",
    "claim_contains": "authorizers.requirements",
    "header_equals_claim": "authorizers.requirements",
    "predicate": "authorizers.requirements",
    "all_of": "authorizers.requirements",
    "any_of": "authorizers.requirements",
    "JwtValidator": "authorizers.validators.jwt",
    "IssuerConfig": "authorizers.validators.jwt",
    "CognitoValidator": "authorizers.validators.cognito",
    "OidcValidator": "authorizers.validators.oidc",
    "ApiKeyValidator": "authorizers.validators.api_key",
    "ApiKeyLocation": "authorizers.validators.api_key",
    "RequestValidator": "authorizers.validators.request_params",
    "ParamRule": "authorizers.validators.request_params",
    "ValueMatch": "authorizers.validators.request_params",
    "ClientCertRule": "authorizers.validators.request_params",
    "HmacSignatureValidator": "authorizers.validators.hmac_signature",
    "DpopValidator": "authorizers.validators.dpop",
    "CertificateBoundValidator": "authorizers.validators.cert_binding",
    "sign_request": "authorizers.validators.hmac_signature",
    "KeyRecord": "authorizers.keystores.base",
    "KeyStore": "authorizers.keystores.base",
    "hash_api_key": "authorizers.keystores.base",
    "new_api_key": "authorizers.keystores.base",
    "StaticKeyStore": "authorizers.keystores.static",
    "DynamoDBKeyStore": "authorizers.keystores.dynamodb",
    "SecretsManagerKeyStore": "authorizers.keystores.secrets_manager",
    "SsmKeyStore": "authorizers.keystores.ssm",
    "KeySource": "authorizers.jwks.sources",
    "StaticJwks": "authorizers.jwks.sources",
    "RemoteJwks": "authorizers.jwks.sources",
    "Fetcher": "authorizers.jwks.fetch",
    "FetchError": "authorizers.jwks.fetch",
    "Observer": "authorizers.observability",
    "JsonLogObserver": "authorizers.observability",
    "PowertoolsObserver": "authorizers.observability",
    "build_authorizer": "authorizers.config",
    "authorizer_from_environment": "authorizers.config",
    "FakeClock": "authorizers.clock",
    "IntrospectionValidator": "authorizers.validators.introspection",
    "ClientSecretBasic": "authorizers.validators.client_auth",
    "ClientSecretPost": "authorizers.validators.client_auth",
    "PrivateKeyJwt": "authorizers.validators.client_auth",
    "RevocationCheck": "authorizers.revocation.check",
    "StaticRevocations": "authorizers.revocation.stores",
    "CallableRevocations": "authorizers.revocation.stores",
    "DynamoDBRevocations": "authorizers.revocation.dynamodb",
}

__all__ = [
    "AUTHENTICATED",
    "AccessRules",
    "AllOf",
    "AllRoutes",
    "AnyOf",
    "ApiArn",
    "ApiKeyLocation",
    "ApiKeyValidator",
    "AuthRequest",
    "Authorizer",
    "AuthorizerError",
    "CallableRevocations",
    "CertificateBoundValidator",
    "ClientCert",
    "ClientCertRule",
    "ClientSecretBasic",
    "ClientSecretPost",
    "CognitoValidator",
    "ConfigurationError",
    "Decision",
    "DpopValidator",
    "DynamoDBKeyStore",
    "DynamoDBRevocations",
    "FakeClock",
    "FetchError",
    "Fetcher",
    "Forbidden",
    "Grants",
    "HmacSignatureValidator",
    "Identity",
    "InfrastructureError",
    "IntrospectionValidator",
    "InvalidResponse",
    "IssuerConfig",
    "JsonLogObserver",
    "JwtValidator",
    "KeyRecord",
    "KeySource",
    "KeyStore",
    "MalformedEvent",
    "MethodArnOnly",
    "MultiMap",
    "Observer",
    "OidcValidator",
    "Outcome",
    "ParamRule",
    "PowertoolsObserver",
    "PrivateKeyJwt",
    "ReasonCode",
    "RemoteJwks",
    "RequestKind",
    "RequestValidator",
    "Requirement",
    "RevocationCheck",
    "RouteRule",
    "RouteUniverse",
    "SecretsManagerKeyStore",
    "SsmKeyStore",
    "StaticJwks",
    "StaticKeyStore",
    "StaticRevocations",
    "Unauthorized",
    "Validator",
    "ValueMatch",
    "all_of",
    "allow_route",
    "any_of",
    "authorizer_from_environment",
    "bearer_token",
    "build_authorizer",
    "claim_contains",
    "claim_equals",
    "deny_route",
    "from_issuer",
    "from_validator",
    "groups_all",
    "groups_any",
    "hash_api_key",
    "header_equals_claim",
    "new_api_key",
    "parse_event",
    "predicate",
    "request_bearer_token",
    "scopes_all",
    "scopes_any",
    "sign_request",
]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs; nothing is imported at run time
    from authorizers._internal.event_parsing import parse_event as parse_event
    from authorizers.arn import ApiArn as ApiArn
    from authorizers.authorizer import Authorizer as Authorizer
    from authorizers.authorizer import Decision as Decision
    from authorizers.authorizer import Outcome as Outcome
    from authorizers.clock import FakeClock as FakeClock
    from authorizers.config import authorizer_from_environment as authorizer_from_environment
    from authorizers.config import build_authorizer as build_authorizer
    from authorizers.credentials import bearer_token as bearer_token
    from authorizers.credentials import request_bearer_token as request_bearer_token
    from authorizers.errors import AuthorizerError as AuthorizerError
    from authorizers.errors import ConfigurationError as ConfigurationError
    from authorizers.errors import Forbidden as Forbidden
    from authorizers.errors import InfrastructureError as InfrastructureError
    from authorizers.errors import InvalidResponse as InvalidResponse
    from authorizers.errors import MalformedEvent as MalformedEvent
    from authorizers.errors import ReasonCode as ReasonCode
    from authorizers.errors import Unauthorized as Unauthorized
    from authorizers.grants import Grants as Grants
    from authorizers.identity import Identity as Identity
    from authorizers.jwks.fetch import Fetcher as Fetcher
    from authorizers.jwks.fetch import FetchError as FetchError
    from authorizers.jwks.sources import KeySource as KeySource
    from authorizers.jwks.sources import RemoteJwks as RemoteJwks
    from authorizers.jwks.sources import StaticJwks as StaticJwks
    from authorizers.keystores.base import KeyRecord as KeyRecord
    from authorizers.keystores.base import KeyStore as KeyStore
    from authorizers.keystores.base import hash_api_key as hash_api_key
    from authorizers.keystores.base import new_api_key as new_api_key
    from authorizers.keystores.dynamodb import DynamoDBKeyStore as DynamoDBKeyStore
    from authorizers.keystores.secrets_manager import (
        SecretsManagerKeyStore as SecretsManagerKeyStore,
    )
    from authorizers.keystores.ssm import SsmKeyStore as SsmKeyStore
    from authorizers.keystores.static import StaticKeyStore as StaticKeyStore
    from authorizers.observability import JsonLogObserver as JsonLogObserver
    from authorizers.observability import Observer as Observer
    from authorizers.observability import PowertoolsObserver as PowertoolsObserver
    from authorizers.request import AuthRequest as AuthRequest
    from authorizers.request import ClientCert as ClientCert
    from authorizers.request import MultiMap as MultiMap
    from authorizers.request import RequestKind as RequestKind
    from authorizers.requirements import AUTHENTICATED as AUTHENTICATED
    from authorizers.requirements import Requirement as Requirement
    from authorizers.requirements import all_of as all_of
    from authorizers.requirements import any_of as any_of
    from authorizers.requirements import claim_contains as claim_contains
    from authorizers.requirements import claim_equals as claim_equals
    from authorizers.requirements import from_issuer as from_issuer
    from authorizers.requirements import from_validator as from_validator
    from authorizers.requirements import groups_all as groups_all
    from authorizers.requirements import groups_any as groups_any
    from authorizers.requirements import header_equals_claim as header_equals_claim
    from authorizers.requirements import predicate as predicate
    from authorizers.requirements import scopes_all as scopes_all
    from authorizers.requirements import scopes_any as scopes_any
    from authorizers.revocation.check import RevocationCheck as RevocationCheck
    from authorizers.revocation.dynamodb import DynamoDBRevocations as DynamoDBRevocations
    from authorizers.revocation.stores import CallableRevocations as CallableRevocations
    from authorizers.revocation.stores import StaticRevocations as StaticRevocations
    from authorizers.rules import AccessRules as AccessRules
    from authorizers.rules import AllRoutes as AllRoutes
    from authorizers.rules import MethodArnOnly as MethodArnOnly
    from authorizers.rules import RouteRule as RouteRule
    from authorizers.rules import allow_route as allow_route
    from authorizers.rules import deny_route as deny_route
    from authorizers.universe import RouteUniverse as RouteUniverse
    from authorizers.validator import AllOf as AllOf
    from authorizers.validator import AnyOf as AnyOf
    from authorizers.validator import Validator as Validator
    from authorizers.validators.api_key import ApiKeyLocation as ApiKeyLocation
    from authorizers.validators.api_key import ApiKeyValidator as ApiKeyValidator
    from authorizers.validators.cert_binding import (
        CertificateBoundValidator as CertificateBoundValidator,
    )
    from authorizers.validators.client_auth import ClientSecretBasic as ClientSecretBasic
    from authorizers.validators.client_auth import ClientSecretPost as ClientSecretPost
    from authorizers.validators.client_auth import PrivateKeyJwt as PrivateKeyJwt
    from authorizers.validators.cognito import CognitoValidator as CognitoValidator
    from authorizers.validators.dpop import DpopValidator as DpopValidator
    from authorizers.validators.hmac_signature import (
        HmacSignatureValidator as HmacSignatureValidator,
    )
    from authorizers.validators.hmac_signature import sign_request as sign_request
    from authorizers.validators.introspection import (
        IntrospectionValidator as IntrospectionValidator,
    )
    from authorizers.validators.jwt import IssuerConfig as IssuerConfig
    from authorizers.validators.jwt import JwtValidator as JwtValidator
    from authorizers.validators.oidc import OidcValidator as OidcValidator
    from authorizers.validators.request_params import ClientCertRule as ClientCertRule
    from authorizers.validators.request_params import ParamRule as ParamRule
    from authorizers.validators.request_params import RequestValidator as RequestValidator
    from authorizers.validators.request_params import ValueMatch as ValueMatch
