"""Certificate-bound access tokens (RFC 8705 §3): :class:`CertificateBoundValidator`.

With mutual TLS, API Gateway verifies the client certificate against the truststore and passes
it in the event (REST ``requestContext.identity.clientCert``, HTTP API
``requestContext.authentication.clientCert``). A token carrying ``cnf.x5t#S256`` is accepted
only from the client holding that certificate: the SHA-256 thumbprint of its DER form must be
equal (constant-time). A bound token without a certificate, or with another one, is a 401
``cert_binding_mismatch``; ``require_for_issuers`` also refuses *unbound* tokens of issuers
that always bind. A ``cnf`` member that neither this validator nor the wrapped one enforces
(``binds``: a :class:`~authorizers.validators.dpop.DpopValidator` enforces ``jkt``) is refused:
a token bound some other way must never pass as a bearer token.

The verdict depends on the certificate of the request, which no default identity source
covers: unless the deployment puts the certificate into the cache key (``cert_in_cache_key``,
see docs/security.md), the validator is ``per_request`` (result TTL 0, the called method ARN).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any

# certificate_thumbprint imports x509 at its first call; a certificate-bound API loads it here,
# at cold start, so its first request does not pay the ~30 ms (DPoP and clients never need it)
import cryptography.x509  # noqa: F401

from authorizers.errors import ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.jwks.keys import VerificationKey
from authorizers.request import AuthRequest
from authorizers.validator import Validator
from authorizers.validators._parts import NamedValidator
from authorizers.validators._thumbprints import certificate_thumbprint

_MISMATCH = ReasonCode.CERT_BINDING_MISMATCH


class CertificateBoundValidator(NamedValidator):
    """Wraps a token validator (JWT, Cognito, OIDC) and enforces ``cnf.x5t#S256``."""

    def __init__(
        self,
        validator: Validator,
        *,
        require_for_issuers: Iterable[str] = (),
        cert_in_cache_key: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name or validator.name)
        self.validator = validator
        self.require_for_issuers = frozenset(require_for_issuers)
        self.binds = frozenset({"x5t#S256"}) | getattr(validator, "binds", frozenset())
        # an instance attribute shadowing NamedValidator's class default
        self.per_request = not cert_in_cache_key or bool(getattr(validator, "per_request", False))

    def validate(self, request: AuthRequest) -> Identity:
        identity = self.validator.validate(request)
        cnf = identity.claims.get("cnf")
        if cnf is not None and (not isinstance(cnf, Mapping) or not self.binds.issuperset(cnf)):
            raise Unauthorized(_MISMATCH, "token is bound in a way this API does not check")
        bound = cnf.get("x5t#S256") if isinstance(cnf, Mapping) else None
        if bound is None:
            if identity.issuer in self.require_for_issuers:
                raise Unauthorized(_MISMATCH, "this issuer's tokens must be certificate-bound")
            return identity
        if not isinstance(bound, str) or not bound:
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'cnf.x5t#S256' is not a string")
        cert = request.client_cert
        if cert is None or not cert.pem:
            raise Unauthorized(_MISMATCH, "certificate-bound token without a client certificate")
        try:
            presented = certificate_thumbprint(cert.pem)
        except ValueError:
            raise Unauthorized(_MISMATCH, "client certificate is unreadable") from None
        if not hmac.compare_digest(presented.encode(), bound.encode()):
            raise Unauthorized(_MISMATCH, "token is bound to another certificate")
        return identity


def bearer_only(header: Mapping[str, Any], claims: Mapping[str, Any], key: VerificationKey) -> None:
    """A ``checks=`` entry for APIs that check no binding: a plain ``JwtValidator`` ignores
    ``cnf``, so a stolen DPoP- or certificate-bound token would work there as a bearer token;
    with ``IssuerConfig(checks=[bearer_only])`` it is refused."""
    if "cnf" in claims:
        raise Unauthorized(_MISMATCH, "sender-constrained token at an API that accepts bearer only")
