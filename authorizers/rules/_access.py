"""The route table: :class:`AccessRules` and its rows (:func:`allow_route`,
:func:`deny_route`); see :mod:`authorizers.rules` for the policy it produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from authorizers.errors import ConfigurationError, ReasonCode
from authorizers.grants import Grants
from authorizers.request import RequestKind
from authorizers.requirements import AUTHENTICATED, Check, Requirement
from authorizers.responses import response_limit
from authorizers.rules._patterns import (
    ANY_VERB,
    HTTP_DEFAULT,
    VERBS,
    RoutePatterns,
    compile_route,
    path_language,
)
from authorizers.rules._policy import RouteTable, sealed
from authorizers.rules._scope import GrantScope, RouteForbidden, relative_route
from authorizers.rules._selection import API_OF_KIND, DEFAULT_ROUTE, Router, selected_route

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest
    from authorizers.rules.universe import RouteUniverse

_GRANTS_CACHE_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One row of the table; build it with :func:`allow_route` or :func:`deny_route`."""

    verb: str
    path: str
    allow: bool
    requirement: Requirement


def _rule(verb: str, path: str, *, allow: bool, requirement: Requirement) -> RouteRule:
    upper = ANY_VERB if verb.upper() in ("*", "ANY") else verb.upper()
    if upper not in VERBS and upper != ANY_VERB:
        raise ConfigurationError(f"unknown HTTP verb {verb!r}")
    if path.startswith("$") and upper != ANY_VERB:
        raise ConfigurationError(f"WebSocket route {path!r} takes the verb '*'")
    path_language(path)  # fail here, where the rule is written
    return RouteRule(upper, path, allow, requirement)


def allow_route(verb: str, path: str, requires: Requirement = AUTHENTICATED) -> RouteRule:
    """``verb`` ``"GET"``…, or ``"*"``/``"ANY"``; ``path`` like ``/pets/{id}``,
    ``/files/{proxy+}``, or a WebSocket route key ``$connect``."""
    return _rule(verb, path, allow=True, requirement=requires)


def deny_route(verb: str, path: str, when: Requirement = AUTHENTICATED) -> RouteRule:
    """Refuse the route to identities meeting ``when`` (everyone by default), whatever the
    allow rules of the same route say."""
    return _rule(verb, path, allow=False, requirement=when)


@dataclass(frozen=True, slots=True)
class _Route:
    """A declared route and every rule given for it."""

    name: str  # "GET /pets/{id}", as first declared (for logs)
    allow_rules: tuple[Requirement, ...]
    deny_rules: tuple[Requirement, ...]

    def refusal(self, identity: Identity, request: AuthRequest) -> ReasonCode | None:
        for when in self.deny_rules:
            if when.unmet(identity, request) is None:
                return ReasonCode.FORBIDDEN
        first: ReasonCode | None = None
        for requirement in self.allow_rules:
            reason = requirement.unmet(identity, request)
            if reason is None:
                return None
            first = first or reason
        return first or ReasonCode.FORBIDDEN


def _sealed(grants: Grants, request: AuthRequest) -> Grants:
    """The grants of a refusal, denying the refused request itself (see :func:`sealed`)."""
    return Grants(*sealed(grants.allow, grants.deny, relative_route(request)))


