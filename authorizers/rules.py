"""Access rules: which routes an authenticated identity may call, as cache-safe :class:`Grants`.

API Gateway caches an authorizer's policy per credential and evaluates it against *later*
calls to *other* routes, so a policy must answer for every route, not only the one being
called. :class:`AccessRules` therefore always returns the identity's complete route list
(whichever route was called first, the same policy is cached) and, because ``*`` in an IAM
resource also matches ``/``, adds an explicit Deny for each declared route the identity may
not call that one of its Allow patterns would otherwise cover (``GET/pets/*`` from
``/pets/{id}`` also matches ``GET/pets/1/secret``; ``*/pets`` also matches ``GET/admin/pets``).

Known limit of IAM wildcards: such a Deny is itself greedy. If a refused route's pattern
also covers paths of a route the identity *may* call (``/pets/{proxy+}`` allowed,
``/pets/{id}/secret`` refused: ``/pets/a/b/secret`` belongs to the first), those paths are
denied. The policy errs towards 403, never towards a false Allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from authorizers.errors import ConfigurationError, Forbidden, ReasonCode
from authorizers.grants import Grants

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest

#: ``(identity, request) -> None`` when met, else the reason it is not.
Check = Callable[["Identity", "AuthRequest"], ReasonCode | None]

_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_ANY_VERB = "*"
_PARAM = re.compile(r"\{[A-Za-z0-9_.:-]+(\+?)\}")
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


# -- requirements ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirement:
    """A condition on the identity (and request); ``unmet`` returns why it fails, or None.

    Combine with ``&`` / ``|`` or :func:`all_of` / :func:`any_of`. A custom predicate that
    reads the *request* should only read what is part of the authorizer's cache key.
    """

    unmet: Check
    description: str

    def __and__(self, other: Requirement) -> Requirement:
        return all_of(self, other)

    def __or__(self, other: Requirement) -> Requirement:
        return any_of(self, other)

    def __repr__(self) -> str:
        return f"Requirement({self.description})"


def _names(kind: str, values: Iterable[str]) -> frozenset[str]:
    names = frozenset(values)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise ConfigurationError(f"{kind} needs at least one non-empty name")
    return names


def _listing(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))


def scopes_any(*scopes: str) -> Requirement:
    wanted = _names("scopes_any", scopes)
    return Requirement(
        lambda identity, _: (
            None if not wanted.isdisjoint(identity.scopes) else ReasonCode.INSUFFICIENT_SCOPE
        ),
        f"any scope of {_listing(wanted)}",
    )


def scopes_all(*scopes: str) -> Requirement:
    wanted = _names("scopes_all", scopes)
    return Requirement(
        lambda identity, _: None if wanted <= identity.scopes else ReasonCode.INSUFFICIENT_SCOPE,
        f"all scopes of {_listing(wanted)}",
    )


def groups_any(*groups: str) -> Requirement:
    wanted = _names("groups_any", groups)
    return Requirement(
        lambda identity, _: (
            None if not wanted.isdisjoint(identity.groups) else ReasonCode.INSUFFICIENT_GROUP
        ),
        f"any group of {_listing(wanted)}",
    )


def groups_all(*groups: str) -> Requirement:
    wanted = _names("groups_all", groups)
    return Requirement(
        lambda identity, _: None if wanted <= identity.groups else ReasonCode.INSUFFICIENT_GROUP,
        f"all groups of {_listing(wanted)}",
    )


def _same(actual: Any, expected: Any) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (JSON tells them apart too)."""
    return isinstance(actual, bool) is isinstance(expected, bool) and bool(actual == expected)


def claim_equals(name: str, value: Any) -> Requirement:
    return Requirement(
        lambda identity, _: (
            None
            if name in identity.claims and _same(identity.claims[name], value)
            else ReasonCode.FORBIDDEN
        ),
        f"claim {name} equals {value!r}",
    )


def claim_contains(name: str, value: Any) -> Requirement:
    """The claim is a list holding ``value``, or a space-separated string with it as one word
    (never a substring match: ``admin`` is not in ``"nonadmin"``)."""

    def unmet(identity: Identity, _: AuthRequest) -> ReasonCode | None:
        actual = identity.claims.get(name)
        items = actual.split() if isinstance(actual, str) else actual
        if isinstance(items, list | tuple) and any(_same(item, value) for item in items):
            return None
        return ReasonCode.FORBIDDEN

    return Requirement(unmet, f"claim {name} contains {value!r}")


def predicate(
    test: Callable[[Identity, AuthRequest], bool],
    *,
    reason: ReasonCode = ReasonCode.FORBIDDEN,
    description: str | None = None,
) -> Requirement:
    """A custom check; ``reason`` is what the log says when it returns False."""
    return Requirement(
        lambda identity, request: None if test(identity, request) is True else reason,
        description or str(getattr(test, "__name__", "predicate")),
    )


