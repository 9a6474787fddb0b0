"""The built-in validators and the rule types they take, one module each (see
docs/architecture.md); every name is also importable here, lazily and typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "JwtValidator": "authorizers.validators.jwt",
    "IssuerConfig": "authorizers.validators.claims",
    "ClaimRules": "authorizers.validators.claims",
    "IssuerSettings": "authorizers.validators.token_options",
    "ClaimSettings": "authorizers.validators.token_options",
    "KeyFetching": "authorizers.jwks.sources",
    "CognitoValidator": "authorizers.validators.cognito",
    "OidcValidator": "authorizers.validators.oidc",
    "ApiKeyValidator": "authorizers.validators.api_key",
    "ApiKeyLocation": "authorizers.validators.api_key",
    "RequestValidator": "authorizers.validators.request_params",
    "ParamRule": "authorizers.validators.request_params",
    "ValueMatch": "authorizers.validators.request_params",
    "ClientCertRule": "authorizers.validators.request_params",
    "HmacSignatureValidator": "authorizers.validators.hmac_signature",
    "SignatureScheme": "authorizers.validators.hmac_canonical",
    "sign_request": "authorizers.validators.hmac_signature",
    "IntrospectionValidator": "authorizers.validators.introspection",
    "ClientSecretBasic": "authorizers.validators.client_auth",
    "ClientSecretPost": "authorizers.validators.client_auth",
    "PrivateKeyJwt": "authorizers.validators.client_auth",
    "DpopValidator": "authorizers.validators.dpop",
    "CertificateBoundValidator": "authorizers.validators.cert_binding",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.jwks.sources import KeyFetching as KeyFetching
    from authorizers.validators.api_key import ApiKeyLocation as ApiKeyLocation
    from authorizers.validators.api_key import ApiKeyValidator as ApiKeyValidator
    from authorizers.validators.cert_binding import (
        CertificateBoundValidator as CertificateBoundValidator,
    )
    from authorizers.validators.claims import ClaimRules as ClaimRules
    from authorizers.validators.claims import IssuerConfig as IssuerConfig
    from authorizers.validators.client_auth import ClientSecretBasic as ClientSecretBasic
    from authorizers.validators.client_auth import ClientSecretPost as ClientSecretPost
    from authorizers.validators.client_auth import PrivateKeyJwt as PrivateKeyJwt
    from authorizers.validators.cognito import CognitoValidator as CognitoValidator
    from authorizers.validators.dpop import DpopValidator as DpopValidator
    from authorizers.validators.hmac_canonical import SignatureScheme as SignatureScheme
    from authorizers.validators.hmac_signature import (
        HmacSignatureValidator as HmacSignatureValidator,
    )
    from authorizers.validators.hmac_signature import sign_request as sign_request
    from authorizers.validators.introspection import (
        IntrospectionValidator as IntrospectionValidator,
    )
    from authorizers.validators.jwt import JwtValidator as JwtValidator
    from authorizers.validators.oidc import OidcValidator as OidcValidator
    from authorizers.validators.request_params import ClientCertRule as ClientCertRule
    from authorizers.validators.request_params import ParamRule as ParamRule
    from authorizers.validators.request_params import RequestValidator as RequestValidator
    from authorizers.validators.request_params import ValueMatch as ValueMatch
    from authorizers.validators.token_options import ClaimSettings as ClaimSettings
    from authorizers.validators.token_options import IssuerSettings as IssuerSettings
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
