"""Access rules: which routes an authenticated identity may call, as cache-safe :class:`Grants`.

API Gateway caches an authorizer's policy per credential and evaluates it against *later*
calls to *other* routes, so a policy must answer for every route, not only the one being
called. :class:`AccessRules` therefore always returns the identity's complete route list
(whichever route was called first, the same policy is cached). Because ``*`` in an IAM
resource also matches ``/`` (``GET/pets/*`` from ``/pets/{id}`` matches ``GET/pets/1/secret``;
``*/pets`` matches ``GET/admin/pets``), it adds an explicit Deny wherever an Allow pattern
reaches requests of a declared route the identity may not call. Which requests a pattern
reaches is computed exactly, from the route table (:mod:`authorizers._internal.route_patterns`).

Known limit of IAM wildcards: a Deny is greedy too, and some tables have no exact policy
(``/pets/{proxy+}`` allowed, ``/pets/{id}/secret`` refused: ``/pets/a/b/secret`` belongs to
the first, but only ``GET/pets/*/secret`` can deny the second). The policy then errs towards
403 for those requests, never towards a false Allow.

The requirements themselves live in :mod:`authorizers.requirements` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from authorizers._internal.route_patterns import (
    ANY_VERB,
    VERBS,
    RouteTable,
    compile_route,
    iam_regex,
    path_language,
)
from authorizers.errors import ConfigurationError, Forbidden, ReasonCode
from authorizers.grants import Grants
from authorizers.requirements import (
    AUTHENTICATED,
    Check,
    Requirement,
    all_of,
    any_of,
    claim_contains,
    claim_equals,
    groups_all,
    groups_any,
    header_equals_claim,
    predicate,
    scopes_all,
    scopes_any,
)

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest

__all__ = [
    "AUTHENTICATED",
    "AccessRules",
    "AllRoutes",
    "Check",
    "GrantScope",
    "MethodArnOnly",
    "Requirement",
    "RouteForbidden",
    "RouteRule",
    "Rules",
    "all_of",
    "allow_route",
    "any_of",
    "claim_contains",
    "claim_equals",
    "deny_route",
    "groups_all",
    "groups_any",
    "header_equals_claim",
    "predicate",
    "scopes_all",
    "scopes_any",
]

_GRANTS_CACHE_LIMIT = 1024


class GrantScope(StrEnum):
    """How far one result of a rules object may be reused by API Gateway's result cache."""

    WHOLE_API = "whole_api"  # same answer for every route: any cache is safe
    ROUTE_TABLE = "route_table"  # per route, but the policy lists every route: IAM-cache safe
    THIS_REQUEST = "this_request"  # only the called method: unsafe with any cache


class Rules(Protocol):
    """What the :class:`~authorizers.authorizer.Authorizer` needs from access rules."""

    @property
    def scope(self) -> GrantScope: ...

    def grants(self, identity: Identity, request: AuthRequest) -> Grants: ...


class RouteForbidden(Forbidden):
    """The identity may not call this route; ``grants`` still lists what it may call, so the
    403 response is the identity's full policy and stays correct when cached."""

    def __init__(self, reason: ReasonCode, detail: str, grants: Grants) -> None:
        super().__init__(reason, detail)
        self.grants = grants


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


def _relative(request: AuthRequest) -> str:
    """The called route as it appears in the method ARN, relative to the stage."""
    arn = request.arn
    return arn.resource if arn.verb is None else f"{arn.verb}/{arn.resource}"


def _sealed(grants: Grants, request: AuthRequest) -> Grants:
    """The grants of a refusal, made to deny the refused request itself.

    Nothing is precomputed for an undeclared route, yet an allowed pattern may match it
    (``GET/pets/*`` matches ``GET/pets/a/b``); for a declared one this is a second line of
    defence. Either way a refusal must never go out as a policy that allows the request.
    """
    called = _relative(request)

    def matched(patterns: tuple[str, ...]) -> bool:
        return any(iam_regex(pattern).fullmatch(called) for pattern in patterns)

    if matched(grants.allow) and not matched(grants.deny):
        return Grants(grants.allow, (*grants.deny, called))
    return grants