def all_of(*requirements: Requirement) -> Requirement:
    """Every requirement must hold; the first one that fails gives the reason."""
    if not requirements:
        raise ConfigurationError("all_of needs at least one requirement")

    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        for requirement in requirements:
            reason = requirement.unmet(identity, request)
            if reason is not None:
                return reason
        return None

    return Requirement(unmet, " and ".join(f"({r.description})" for r in requirements))


def any_of(*requirements: Requirement) -> Requirement:
    """One requirement must hold; if none does, their common reason, else ``forbidden``."""
    if not requirements:
        raise ConfigurationError("any_of needs at least one requirement")

    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        reasons = set()
        for requirement in requirements:
            reason = requirement.unmet(identity, request)
            if reason is None:
                return None
            reasons.add(reason)
        return reasons.pop() if len(reasons) == 1 else ReasonCode.FORBIDDEN

    return Requirement(unmet, " or ".join(f"({r.description})" for r in requirements))


#: Met by every identity the validators accepted.
AUTHENTICATED = Requirement(lambda _identity, _request: None, "authenticated")


# -- the route table ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One row of the table; build it with :func:`allow_route` or :func:`deny_route`."""

    verb: str
    path: str
    allow: bool
    requirement: Requirement


def _normalize_verb(verb: str) -> str:
    upper = verb.upper()
    if upper in ("*", "ANY"):
        return _ANY_VERB
    if upper not in _VERBS:
        raise ConfigurationError(f"unknown HTTP verb {verb!r}")
    return upper


def allow_route(verb: str, path: str, requires: Requirement = AUTHENTICATED) -> RouteRule:
    """``verb`` ``"GET"``…, or ``"*"``/``"ANY"``; ``path`` like ``/pets/{id}``,
    ``/files/{proxy+}``, or a WebSocket route key ``$connect``."""
    return RouteRule(_normalize_verb(verb), path, allow=True, requirement=requires)


def deny_route(verb: str, path: str, when: Requirement = AUTHENTICATED) -> RouteRule:
    """Refuse the route to identities meeting ``when`` (everyone by default), whatever the
    allow rules of the same route say."""
    return RouteRule(_normalize_verb(verb), path, allow=False, requirement=when)


@dataclass(frozen=True, slots=True)
class _Route:
    """A declared route and every rule given for it."""

    name: str  # "GET /pets/{id}", as first declared (for logs)
    pattern: str  # IAM resource pattern relative to the stage: "GET/pets/*"
    denials: tuple[str, ...]  # the patterns that deny exactly this route's verbs
    regex: re.Pattern[str]  # what concrete "<VERB>/<path>" strings API Gateway routes here
    precedence: tuple[int, ...]  # lower = more specific (API Gateway's route selection)
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


def _route_key(verb: str, path: str) -> tuple[str, str]:
    """Parse and check a route; return (verb, template with parameter names erased)."""
    if path.startswith("$"):
        if verb != _ANY_VERB or not re.fullmatch(r"\$[A-Za-z0-9_.-]+", path):
            raise ConfigurationError(f"WebSocket route {path!r} takes verb '*' and a plain key")
        return verb, path
    if not path.startswith("/") or "//" in path or any(c in path for c in "*?#"):
        raise ConfigurationError(f"route path {path!r} must start with '/', without * ? # //")
    segments = path.rstrip("/").split("/")[1:]
    for position, segment in enumerate(segments):
        bare = _PARAM.sub("", segment)
        if "{" in bare or "}" in bare or (bare and _PARAM.search(segment)):
            raise ConfigurationError(f"route path {path!r}: a parameter must fill its segment")
        if segment.endswith("+}") and position != len(segments) - 1:
            raise ConfigurationError(f"route path {path!r}: a greedy parameter must be last")
    return verb, "/" + "/".join(_PARAM.sub(r"{\1}", segment) for segment in segments)


