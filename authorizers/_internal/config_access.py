"""Configuration builders for who may call what: requirements, the route table, and the two
validator wrappers the document's top level adds (``requires``, ``context_claims``).

A requirement is an object of conditions that must all hold::

    {"scopes_any": ["pets:read"], "claim_equals": {"tenant_tier": "gold"}}
    {"any_of": [{"groups_any": ["admins"]}, {"scopes_all": ["pets:admin"]}]}

Refusals are 403s with the condition's reason code (``insufficient_scope``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from authorizers._internal.config_schema import (
    BuildContext,
    ConfigFieldError,
    Fields,
    reported_at,
)
from authorizers.errors import Forbidden
from authorizers.requirements import (
    AUTHENTICATED,
    EstablishedBy,
    Requirement,
    all_of,
    any_of,
    claim_contains,
    claim_equals,
    groups_all,
    groups_any,
    header_equals_claim,
    scopes_all,
    scopes_any,
)
from authorizers.rules import AccessRules, RouteRule, allow_route, deny_route
from authorizers.universe import RouteUniverse

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest
    from authorizers.validator import Validator

_MEMBERSHIP = {
    "scopes_any": scopes_any,
    "scopes_all": scopes_all,
    "groups_any": groups_any,
    "groups_all": groups_all,
}
_CLAIMS = {"claim_equals": claim_equals, "claim_contains": claim_contains}
_NESTED = {"any_of": any_of, "all_of": all_of}
_ROUTE_SHAPE = "'<VERB> /path' (GET, POST, ..., or ANY) or a WebSocket route key like '$connect'"


def build_requirement(fields: Fields) -> Requirement:
    """``validator``/``issuer`` scope every condition of the object to what that validator
    (by name) or issuer established; alone they require that it took part."""
    with fields:
        scope = (fields.text("validator"), fields.text("issuer"))
        parts: list[Requirement] = []
        for key, membership in _MEMBERSHIP.items():
            names = fields.texts(key)
            if names is not None:
                with reported_at(fields.at(key)):  # e.g. "read write": two scopes in one
                    parts.append(membership(*names))
        for key, condition in _CLAIMS.items():
            for claim, value in (fields.mapping(key) or {}).items():
                parts.append(condition(claim, value))
        matched = fields.child("header_equals_claim")
        if matched is not None:
            with matched:
                parts.append(
                    header_equals_claim(matched.need_text("header"), matched.need_text("claim"))
                )
        for key, combine in _NESTED.items():
            nested = [build_requirement(item) for item in fields.children(key)]
            if nested:
                parts.append(combine(*nested))
        fields.finish()  # a misspelt condition must read as a typo, not as "no condition"
        scoped = scope != (None, None)
        if not parts and not scoped:
            raise ConfigFieldError(fields.path, "give at least one condition")
        requirement = (
            AUTHENTICATED if not parts else parts[0] if len(parts) == 1 else all_of(*parts)
        )
        return EstablishedBy(*scope) & requirement if scoped else requirement


def _route(fields: Fields, key: str) -> tuple[str, str]:
    text = fields.need_text(key)
    if text.startswith("$") and " " not in text:
        return "*", text
    verb, _, path = text.partition(" ")
    if not verb or not path.startswith("/"):
        raise fields.error(key, f"must be {_ROUTE_SHAPE}")
    return verb, path


def _route_rule(fields: Fields) -> RouteRule:
    """``{"allow": "GET /pets/{id}", "requires": {...}}`` or ``{"deny": "...", "when": {...}}``;
    without ``requires``/``when`` the rule applies to every authenticated caller."""
    with fields:
        allowing = fields.has("allow")
        if allowing == fields.has("deny"):
            raise ConfigFieldError(fields.path, 'give exactly one of "allow" and "deny"')
        key, condition = ("allow", "requires") if allowing else ("deny", "when")
        verb, path = _route(fields, key)
        requirement = fields.child(condition)
        build = allow_route if allowing else deny_route
        with reported_at(fields.at(key)):
            if requirement is None:
                return build(verb, path)
            return build(verb, path, build_requirement(requirement))


def route_universe(fields: Fields, context: BuildContext) -> RouteUniverse | None:
    """``"route_universe": "routes.json"``: every route the API serves (the file
    ``authorizers routes template.yaml`` writes), so the policy refuses unlisted routes
    exactly and is compacted."""
    path = context.file(fields, "route_universe")
    if path is None:
        return None
    with reported_at(fields.at("route_universe")):
        return RouteUniverse.load(path)


def build_routes(fields: Fields, universe: RouteUniverse | None = None) -> AccessRules | None:
    """The route table, or ``None`` (every route of the API for every accepted caller)."""
    rules = [_route_rule(item) for item in fields.children("routes")]
    if not rules:
        if universe is not None:
            raise ConfigFieldError(fields.at("route_universe"), "needs routes to apply to")
        return None
    with reported_at(fields.at("routes")):
        return AccessRules(*rules, universe=universe)


class RequiringValidator:
    """Refuses (403) an accepted caller that does not meet ``requirement``, on every route."""

    def __init__(self, validator: Validator, requirement: Requirement) -> None:
        self._validator = validator
        self._requirement = requirement

    @property
    def name(self) -> str:
        return self._validator.name

    def validate(self, request: AuthRequest) -> Identity:
        identity = self._validator.validate(request)
        reason = self._requirement.unmet(identity, request)
        if reason is not None:
            raise Forbidden(reason, f"not met: {self._requirement.description}")
        return identity


class ContextFromClaims:
    """Copies claims of the accepted identity into the authorizer context (flattened to
    scalars as :func:`~authorizers.validators.claims.context_value` does); a claim that is
    present overrides a context key the validator set, an absent one leaves it."""

    def __init__(self, validator: Validator, names: tuple[str, ...] | Mapping[str, str]) -> None:
        # lazy: the claims module loads the JWT machinery, which an API-key setup never needs
        from authorizers.validators.claims import context_value  # noqa: PLC0415

        self._flatten = context_value
        self._validator = validator
        pairs = names.items() if isinstance(names, Mapping) else ((n, n) for n in names)
        self._pairs = tuple(pairs)

    @property
    def name(self) -> str:
        return self._validator.name

    def validate(self, request: AuthRequest) -> Identity:
        identity = self._validator.validate(request)
        claims = identity.claims
        added = {
            key: value
            for claim, key in self._pairs
            if (value := self._flatten(claims.get(claim))) is not None
        }
        return replace(identity, context={**identity.context, **added}) if added else identity