class AccessRules:
    """A declarative route table; see the module docstring for the policy it produces.

    A route is callable iff one of its allow rules is met and none of its deny rules applies.
    A request is decided by the route API Gateway selects for it (the event's ``routeKey`` or
    REST ``resource`` when it has one; otherwise :mod:`authorizers.rules._selection`); a
    route no rule lists is refused. ``universe`` (a
    :class:`~authorizers.rules.universe.RouteUniverse`) declares every route the API serves: the
    policy then refuses the unlisted ones exactly and is compacted; without it each Allow
    is kept to its own route's paths. Refusals raise :class:`RouteForbidden` (a 403 whose
    policy still lists the identity's other routes) with ``insufficient_scope``,
    ``insufficient_group`` or ``forbidden``.
    """

    scope = GrantScope.ROUTE_TABLE

    def __init__(self, *rules: RouteRule, universe: RouteUniverse | None = None) -> None:
        if not rules:
            raise ConfigurationError("AccessRules needs rules (use rules=None to allow all)")
        grouped: dict[tuple[str, str], list[RouteRule]] = {}
        names: dict[tuple[str, str], str] = {}
        for rule in rules:
            key = (rule.verb, path_language(rule.path))
            grouped.setdefault(key, []).append(rule)
            names.setdefault(key, f"{rule.verb} {rule.path}")
        if universe is not None:
            universe.check_listed(names[key] for key in grouped)
            for verb, path in universe.routes:
                if path.startswith("$") or universe.api != "websocket":
                    key = ("*" if verb == "ANY" else verb, path_language(path))
                    grouped.setdefault(key, [])
                    names.setdefault(key, f"{verb} {path}")
        taken: dict[str, set[str]] = {}
        for verb, path in grouped:
            taken.setdefault(path, set()).add(verb)
        keys = list(grouped)
        self._universe = universe
        self._table = RouteTable(
            [_compile(verb, path, taken[path], universe) for verb, path in keys],
            complete=universe is not None,
        )
        self._routes = tuple(
            _Route(
                names[key],
                tuple(rule.requirement for rule in grouped[key] if rule.allow),
                tuple(rule.requirement for rule in grouped[key] if not rule.allow),
            )
            for key in keys
        )
        self._selection = [_verb_and_path(names[key]) for key in keys]
        self._routers: dict[str, Router] = {}
        checks: dict[int, tuple[Check, int, int]] = {}  # by identity of the requirement
        for index, route in enumerate(self._routes):
            for effect, requirements in enumerate((route.allow_rules, route.deny_rules)):
                for requirement in requirements:
                    unmet, *masks = checks.get(id(requirement), (requirement.unmet, 0, 0))
                    masks[effect] |= 1 << index
                    checks[id(requirement)] = (unmet, masks[0], masks[1])
        self._checks = tuple(checks.values())
        self._grants_by_mask: dict[tuple[int, str], Grants] = {}

    @property
    def largest_policy_bytes(self) -> int:
        """An upper bound of the policy statements any identity can get (full ARNs)."""
        return self._table.largest_policy_bytes()

    @property
    def response_limit(self) -> int:
        """The response size API Gateway accepts for this API kind (WebSocket when every
        route is a route key and no universe says otherwise)."""
        api = self.api
        if api is None and all(path.startswith("$") for _, path in self._selection):
            api = "websocket"
        kind = RequestKind.WEBSOCKET if api == "websocket" else RequestKind.REST_REQUEST
        return response_limit(kind)

    @property
    def api(self) -> str | None:
        """The API kind the universe declares, or None."""
        return None if self._universe is None else self._universe.api

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        allowed = denied = 0
        for unmet, allow_mask, deny_mask in self._checks:  # each requirement runs once
            if unmet(identity, request) is None:
                allowed |= allow_mask
                denied |= deny_mask
        mask = allowed & ~denied
        api = self.api or API_OF_KIND[request.kind]
        grants = self._grants_by_mask.get((mask, api)) or self._build_grants(mask, api)
        called = self._select(request, api)
        if called is None or not (
            self._routes[called].allow_rules or self._routes[called].deny_rules
        ):
            raise RouteForbidden(
                ReasonCode.FORBIDDEN, "no rule for this route", _sealed(grants, request)
            )
        if not mask >> called & 1:
            route = self._routes[called]
            reason = route.refusal(identity, request) or ReasonCode.FORBIDDEN
            raise RouteForbidden(reason, route.name, _sealed(grants, request))
        return grants

    def _select(self, request: AuthRequest, api: str) -> int | None:
        router = self._routers.get(api)
        if router is None:
            router = self._routers[api] = Router(self._selection, api)
        return selected_route(router, request, api)

    def _build_grants(self, mask: int, api: str) -> Grants:
        grants = Grants(*self._table.policy(mask, api))
        if len(self._grants_by_mask) >= _GRANTS_CACHE_LIMIT:
            self._grants_by_mask.clear()
        self._grants_by_mask[(mask, api)] = grants
        return grants


def _verb_and_path(name: str) -> tuple[str, str]:
    verb, _, path = name.partition(" ")
    return ("ANY" if verb in ("*", "ANY") else verb), path


def _compile(
    verb: str, path: str, taken: set[str], universe: RouteUniverse | None
) -> RoutePatterns:
    if path == DEFAULT_ROUTE and universe is not None and universe.api == "http":
        return HTTP_DEFAULT
    return compile_route(verb, path, taken)
