"""API Gateway's managed authorizers, evaluated locally with the framework's JWT core.

Three kinds, each with the semantics AWS documents (docs/managed-or-lambda.md cites them):

- HTTP API ``JWT``: the token from the identity source, bare or ``Bearer``; RSA signatures
  only; ``iss`` equal to the issuer; ``aud`` *or* ``client_id`` one of the audiences;
  ``exp``/``nbf``/``iat``; any failure 401. A route's ``AuthorizationScopes``: the token's
  ``scope``/``scp`` must hold one of them, else 403. The integration gets
  ``requestContext.authorizer.jwt.claims`` and ``.jwt.scopes``.
- REST ``JWT`` (2026): trusted issuers, each with its audiences and required extra claims,
  allowed algorithms; missing/invalid 401, no method scope in the token 403.
- REST ``COGNITO_USER_POOLS``: a method without scopes takes ID tokens, one with scopes takes
  access tokens holding one of them; every failure 401 (contract reference §9). REST
  integrations get ``requestContext.authorizer.claims``.

Keys never come from the internet: an issuer's JWKS URL is what the user mapped it to
(``serve --jwks-override``), or discovery on a loopback issuer (the local IdP).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from authorizers.clock import Clock, system_clock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.identity import Identity
from authorizers.jwks.discovery import DiscoveredKeys
from authorizers.jwks.fetch import is_loopback
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource, RemoteJwks
from authorizers.local.model import (
    LocalTemplate,
    ManagedConfig,
    ManagedIssuer,
    ManagedKind,
    RequiredClaim,
)
from authorizers.validators.claims import IssuerConfig
from authorizers.validators.cognito import CognitoValidator, cognito_issuers
from authorizers.validators.jwt import JwtValidator

_TOKEN_USES: tuple[Literal["id", "access"], ...] = ("id", "access")


@dataclass(frozen=True, slots=True)
class ManagedOutcome:
    """API Gateway's answer: ``status`` 200, 401, 403 or 500 (keys or configuration missing),
    the ``reason`` (never a token), and for 200 what the integration receives."""

    status: int
    reason: str
    claims: Mapping[str, Any] = field(default_factory=dict)
    scopes: tuple[str, ...] | None = None
    kind: ManagedKind = ManagedKind.HTTP_JWT
    principal: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200

    @property
    def usage_identifier_key(self) -> None:
        """Managed authorizers never supply an API key (``ApiKeySourceType: AUTHORIZER``)."""
        return None

    def integration_context(self) -> dict[str, Any]:
        """``requestContext.authorizer`` of the integration event. Claim values arrive as
        strings (lists as ``[a b]``, UNVERIFIED for REST JWT)."""
        claims = {name: _claim_text(value) for name, value in self.claims.items()}
        if self.kind is ManagedKind.HTTP_JWT:
            scopes = list(self.scopes) if self.scopes is not None else None
            return {"jwt": {"claims": claims, "scopes": scopes}}
        return {"claims": claims}


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(item) for item in value) + "]"
    return str(value)


def is_loopback_url(url: str) -> bool:
    """The fetchers' own loopback test, on a URL's host: keys never come from elsewhere."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return is_loopback(host)


