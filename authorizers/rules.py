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
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from operator import attrgetter
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


@cache  # scopes_any("a") twice is one object: AccessRules evaluates it once per request
def _membership(
    label: str,
    wanted: frozenset[str],
    reason: ReasonCode,
    held: Callable[[Identity], frozenset[str]],
    *,
    every: bool,
) -> Requirement:
    if not wanted or not all(isinstance(name, str) and name for name in wanted):
        raise ConfigurationError(f"{label} needs at least one non-empty name")

    def unmet(identity: Identity, _: AuthRequest) -> ReasonCode | None:
        mine = held(identity)
        return None if (wanted <= mine if every else not wanted.isdisjoint(mine)) else reason

    return Requirement(unmet, f"{label} {', '.join(sorted(wanted))}")


_SCOPE, _GROUP = ReasonCode.INSUFFICIENT_SCOPE, ReasonCode.INSUFFICIENT_GROUP
_SCOPES = attrgetter("scopes")
_GROUPS = attrgetter("groups")


def scopes_any(*scopes: str) -> Requirement:
    return _membership("any scope of", frozenset(scopes), _SCOPE, _SCOPES, every=False)


def scopes_all(*scopes: str) -> Requirement:
    return _membership("all scopes of", frozenset(scopes), _SCOPE, _SCOPES, every=True)


def groups_any(*groups: str) -> Requirement:
    return _membership("any group of", frozenset(groups), _GROUP, _GROUPS, every=False)


def groups_all(*groups: str) -> Requirement:
    return _membership("all groups of", frozenset(groups), _GROUP, _GROUPS, every=True)


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


# Route languages: the concrete "<VERB>/<path>" strings a route receives, as a string where
# "\x01\x02" is one segment ({id}: one or more non-"/" characters) and "\x03\x04" a greedy
# {proxy+} (one or more of anything): "\x01"/"\x03" one character, "\x02"/"\x04" repeat it.
_ONE_SEGMENT, _ANY_RUN = "\x01\x02", "\x03\x04"
_STAR_OF = {"\x02": "\x01", "\x04": "\x03"}  # a repeated class -> its one-character class


def _class_admits(pattern_char: str, token: str) -> bool:
    """Can a literal character of an IAM pattern stand where a language ``token`` is?"""
    if token == "\x03":
        return True
    return pattern_char != "/" if token == "\x01" else pattern_char == token


class _PatternAutomaton:
    """An IAM resource pattern (``*`` = any run) run over a route language: which pattern
    positions can be reached, as a bit mask; the pattern matches if its end is reached."""

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._stars = sum(1 << p for p, char in enumerate(pattern) if char == "*")
        self._end = 1 << len(pattern)
        self._admitting: dict[str, int] = {}

    def _skip_stars(self, positions: int) -> int:
        while (more := positions | (positions & self._stars) << 1) != positions:
            positions = more
        return positions

    def _step(self, positions: int, token: str) -> int:
        admitting = self._admitting.get(token)
        if admitting is None:
            admitting = self._admitting[token] = sum(
                1 << p
                for p, char in enumerate(self._pattern)
                if char != "*" and _class_admits(char, token)
            )
        return self._skip_stars(positions & self._stars | (positions & admitting) << 1)

    def reaches(self, language: str) -> bool:
        """Does the pattern match some string of ``language``?"""
        positions = self._skip_stars(1)
        for token in language:
            if token in _STAR_OF:  # zero or more of the class just before: until stable
                while (more := positions | self._step(positions, _STAR_OF[token])) != positions:
                    positions = more
            else:
                positions = self._step(positions, token)
            if not positions:
                return False
        return bool(positions & self._end)


def _path_language(path: str) -> str:
    """Check a declared route; return its language (WebSocket route keys are literal)."""
    if path.startswith("$"):
        if not re.fullmatch(r"\$[A-Za-z0-9_.-]+", path):
            raise ConfigurationError(f"WebSocket route key {path!r} must be a plain word")
        return path
    if not path.startswith("/") or "//" in path or any(c in path for c in "*?#\x01\x02\x03\x04"):
        raise ConfigurationError(f"route path {path!r} must start with '/', without * ? # //")
    segments = path.rstrip("/").split("/")[1:]
    for position, segment in enumerate(segments):
        bare = _PARAM.sub("", segment)
        if "{" in bare or "}" in bare or (bare and _PARAM.search(segment)):
            raise ConfigurationError(f"route path {path!r}: a parameter must fill its segment")
        if segment.endswith("+}") and position != len(segments) - 1:
            raise ConfigurationError(f"route path {path!r}: a greedy parameter must be last")
    erased = (_PARAM.sub(lambda m: _ANY_RUN if m[1] else _ONE_SEGMENT, s) for s in segments)
    return "/" + "/".join(erased)