class AccessRules:
    """A declarative route table; see the module docstring for the policy it produces.

    A route is callable iff one of its allow rules is met and none of its deny rules applies.
    A request is decided by the most specific declared route that matches its method ARN
    (literal segments before ``{param}`` before ``{proxy+}``, a verb before ``ANY``), as API
    Gateway routes it; an undeclared route is refused, so list every route of the API.
    Refusals raise :class:`RouteForbidden` (a 403 whose policy still lists the identity's
    other routes) with ``insufficient_scope``, ``insufficient_group`` or ``forbidden``.
    """

    scope = GrantScope.ROUTE_TABLE

    def __init__(self, *rules: RouteRule) -> None:
        if not rules:
            raise ConfigurationError("AccessRules needs rules (use rules=None to allow all)")
        grouped: dict[tuple[str, str], list[RouteRule]] = {}
        for rule in rules:
            grouped.setdefault((rule.verb, path_language(rule.path)), []).append(rule)
        taken: dict[str, set[str]] = {}
        for verb, path in grouped:
            taken.setdefault(path, set()).add(verb)
        compiled = sorted(
            (
                (
                    compile_route(verb, path, taken[path]),
                    _Route(
                        f"{verb} {same[0].path}",
                        tuple(rule.requirement for rule in same if rule.allow),
                        tuple(rule.requirement for rule in same if not rule.allow),
                    ),
                )
                for (verb, path), same in grouped.items()
            ),
            key=lambda pair: pair[0].precedence,
        )
        self._table = RouteTable([patterns for patterns, _ in compiled])
        self._routes = tuple(route for _, route in compiled)
        checks: dict[int, tuple[Check, int, int]] = {}  # by identity of the requirement
        for index, route in enumerate(self._routes):
            for effect, requirements in enumerate((route.allow_rules, route.deny_rules)):
                for requirement in requirements:
                    unmet, *masks = checks.get(id(requirement), (requirement.unmet, 0, 0))
                    masks[effect] |= 1 << index
                    checks[id(requirement)] = (unmet, masks[0], masks[1])
        self._checks = tuple(checks.values())
        self._grants_by_mask: dict[int, Grants] = {}

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        allowed = denied = 0
        for unmet, allow_mask, deny_mask in self._checks:  # each requirement runs once
            if unmet(identity, request) is None:
                allowed |= allow_mask
                denied |= deny_mask
        mask = allowed & ~denied
        grants = self._grants_by_mask.get(mask) or self._build_grants(mask)
        called = self._table.route_index(_relative(request))
        if called is None:
            raise RouteForbidden(
                ReasonCode.FORBIDDEN, "no rule for this route", _sealed(grants, request)
            )
        if not mask >> called & 1:
            route = self._routes[called]
            reason = route.refusal(identity, request) or ReasonCode.FORBIDDEN
            raise RouteForbidden(reason, route.name, _sealed(grants, request))
        return grants

    def _build_grants(self, mask: int) -> Grants:
        grants = Grants(*self._table.policy(mask))
        if len(self._grants_by_mask) >= _GRANTS_CACHE_LIMIT:
            self._grants_by_mask.clear()
        self._grants_by_mask[mask] = grants
        return grants


class AllRoutes:
    """The default: an authenticated identity may call every route of the API stage, in one
    statement, so API Gateway's result cache can never turn into a false 403 elsewhere."""

    scope = GrantScope.WHOLE_API
    _EVERYTHING = Grants.everything()

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        return self._EVERYTHING


def called_route_only(request: AuthRequest) -> Grants:
    """Grants naming exactly the called method ARN, for answers that hold for this request only.

    IAM has no escape for ``*`` and ``?`` in a Resource, so a called path holding either (a
    literal ``*`` is legal in a URL path, ``?`` arrives percent-decoded) cannot be named
    exactly: ``GET/files/*`` would allow every file for as long as a cache keeps it. Such a
    request is refused (403, ``forbidden``); nothing from the request becomes a wildcard.
    """
    called = _relative(request)
    if "*" in called or "?" in called:
        raise Forbidden(
            ReasonCode.FORBIDDEN, "the called path holds '*' or '?': no policy names it exactly"
        )
    return Grants(allow=(called,))


class MethodArnOnly:
    """Allow only the exact method ARN being called (after ``rules``, if given, allow it).

    Pitfall: API Gateway caches the policy per credential (300 s unless configured) and
    evaluates it against the *next* route called with the same credential, which this policy
    does not list: a false 403. The Authorizer therefore refuses to build with this mode
    unless the result TTL is 0 or the cache key includes the route. A called path holding
    ``*`` or ``?`` is refused (see :func:`called_route_only`).
    """

    scope = GrantScope.THIS_REQUEST

    def __init__(self, rules: Rules | None = None) -> None:
        self._rules = rules

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        if self._rules is not None:
            try:
                self._rules.grants(identity, request)
            except RouteForbidden as refused:  # its full policy would outlive this request
                raise Forbidden(refused.reason, refused.detail) from None
        return called_route_only(request)