class _NoKeys:
    """Keys for an issuer the user mapped to nothing: every request fails closed (500)."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        raise InfrastructureError(
            ReasonCode.KEY_UNAVAILABLE,
            f"no local keys for {self.issuer}: map it with --jwks-override ISSUER=URL",
        )

    def is_current(self, key: VerificationKey) -> bool:
        return False

    def prefetch(self) -> None:
        self.get_key("", "")


def key_source(issuer: str, overrides: Mapping[str, str], algorithms: Sequence[str]) -> KeySource:
    """Where ``issuer``'s keys come from locally: the URL it is mapped to, discovery on a
    loopback issuer, else nowhere. Only loopback URLs are fetched (no internet traffic)."""
    url = overrides.get(issuer)
    if url is not None:
        if not is_loopback_url(url):
            raise ConfigurationError(f"--jwks-override {issuer}: {url} is not on loopback")
        return RemoteJwks(url, allow_http_loopback=True)
    if is_loopback_url(issuer):
        return DiscoveredKeys(issuer, algorithms, allow_http_loopback=True)
    return _NoKeys(issuer)


def _claims_check(claims: tuple[RequiredClaim, ...]) -> Any:
    def check(_header: Mapping[str, Any], token: Mapping[str, Any], _key: Any) -> None:
        for claim in claims:
            if claim.name not in token:
                if claim.required:
                    raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{claim.name!r} is required")
                continue
            value = token[claim.name]
            values = value if isinstance(value, list) else [value]
            if claim.expected and not any(str(v) in claim.expected for v in values):
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{claim.name!r} is not expected")

    return check


class ManagedAuthorizer:
    """Evaluates one managed authorizer for a request's headers and a route's scopes."""

    def __init__(
        self,
        config: ManagedConfig,
        *,
        jwks_overrides: Mapping[str, str] | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.config = config
        overrides = dict(jwks_overrides or {})
        self._missing: str | None = None
        self._validators: dict[str, JwtValidator] = {}
        if config.kind is ManagedKind.COGNITO:
            self._cognito(overrides, clock)
        else:
            self._validators["jwt"] = JwtValidator(
                [self._issuer_config(issuer, overrides) for issuer in config.issuers],
                name=config.kind.value,
                clock=clock,
            )

    def _cognito(self, overrides: Mapping[str, str], clock: Clock) -> None:
        """The framework's Cognito profile, once for ID and once for access tokens; a pool
        is mapped by its id or either issuer URL, an unmapped one fails closed."""
        jwks: dict[str, str] = {}
        for pool in self.config.user_pools:
            url = next((overrides[k] for k in (pool, *cognito_issuers(pool)) if k in overrides), "")
            if not url:
                self._missing = f"no local keys for user pool {pool}: use --jwks-override"
                return
            if not is_loopback_url(url):
                raise ConfigurationError(f"--jwks-override {pool}: {url} is not on loopback")
            jwks[pool] = url
        for use in _TOKEN_USES:
            self._validators[use] = CognitoValidator(
                self.config.user_pools,
                None,
                token_use=use,
                verify_client_id=False,  # any app client of the pool (UNVERIFIED)
                jwks_url=jwks,
                allow_http_loopback=True,
                clock=clock,
                leeway=0,
            )

    def _issuer_config(self, issuer: ManagedIssuer, overrides: Mapping[str, str]) -> IssuerConfig:
        algorithms = self.config.algorithms
        audiences = issuer.audiences or None
        return IssuerConfig(
            issuer.issuer,
            keys=key_source(issuer.issuer, overrides, algorithms),
            audience=audiences,
            # HTTP APIs accept aud *or* client_id; the REST JWT docs name only audiences
            client_ids=audiences if self.config.kind is ManagedKind.HTTP_JWT else None,
            verify_audience=audiences is not None,
            algorithms=algorithms,
            leeway=0,
            checks=(_claims_check(issuer.claims),) if issuer.claims else (),
        )

    def evaluate(self, value: str | None, scopes: Sequence[str] = ()) -> ManagedOutcome:
        """``value``: the identity source header's; ``scopes``: the route's
        AuthorizationScopes."""
        kind = self.config.kind
        if not value:
            return ManagedOutcome(401, f"no {self.config.header} header", kind=kind)
        token = value[7:].strip() if value[:7].lower() == "bearer " else value.strip()
        if self._missing is not None:
            return ManagedOutcome(500, self._missing, kind=kind)
        validator = self._validators.get("jwt")
        if kind is ManagedKind.COGNITO:  # scopes on the method: an access token is expected
            validator = self._validators["access" if scopes else "id"]
        assert validator is not None
        try:
            identity = validator.verify(token)
        except InfrastructureError as error:
            return ManagedOutcome(500, error.detail or "keys unavailable", kind=kind)
        except AuthorizerError as error:
            return ManagedOutcome(401, error.detail or error.reason.value, kind=kind)
        return self._scoped(identity, tuple(scopes))

    def _scoped(self, identity: Identity, scopes: tuple[str, ...]) -> ManagedOutcome:
        kind = self.config.kind
        claims = dict(identity.claims)
        has_scope = "scope" in claims or "scp" in claims
        token_scopes = tuple(sorted(identity.scopes)) if has_scope else None
        if scopes and not identity.scopes.intersection(scopes):
            status = 401 if kind is ManagedKind.COGNITO else 403
            return ManagedOutcome(status, "the token has none of the route's scopes", kind=kind)
        return ManagedOutcome(200, "allowed", claims, token_scopes, kind, identity.principal_id)


def build_managed(
    config: ManagedConfig, jwks_overrides: Mapping[str, str] | None, clock: Clock
) -> ManagedAuthorizer | str:
    """The authorizer, or why its configuration cannot work (its routes then fail closed)."""
    try:
        return ManagedAuthorizer(config, jwks_overrides=jwks_overrides, clock=clock)
    except ConfigurationError as error:
        return f"managed authorizer misconfigured: {error}"


def managed_authorizers(
    template: LocalTemplate, jwks_overrides: Mapping[str, str] | None, clock: Clock
) -> dict[tuple[str, str], ManagedAuthorizer | str]:
    """The template's managed authorizers by ``(api_id, name)`` (:func:`build_managed`)."""
    return {
        key: build_managed(spec.managed, jwks_overrides, clock)
        for key, spec in template.authorizers.items()
        if spec.managed is not None
    }