_PRECEDENCE = {_ONE_SEGMENT: 1, _ANY_RUN: 2}  # literal segments (0) win, greedy loses


@dataclass(frozen=True, slots=True)
class _Route:
    """A declared route and every rule given for it."""

    name: str  # "GET /pets/{id}", as first declared (for logs)
    pattern: str  # its Allow pattern, relative to the stage: "GET/pets/*"
    denials: tuple[tuple[str, str], ...]  # (Deny pattern, language) per verb it receives
    regex: str  # the concrete "<VERB>/<path>" strings API Gateway routes here
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


def _compile(verb: str, language: str, rules: list[RouteRule], taken: set[str]) -> _Route:
    """``taken``: verbs with their own route on this path (they win over ANY there)."""
    glob = language.replace(_ONE_SEGMENT, "*").replace(_ANY_RUN, "*")
    regex = re.escape(language).replace(_ONE_SEGMENT, "[^/]+").replace(_ANY_RUN, ".+")
    precedence: tuple[int, ...] = (0,)
    verbs = [""]  # WebSocket: no verb in the ARN
    pattern = glob
    if not language.startswith("$"):
        segments = language.split("/")[1:]
        precedence = (*(_PRECEDENCE.get(s, 0) for s in segments), 3, int(verb == _ANY_VERB))
        pattern = verb + glob
        regex = ("[A-Z]+" if verb == _ANY_VERB else verb) + regex
        # "*/pets" would also deny "GET/pets" when GET has a route of its own: spell out
        # the verbs this ANY route really receives.
        verbs = sorted(_VERBS - taken) if verb == _ANY_VERB else [verb]
    return _Route(
        f"{verb} {rules[0].path}",
        pattern,
        tuple((v + glob, v + language) for v in verbs),
        regex,
        precedence,
        tuple(rule.requirement for rule in rules if rule.allow),
        tuple(rule.requirement for rule in rules if not rule.allow),
    )


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
            if rule.path.startswith("$") and rule.verb != _ANY_VERB:
                raise ConfigurationError(f"WebSocket route {rule.path!r} takes the verb '*'")
            grouped.setdefault((rule.verb, _path_language(rule.path)), []).append(rule)
        taken: dict[str, set[str]] = {}
        for verb, language in grouped:
            taken.setdefault(language, set()).add(verb)
        routes = [_compile(v, lang, rs, taken[lang]) for (v, lang), rs in grouped.items()]
        self._routes = tuple(sorted(routes, key=lambda route: route.precedence))
        # One regex, alternatives in precedence order: the first that matches is the route.
        self._router = re.compile("|".join(f"({route.regex})" for route in self._routes))
        allows = [_PatternAutomaton(route.pattern) for route in self._routes]
        # Per route: its Deny patterns, each with the mask of the routes whose Allow pattern
        # reaches concrete requests of this route (only then is the Deny needed).
        self._denials = tuple(
            tuple((denial, self._reaching(allows, lang)) for denial, lang in route.denials)
            for route in self._routes
        )
        checks: dict[int, tuple[Check, int, int]] = {}  # by identity of the requirement
        for index, route in enumerate(self._routes):
            for effect, requirements in enumerate((route.allow_rules, route.deny_rules)):
                for requirement in requirements:
                    unmet, *masks = checks.get(id(requirement), (requirement.unmet, 0, 0))
                    masks[effect] |= 1 << index
                    checks[id(requirement)] = (unmet, masks[0], masks[1])
        self._checks = tuple(checks.values())
        self._grants_by_mask: dict[int, Grants] = {}

    @staticmethod
    def _reaching(allows: list[_PatternAutomaton], language: str) -> int:
        return sum(1 << i for i, allow in enumerate(allows) if allow.reaches(language))

    def _route_index(self, request: AuthRequest) -> int | None:
        match = self._router.fullmatch(_relative(request))
        return match.lastindex - 1 if match and match.lastindex else None

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        allowed = denied = 0
        for unmet, allow_mask, deny_mask in self._checks:  # each requirement runs once
            if unmet(identity, request) is None:
                allowed |= allow_mask
                denied |= deny_mask
        mask = allowed & ~denied
        grants = self._grants_by_mask.get(mask) or self._build_grants(mask)
        called = self._route_index(request)
        if called is None:
            raise RouteForbidden(ReasonCode.FORBIDDEN, "no rule for this route", grants)
        if not mask >> called & 1:
            route = self._routes[called]
            reason = route.refusal(identity, request) or ReasonCode.FORBIDDEN
            raise RouteForbidden(reason, route.name, grants)
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
