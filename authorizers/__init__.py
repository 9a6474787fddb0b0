"""authorizers: write, test and ship AWS Lambda authorizers for Amazon API Gateway.

The root holds the names most authorizers need: the pipeline's values (``Authorizer``,
``Decision``, ``AuthRequest``, ``Identity``, ``Grants``), the validators, the route rules, the
errors and ``build_authorizer``. Everything else lives in its domain's package or module
(``authorizers.requirements``, ``.validators``, ``.keystores``, ``.jwks``, ``.revocation``,
``.observability``, ``.testing``, ``.local``; CHANGELOG.md maps the names that moved).

Names are imported lazily (module ``__getattr__``): ``import authorizers`` costs nothing, and a
function that only uses the JWT validator never imports boto3, the test kit or the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

__version__ = "0.1.0"

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "Authorizer": "authorizers.authorizer",
    "Decision": "authorizers.decision",
    "Outcome": "authorizers.decision",
    "AuthRequest": "authorizers.request",
    "Identity": "authorizers.identity",
    "Grants": "authorizers.grants",
    "Validator": "authorizers.validator",
    "AnyOf": "authorizers.validator",
    "AllOf": "authorizers.validator",
    "JwtValidator": "authorizers.validators.jwt",
    "IssuerConfig": "authorizers.validators.claims",
    "CognitoValidator": "authorizers.validators.cognito",
    "OidcValidator": "authorizers.validators.oidc",
    "ApiKeyValidator": "authorizers.validators.api_key",
    "RequestValidator": "authorizers.validators.request_params",
    "HmacSignatureValidator": "authorizers.validators.hmac_signature",
    "IntrospectionValidator": "authorizers.validators.introspection",
    "DpopValidator": "authorizers.validators.dpop",
    "CertificateBoundValidator": "authorizers.validators.cert_binding",
    "AccessRules": "authorizers.rules",
    "RouteRule": "authorizers.rules",
    "allow_route": "authorizers.rules",
    "deny_route": "authorizers.rules",
    "ReasonCode": "authorizers.errors",
    "AuthorizerError": "authorizers.errors",
    "Unauthorized": "authorizers.errors",
    "Forbidden": "authorizers.errors",
    "InfrastructureError": "authorizers.errors",
    "ConfigurationError": "authorizers.errors",
    "build_authorizer": "authorizers.config",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.authorizer import Authorizer as Authorizer
    from authorizers.config import build_authorizer as build_authorizer
    from authorizers.decision import Decision as Decision
    from authorizers.decision import Outcome as Outcome
    from authorizers.errors import AuthorizerError as AuthorizerError
    from authorizers.errors import ConfigurationError as ConfigurationError
    from authorizers.errors import Forbidden as Forbidden
    from authorizers.errors import InfrastructureError as InfrastructureError
    from authorizers.errors import ReasonCode as ReasonCode
    from authorizers.errors import Unauthorized as Unauthorized
    from authorizers.grants import Grants as Grants
    from authorizers.identity import Identity as Identity
    from authorizers.request import AuthRequest as AuthRequest
    from authorizers.rules import AccessRules as AccessRules
    from authorizers.rules import RouteRule as RouteRule
    from authorizers.rules import allow_route as allow_route
    from authorizers.rules import deny_route as deny_route
    from authorizers.validator import AllOf as AllOf
    from authorizers.validator import AnyOf as AnyOf
    from authorizers.validator import Validator as Validator
    from authorizers.validators.api_key import ApiKeyValidator as ApiKeyValidator
    from authorizers.validators.cert_binding import (
        CertificateBoundValidator as CertificateBoundValidator,
    )
    from authorizers.validators.claims import IssuerConfig as IssuerConfig
    from authorizers.validators.cognito import CognitoValidator as CognitoValidator
    from authorizers.validators.dpop import DpopValidator as DpopValidator
    from authorizers.validators.hmac_signature import (
        HmacSignatureValidator as HmacSignatureValidator,
    )
    from authorizers.validators.introspection import (
        IntrospectionValidator as IntrospectionValidator,
    )
    from authorizers.validators.jwt import JwtValidator as JwtValidator
    from authorizers.validators.oidc import OidcValidator as OidcValidator
    from authorizers.validators.request_params import RequestValidator as RequestValidator
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