def _compile(verb: str, template: str, rules: list[RouteRule], taken: set[str]) -> _Route:
    """``taken``: verbs with a route of their own on this template (they win over ANY)."""
    precedence: tuple[int, ...] = (0,)
    denials: tuple[str, ...]
    if template.startswith("$"):
        pattern, regex_text, denials = template, re.escape(template), (template,)
    else:
        segments = template.split("/")[1:] if template != "/" else [""]
        kinds = [2 if s == "{+}" else 1 if s == "{}" else 0 for s in segments]
        glob = "/".join("*" if kind else s for s, kind in zip(segments, kinds, strict=True))
        pieces = [
            ".+" if kind == 2 else "[^/]+" if kind else re.escape(s)
            for s, kind in zip(segments, kinds, strict=True)
        ]
        pattern = f"{verb}/{glob}"
        verb_regex = "[A-Z]+" if verb == _ANY_VERB else verb
        regex_text = f"{verb_regex}/{'/'.join(pieces)}"
        precedence = (*kinds, 3, int(verb == _ANY_VERB))  # 3 ends the path: shorter first
        # A Deny of "*/pets" would also hit "GET/pets" when GET has its own route: spell out
        # the verbs this ANY route really receives.
        denials = (
            tuple(f"{v}/{glob}" for v in sorted(_VERBS - taken))
            if verb == _ANY_VERB
            else (pattern,)
        )
    return _Route(
        f"{verb} {rules[0].path}",
        pattern,
        denials,
        re.compile(regex_text),
        precedence,
        tuple(rule.requirement for rule in rules if rule.allow),
        tuple(rule.requirement for rule in rules if not rule.allow),
    )


@cache
def _globs_intersect(left: str, right: str) -> bool:
    """Could one string match both IAM patterns (``*`` = any run of characters)?"""
    if not left or not right:
        return left.strip("*") == right.strip("*") == ""
    if left[0] == "*" and (_globs_intersect(left[1:], right) or _globs_intersect(left, right[1:])):
        return True
    if right[0] == "*":
        return _globs_intersect(left, right[1:]) or _globs_intersect(left[1:], right)
    return left[0] == right[0] and _globs_intersect(left[1:], right[1:])


def _relative(request: AuthRequest) -> str:
    """The called route as it appears in the method ARN, relative to the stage."""
    arn = request.arn
    return arn.resource if arn.verb is None else f"{arn.verb}/{arn.resource}"


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
            grouped.setdefault(_route_key(rule.verb, rule.path), []).append(rule)
        verbs_by_template: dict[str, set[str]] = {}
        for verb, template in grouped:
            verbs_by_template.setdefault(template, set()).add(verb)
        routes = [
            _compile(verb, template, rs, verbs_by_template[template])
            for (verb, template), rs in grouped.items()
        ]
        self._routes = tuple(sorted(routes, key=lambda route: route.precedence))
        # per route: (deny pattern, mask of the routes whose Allow pattern it intersects)
        # per route: (deny pattern, mask of the routes whose Allow pattern it intersects)
        self._denials = tuple(
            tuple((denial, self._overlapping(denial, route)) for denial in route.denials)
            for route in self._routes
        )
        self._grants_by_mask: dict[int, Grants] = {}

    def _overlapping(self, denial: str, route: _Route) -> int:
        return sum(
            1 << index
            for index, other in enumerate(self._routes)
            if other is not route and _globs_intersect(other.pattern, denial)
        )

    def _route_index(self, request: AuthRequest) -> int | None:
        called = _relative(request)
        for index, route in enumerate(self._routes):
            if route.regex.fullmatch(called):
                return index
        return None

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        called = self._route_index(request)
        reason: ReasonCode | None = ReasonCode.FORBIDDEN
        mask = 0
        for index, route in enumerate(self._routes):
            refusal = route.refusal(identity, request)
            if refusal is None:
                mask |= 1 << index
            if index == called:
                reason = refusal
        grants = self._grants_by_mask.get(mask) or self._build_grants(mask)
        if reason is not None:
            where = self._routes[called].name if called is not None else "no rule for route"
            raise RouteForbidden(reason, where, grants)
        return grants

    def _build_grants(self, mask: int) -> Grants:
        allow = [route.pattern for i, route in enumerate(self._routes) if mask >> i & 1]
        deny = [
            denial
            for i, denials in enumerate(self._denials)
            if not mask >> i & 1
            for denial, overlapping in denials
            if overlapping & mask
        ]
        grants = Grants(tuple(dict.fromkeys(allow)), tuple(dict.fromkeys(deny)))
        if len(self._grants_by_mask) >= _GRANTS_CACHE_LIMIT:
            self._grants_by_mask.clear()
        self._grants_by_mask[mask] = grants
        return grants


class AllRoutes:
    """The default: an authenticated identity may call every route of the API stage, in one
    statement, so API Gateway's result cache can never turn into a false 403 elsewhere."""

    scope = GrantScope.WHOLE_API

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        return Grants.everything()


class MethodArnOnly:
    """Allow only the exact method ARN being called (after ``rules``, if given, allow it).

    Pitfall: API Gateway caches the policy per credential (300 s unless configured) and
    evaluates it against the *next* route called with the same credential, which this policy
    does not list: a false 403. The Authorizer therefore refuses to build with this mode
    unless the result TTL is 0 or the cache key includes the route. (A ``*`` or ``?`` in the
    called path acts as a wildcard in the ARN; harmless when the policy is never reused.)
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
        return Grants(allow=(_relative(request),))
