"""Access rules: which routes an authenticated identity may call, as cache-safe :class:`Grants`.

API Gateway caches an authorizer's policy per credential and evaluates it against *later*
calls to *other* routes, so a policy must answer for every route, not only the one being
called. :class:`AccessRules` therefore always returns the identity's complete route list
(whichever route was called first, the same policy is cached). Because ``*`` in an IAM
resource also matches ``/`` (``GET/pets/*`` from ``/pets/{id}`` matches ``GET/pets/1/secret``;
``*/pets`` matches ``GET/admin/pets``), it adds an explicit Deny wherever an Allow pattern
reaches requests of a declared route the identity may not call. Which requests a pattern
reaches is computed exactly, from the route table, once at construction.

Known limit of IAM wildcards: a Deny is greedy too, and some tables have no exact policy
(``/pets/{proxy+}`` allowed, ``/pets/{id}/secret`` refused: ``/pets/a/b/secret`` belongs to
the first, but only ``GET/pets/*/secret`` can deny the second). The policy then errs towards
403 for those requests, never towards a false Allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
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


def _rule(verb: str, path: str, *, allow: bool, requirement: Requirement) -> RouteRule:
    upper = _ANY_VERB if verb.upper() in ("*", "ANY") else verb.upper()
    if upper not in _VERBS and upper != _ANY_VERB:
        raise ConfigurationError(f"unknown HTTP verb {verb!r}")
    if path.startswith("$") and upper != _ANY_VERB:
        raise ConfigurationError(f"WebSocket route {path!r} takes the verb '*'")
    _path_language(path)  # fail here, where the rule is written
    return RouteRule(upper, path, allow, requirement)


def allow_route(verb: str, path: str, requires: Requirement = AUTHENTICATED) -> RouteRule:
    """``verb`` ``"GET"``…, or ``"*"``/``"ANY"``; ``path`` like ``/pets/{id}``,
    ``/files/{proxy+}``, or a WebSocket route key ``$connect``."""
    return _rule(verb, path, allow=True, requirement=requires)


def deny_route(verb: str, path: str, when: Requirement = AUTHENTICATED) -> RouteRule:
    """Refuse the route to identities meeting ``when`` (everyone by default), whatever the
    allow rules of the same route say."""
    return _rule(verb, path, allow=False, requirement=when)


# Route languages: the concrete "<VERB>/<path>" strings a route receives, written as a string
# in which "\x01" is one non-"/" character, "\x03" any one character, and "\x02" / "\x04"
# repeat the class before them zero or more times. So "{id}" is "\x01\x02", "{proxy+}" is
# "\x03\x04", and an IAM pattern is a language too: its "*" is "\x04".
_ONE_SEGMENT, _ANY_RUN = "\x01\x02", "\x03\x04"
_REPEATED = {"\x02": "\x01", "\x04": "\x03"}  # repeat marker -> the class it repeats


def _classes_meet(left: str, right: str) -> bool:
    if "\x03" in (left, right):
        return True
    if "\x01" in (left, right):
        return "/" not in (left, right)
    return left == right


class _Automaton:
    """A language run over another one: which of its positions can be reached (a bit mask)."""

    def __init__(self, language: str) -> None:
        self._classes = [_REPEATED.get(char, char) for char in language]
        self._repeats = sum(1 << p for p, char in enumerate(language) if char in _REPEATED)
        self._end = 1 << len(language)
        self._admitting: dict[str, int] = {}

    def _skip_repeats(self, positions: int) -> int:
        while (more := positions | (positions & self._repeats) << 1) != positions:
            positions = more
        return positions

    def _step(self, positions: int, token: str) -> int:
        admitting = self._admitting.get(token)
        if admitting is None:
            admitting = self._admitting[token] = sum(
                1 << p for p, cls in enumerate(self._classes) if _classes_meet(cls, token)
            )
        positions &= admitting
        return self._skip_repeats(positions & self._repeats | (positions & ~self._repeats) << 1)

    def meets(self, language: str) -> bool:
        """Is there a string both languages contain?"""
        positions = self._skip_repeats(1)
        for token in language:
            if token in _REPEATED:  # zero or more of the class just before: until stable
                while (more := positions | self._step(positions, _REPEATED[token])) != positions:
                    positions = more
            else:
                positions = self._step(positions, token)
            if not positions:
                return False
        return bool(positions & self._end)


def _of_pattern(pattern: str) -> _Automaton:
    return _Automaton(pattern.replace("*", "\x04"))


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
    span: str  # the requests its pattern stands for, each "*" one segment (ANY: every verb)
    languages: tuple[str, ...]  # what it receives (ANY: per verb it does not leave to others)
    denials: tuple[str, ...]  # the Deny patterns covering exactly its verbs
    excess: tuple[str, ...]  # what ``pattern`` matches beyond the route, as Deny patterns
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


def _compile(verb: str, path: str, rules: list[RouteRule], taken: set[str]) -> _Route:
    """``taken``: verbs with their own route on this path (they win over ANY there)."""
    regex = re.escape(path).replace(_ONE_SEGMENT, "[^/]+").replace(_ANY_RUN, ".+")
    parts: list[tuple[str, str]] = [(path, "")]  # (text, what "*" stands for: "" literal)
    verbs, span = [""], path  # WebSocket: no verb in the ARN
    languages: tuple[str, ...] = (path,)
    precedence: tuple[int, ...] = (0,)
    if not path.startswith("$"):
        any_verb = verb == _ANY_VERB
        precedence = (*(_PRECEDENCE.get(s, 0) for s in path.split("/")[1:]), 3, int(any_verb))
        regex = ("[A-Z]+" if any_verb else verb) + regex
        # "*/pets" would also deny "GET/pets" when GET has a route of its own: spell out
        # the verbs this ANY route really receives.
        verbs = sorted(_VERBS - taken) if any_verb else [verb]
        span = (_ONE_SEGMENT if any_verb else verb) + path
        alone = any_verb and len(taken) == 1  # every verb: the span, in one automaton run
        languages = (span,) if alone else tuple(v + path for v in verbs)
        parts = [(verb, _ONE_SEGMENT if any_verb else "")]
        for segment in path.split("/")[1:]:
            text = "*" if segment in _PRECEDENCE else segment
            parts += [("/", ""), (text, segment if text == "*" else "")]
    pattern = "".join(text for text, _ in parts)
    # Beyond the route, a "*" also matches "" and, for a one-segment "*", text with "/":
    excess = tuple(
        "".join(other if i == k else text for i, (text, _) in enumerate(parts))
        for k, (_, stands_for) in enumerate(parts)
        if stands_for
        for other in (("", "*/*") if stands_for == _ONE_SEGMENT else ("",))
    )
    return _Route(
        f"{verb} {rules[0].path}",
        pattern,
        span,
        languages,
        tuple(v + pattern[len(verb) :] for v in verbs),
        excess,
        regex,
        precedence,
        tuple(rule.requirement for rule in rules if rule.allow),
        tuple(rule.requirement for rule in rules if not rule.allow),
    )


def _relative(request: AuthRequest) -> str:
    """The called route as it appears in the method ARN, relative to the stage."""
    arn = request.arn
    return arn.resource if arn.verb is None else f"{arn.verb}/{arn.resource}"


@lru_cache(maxsize=1024)
def _iam_regex(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def _sealed(grants: Grants, request: AuthRequest) -> Grants:
    """The grants of a refusal, made to deny the refused request itself.

    Nothing is precomputed for an undeclared route, yet an allowed pattern may match it
    (``GET/pets/*`` matches ``GET/pets/a/b``); for a declared one this is a second line of
    defence. Either way a refusal must never go out as a policy that allows the request.
    """
    called = _relative(request)

    def matched(patterns: tuple[str, ...]) -> bool:
        return any(_iam_regex(pattern).fullmatch(called) for pattern in patterns)

    if matched(grants.allow) and not matched(grants.deny):
        return Grants(grants.allow, (*grants.deny, called))
    return grants


def _count(mask: int) -> int:
    return bin(mask).count("1")


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
            grouped.setdefault((rule.verb, _path_language(rule.path)), []).append(rule)
        taken: dict[str, set[str]] = {}
        for verb, path in grouped:
            taken.setdefault(path, set()).add(verb)
        routes = [_compile(v, path, rs, taken[path]) for (v, path), rs in grouped.items()]
        self._routes = tuple(sorted(routes, key=lambda route: route.precedence))
        # One regex, alternatives in precedence order: the first that matches is the route.
        self._router = re.compile("|".join(f"({route.regex})" for route in self._routes))
        self._precompute_denials()
        checks: dict[int, tuple[Check, int, int]] = {}  # by identity of the requirement
        for index, route in enumerate(self._routes):
            for effect, requirements in enumerate((route.allow_rules, route.deny_rules)):
                for requirement in requirements:
                    unmet, *masks = checks.get(id(requirement), (requirement.unmet, 0, 0))
                    masks[effect] |= 1 << index
                    checks[id(requirement)] = (unmet, masks[0], masks[1])
        self._checks = tuple(checks.values())
        self._grants_by_mask: dict[int, Grants] = {}

    def _hits(self, patterns: tuple[str, ...]) -> int:
        """The routes that some request matched by one of ``patterns`` is routed to."""
        automata = [_of_pattern(pattern) for pattern in patterns]
        return sum(
            1 << i
            for i, route in enumerate(self._routes)
            if any(a.meets(language) for a in automata for language in route.languages)
        )

    def _precompute_denials(self) -> None:
        """What to deny when a refused route f is reached by an allowed route a's pattern.

        Either f's own patterns, or a's excess (what its one-segment ``*`` matches beyond a
        single segment). f's own is required when f takes requests from a's own range (f is
        more specific and overlaps: ``/pets/mine`` in ``/pets/{id}``); otherwise each grant
        takes the one that hits fewer routes the identity may call (``_build_grants``).
        """
        routes = self._routes
        self._reach = [self._hits((r.pattern,)) & ~(1 << i) for i, r in enumerate(routes)]
        self._direct = [
            sum(
                1 << f
                for f, other in enumerate(routes[:a])
                if any(map(_Automaton(route.span).meets, other.languages))
            )
            for a, route in enumerate(routes)
        ]
        self._own = [(r.denials, self._hits(r.denials) & ~(1 << i)) for i, r in enumerate(routes)]
        self._excess = [tuple((x, self._hits((x,))) for x in r.excess) for r in routes]

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
            raise RouteForbidden(
                ReasonCode.FORBIDDEN, "no rule for this route", _sealed(grants, request)
            )
        if not mask >> called & 1:
            route = self._routes[called]
            reason = route.refusal(identity, request) or ReasonCode.FORBIDDEN
            raise RouteForbidden(reason, route.name, _sealed(grants, request))
        return grants

    def _build_grants(self, mask: int) -> Grants:
        allowed = [i for i in range(len(self._routes)) if mask >> i & 1]
        deny: dict[str, None] = {}
        for a in allowed:
            for f in range(len(self._routes)):
                if not (self._reach[a] & ~mask) >> f & 1:
                    continue
                chosen, own_hits = self._own[f]
                if not self._direct[a] >> f & 1:
                    excess = [(x, hits) for x, hits in self._excess[a] if hits >> f & 1]
                    if not excess:
                        continue  # a's pattern reaches f only where a itself wins
                    excess_hits = 0
                    for _, hits in excess:
                        excess_hits |= hits
                    if _count(excess_hits & mask) < _count(own_hits & mask):
                        chosen = tuple(x for x, _ in excess)
                deny.update(dict.fromkeys(chosen))
        grants = Grants(tuple(dict.fromkeys(self._routes[i].pattern for i in allowed)), tuple(deny))
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
