"""The planner's judgement of one zero-code document: each setting is expressible by a managed
authorizer (issuer, audience, algorithms, required claims, scopes), a *loss*, or a *change*.

Kept apart from :mod:`authorizers.plan` (what is read, and the result types) so the rules -
which grow with every validator setting - are one table-like class.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from authorizers.config._tokens import DEFAULT_ALGORITHMS
from authorizers.local.model import ApiType, RouteSpec
from authorizers.local.route_check import Relation, reaches, relation, rule_keys
from authorizers.plan.model import (
    HTTP_ALGORITHMS,
    JWT_TYPES,
    LOSSES,
    REST_ALGORITHMS,
    IssuerPlan,
    RoutePlan,
)

#: Settings a managed authorizer cannot express, whatever the API type.
_UNEXPRESSIBLE = {
    "groups_any": "group checks",
    "groups_all": "group checks",
    "typ": "the typ header check",
    "max_age": "max_age (time since authentication)",
    "max_lifetime": "max_lifetime (a bound on exp - iat)",
    "query_parameter": "a token in the query string",
    "jwks": "keys given inline (a managed authorizer finds keys by discovery)",
    "revocation": "revocation checks",
}
#: REST JWT can require claims (AdditionalClaims); HTTP API JWT cannot.
_CLAIM_SETTINGS = ("required_claims", "claims_equal", "claims_contain")


class Checks:
    """Accumulates what a document's settings mean for a managed authorizer."""

    def __init__(self, api_type: ApiType) -> None:
        self.api_type = api_type
        self.rest = api_type is ApiType.REST
        self.losses: list[str] = []
        self.changes: list[str] = []
        self.issuers: list[IssuerPlan] = []
        self.header = "Authorization"
        self.scopes: tuple[str, ...] = ()  # validator-level scopes_any: every route's
        self.cognito: str | None = None  # "id" / "access" token_use of a Cognito validator
        self.client_check = False

    def target(self) -> str | None:
        if not self.issuers:
            return None
        if not self.rest:
            return "HTTP API JWT"
        return "REST COGNITO_USER_POOLS" if self._pool_authorizer() else "REST JWT"

    def _pool_authorizer(self) -> bool:
        """Cognito without an app-client check fits the user pools authorizer exactly."""
        return self.cognito is not None and not self.client_check

    # -- the document ----------------------------------------------------------------------

    def document(self, document: Mapping[str, Any]) -> None:
        for validator in document.get("validators") or []:
            self.validator(validator if isinstance(validator, dict) else {})
        if document.get("requires"):
            self.losses.append("a requirement on every route (top-level requires)")
        passed = "its context keys" if document.get("context_claims") else "principalId"
        self.changes.append(f"{self._claims_path()} instead of {passed}")
        if not self.rest and len(self.issuers) > 1:
            self.losses.append("several issuers (an HTTP API JWT authorizer trusts one)")

    def _claims_path(self) -> str:
        where = "jwt.claims" if not self.rest else "claims"
        return f"the integration reads requestContext.authorizer.{where}"

    def validator(self, validator: Mapping[str, Any]) -> None:
        kind = str(validator.get("type", ""))
        if kind in ("any_of", "all_of"):
            for child in validator.get("validators") or []:
                self.validator(child if isinstance(child, dict) else {})
        elif kind in LOSSES:
            self.losses.append(LOSSES[kind])
        elif kind not in JWT_TYPES:
            self.losses.append(f"a {kind or 'typeless'} validator (unknown to the planner)")
        else:
            self.jwt(kind, validator)

    def jwt(self, kind: str, settings: Mapping[str, Any]) -> None:
        if settings.get("header"):
            self.header = str(settings["header"])
        if settings.get("allow_bare_token") is False:
            self.changes.append("bare tokens (without Bearer) are accepted too")
        self._common(settings)
        if kind == "cognito":
            self._cognito(settings)
            return
        entries = settings.get("issuers") or [settings]
        for entry in entries:
            merged = {**settings, **entry} if entry is not settings else settings
            if entry is not settings:
                self._common(entry)
            self._issuer(kind, merged)

    def _common(self, settings: Mapping[str, Any]) -> None:
        for name, loss in _UNEXPRESSIBLE.items():
            if settings.get(name):
                self.losses.append(loss)
        if settings.get("scopes_any"):
            self.scopes = tuple(str(s) for s in settings["scopes_any"])
        if len(settings.get("scopes_all") or ()) > 1:
            self.losses.append("all of several scopes (a managed authorizer needs any one)")
        elif settings.get("scopes_all"):
            self.scopes = tuple(str(s) for s in settings["scopes_all"])
        leeway = settings.get("leeway")
        if isinstance(leeway, int | float) and leeway > 0:
            self.changes.append(f"leeway {leeway:g} s becomes none documented (clock skew)")
        if settings.get("principal_claim") not in (None, "sub"):
            self.changes.append("the principal is sub, not " + str(settings["principal_claim"]))
        if not self.rest and any(settings.get(name) for name in _CLAIM_SETTINGS):
            self.losses.append("required claims (REST JWT authorizers have them, HTTP APIs not)")

    def _issuer(self, kind: str, settings: Mapping[str, Any]) -> None:
        issuer = str(settings.get("issuer") or "")
        self._reachable(issuer)
        if kind == "jwt" and settings.get("jwks_url"):
            self.changes.append(
                f"API Gateway finds the keys by discovery: {issuer}/.well-known/"
                "openid-configuration must be public (the Lambda read jwks_url)"
            )
        audiences = tuple(str(a) for a in _listed(settings.get("audience")))
        clients = tuple(str(c) for c in _listed(settings.get("client_ids")))
        if settings.get("verify_audience") is False:
            self.losses.append("accepting any audience (a managed JWT authorizer checks aud)")
        if clients and self.rest:
            self.losses.append("client_id matching (REST JWT audiences match aud)")
        claims = self._claims(settings) if self.rest else ()
        algorithms = tuple(str(a) for a in settings.get("algorithms") or DEFAULT_ALGORITHMS)
        self._algorithms(algorithms)
        self.issuers.append(IssuerPlan(issuer, audiences + clients, algorithms, claims))

    def _claims(self, settings: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        claims: list[tuple[str, tuple[str, ...]]] = [
            (str(name), ()) for name in settings.get("required_claims") or ()
        ]
        for name, value in (settings.get("claims_equal") or {}).items():
            if not isinstance(value, str):
                self.losses.append(f"claims_equal {name} (a non-string value)")
            claims.append((str(name), (str(value),)))
        for name, values in (settings.get("claims_contain") or {}).items():
            claims.append((str(name), tuple(str(v) for v in _listed(values))))
        return tuple(claims)

    def _algorithms(self, algorithms: tuple[str, ...]) -> None:
        supported = REST_ALGORITHMS if self.rest else HTTP_ALGORITHMS
        for alg in algorithms:
            if alg not in supported:
                self.losses.append(f"{alg} signatures")

    def _reachable(self, issuer: str) -> None:
        """API Gateway fetches discovery from the public internet: https, a public host."""
        if "${" in issuer:
            self.changes.append(f"issuer {issuer} is set at deploy: it must be public https")
            return
        parts = urlsplit(issuer)
        host = parts.hostname or ""
        try:
            private = not ipaddress.ip_address(host).is_global
        except ValueError:
            private = host == "localhost" or host.endswith((".local", ".internal", ".test"))
        if parts.scheme != "https" or private:
            self.losses.append(f"an issuer API Gateway cannot reach ({issuer or 'none'})")

    def _cognito(self, settings: Mapping[str, Any]) -> None:
        from authorizers.validators.cognito import cognito_issuers  # noqa: PLC0415

        pools = [str(p) for p in _listed(settings.get("user_pool_ids"))]
        use = str(settings.get("token_use", "access"))
        clients = tuple(str(c) for c in _listed(settings.get("client_ids")))
        self.client_check = settings.get("verify_client_id", True) is not False
        self.cognito = use
        if use == "both":
            self.losses.append("ID and access tokens on one route")
        if len(pools) != 1:
            self.losses.append("several user pools on one authorizer")
        for pool in pools[:1]:
            issuer = IssuerPlan(cognito_issuers(pool)[0], clients, ("RS256",), user_pool=pool)
            self.issuers.append(issuer)
        if self.rest and self.client_check and use != "id":
            self.losses.append("the app-client check of Cognito access tokens (no aud)")

    # -- routes ----------------------------------------------------------------------------

    def route(self, route: RouteSpec, rules: Any) -> RoutePlan:
        """The route's scopes under a managed authorizer, or why its rules do not fit."""
        losses: list[str] = []
        scopes = list(self.scopes)
        if isinstance(rules, list) and rules:
            scopes, losses = self._route_rules(route, rules)
        if self.cognito == "access" and not scopes and not self.rest:
            losses.append("token_use=access (ID tokens pass an HTTP API JWT without scopes)")
        if self.rest and self._pool_authorizer() and (self.cognito == "access") != bool(scopes):
            losses.append("the pool authorizer takes ID tokens without scopes, access with")
        return RoutePlan(route, tuple(scopes), tuple(losses))

    def _route_rules(self, route: RouteSpec, rules: list[Any]) -> tuple[list[str], list[str]]:
        scopes, losses, covered = list(self.scopes), [], False
        for (verb, path), rule in zip(rule_keys({"routes": rules}), rules, strict=True):
            beyond = f"route rule {rule.get('allow') or rule.get('deny')} (beyond scopes)"
            if "deny" in rule:  # its Deny patterns refuse whatever requests of the route they meet
                if reaches(verb, path, route.method, route.path):
                    losses.append(beyond)
                continue
            related = relation(verb, path, route.method, route.path)
            if related is Relation.PARTIAL:
                losses.append(beyond)
            if related is not Relation.COVERS:
                continue
            covered = True
            requires = dict(rule.get("requires") or {})
            any_of, all_of = requires.pop("scopes_any", None), requires.pop("scopes_all", None)
            if len(all_of or ()) > 1:
                losses.append("all of several scopes (a managed authorizer needs any one)")
            wanted = any_of or all_of
            if requires:
                losses.append(f"route rule requirements {sorted(requires)} (beyond scopes)")
            if wanted:
                if scopes and set(scopes) != set(wanted):
                    losses.append("scopes required twice (validator and route)")
                scopes = [str(s) for s in wanted]
        if not covered:
            losses.append("no rule allows it: the Lambda denies, a managed authorizer would not")
        return scopes, losses


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
