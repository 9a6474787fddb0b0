"""The values of a plan (per authorizer, issuer and route) and the facts about managed
authorizers the checks compare against; :mod:`authorizers.plan` builds them,
:mod:`~authorizers.plan.checks` and :mod:`~authorizers.plan.snippet` read them."""

from __future__ import annotations

from dataclasses import dataclass, field

from authorizers.local.model import (
    HTTP_JWT_ALGORITHMS,
    REST_JWT_ALGORITHMS,
    ApiType,
    AuthorizerSpec,
    RouteSpec,
)

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
#: What each managed JWT authorizer verifies (see ``authorizers.local.model``): HTTP APIs RS*
#: only, the REST JWT authorizer RS* and ES* (no PS*, no EdDSA).
HTTP_ALGORITHMS = frozenset(HTTP_JWT_ALGORITHMS)
REST_ALGORITHMS = frozenset(REST_JWT_ALGORITHMS)


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
