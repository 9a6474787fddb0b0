"""The policy compiler: the Allow and Deny patterns that grant exactly a set of routes.

API Gateway caches one policy per credential and replays it on every route of the API, so
the patterns must be right for every request that reaches any route the API serves, under
API Gateway's route selection. IAM's ``*`` also matches ``/``, so each Allow pattern can
reach requests of other routes; the compiler works out which (exactly, with the languages of
:mod:`authorizers._internal.route_patterns`) and denies them:

- a refused route that takes requests from an allowed route's own range (``/pets/mine`` in
  ``/pets/{id}``, by precedence) is denied with its own patterns;
- requests an Allow pattern matches beyond its route (``GET/pets/?*`` matches
  ``GET/pets/1/x``) are denied with the route's *excess* patterns (``GET/pets/*/?*``), or with
  the refused routes' own patterns when those hit fewer allowed routes (a tie takes the
  excess: one set of patterns for every refused route it reaches).

Without a complete universe the routes the API really serves are unknown: a catch-all
"unknown routes" entry stands for them, refused, so every Allow pattern comes with its full
excess. With a complete universe the policy is compacted: ``*`` for an identity allowed
everything, ``*`` plus a few Denies, or merged prefixes (``GET/pets*``) where they reach no
refused route. Some tables have no exact policy (IAM has no "except"); the policy then errs
towards 403, never towards an Allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

from authorizers._internal.iam_glob import glob_set
from authorizers._internal.route_patterns import (
    GREEDY_RUN,
    UNKNOWN_ROUTES,
    RoutePatterns,
    _Language,
    glob_language,
)

#: Bytes of ``arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/`` at most
#: (stage names are up to 128 characters), for the build-time size bound.
ARN_PREFIX_BYTES = 220
_STATEMENT_BYTES = 100  # {"Action": "execute-api:Invoke", "Effect": ..., "Resource": []}
_PER_RESOURCE_BYTES = 4  # quotes, comma, space


def _count(mask: int) -> int:
    return bin(mask).count("1")


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def policy_bytes(allow: Sequence[str], deny: Sequence[str]) -> int:
    """An upper bound of the JSON bytes the statements take, with full ARNs."""
    per = ARN_PREFIX_BYTES + _PER_RESOURCE_BYTES
    return 2 * _STATEMENT_BYTES + sum(per + len(p.encode()) * 2 for p in (*allow, *deny))


class RouteTable:
    """The routes of a table (rules and universe), and the policy for a set of them.

    ``complete``: the table lists every route the API serves. Otherwise the last entry is
    :data:`UNKNOWN_ROUTES`. Overlaps are worked out per route on first use and kept.
    """

    def __init__(self, routes: Sequence[RoutePatterns], *, complete: bool) -> None:
        self.complete = complete
        self._routes = tuple(routes) if complete else (*routes, UNKNOWN_ROUTES)
        self.real = (1 << len(routes)) - 1  # the routes an identity can be allowed
        self._all = (1 << len(self._routes)) - 1
        self._languages: dict[str, _Language] = {}
        self._receives = [tuple(map(self._language, r.languages)) for r in self._routes]
        self._hits = cache(self._hits_of)
        self._reach = cache(self._reach_of)
        self._direct = cache(self._direct_of)
        self._own = cache(self._own_of)
        self._excess = cache(self._excess_of)

    def _language(self, text: str) -> _Language:
        known = self._languages.get(text)
        if known is None:
            known = self._languages[text] = _Language(text)
        return known

    def _hits_of(self, patterns: tuple[str, ...], among: int | None = None) -> int:
        """The routes (of ``among``, default all) that some request matched by one of
        ``patterns`` may be routed to."""
        languages = [self._language(glob_language(pattern)) for pattern in patterns]
        indexes = range(len(self._routes)) if among is None else _bits(among)
        return sum(
            1 << i
            for i in indexes
            if any(language.meets(other) for language in languages for other in self._receives[i])
        )

    def _reach_of(self, a: int) -> int:
        """The other routes that requests matched by route a's Allow pattern may reach."""
        return self._hits(self._routes[a].allows) & ~(1 << a)

    def _before(self, f: int, a: int, api: str | None) -> bool:
        """May f win over a for a request both could take? Where the documentation leaves
        room (HTTP: does ``ANY`` with a full match beat a method's greedy route?), both
        readings count, so a refused route is denied rather than assumed shadowed. An
        unknown API kind takes every reading."""
        route, other = self._routes[f], self._routes[a]
        rest = route.rest_rank < other.rest_rank
        (any_f, greedy_f, kinds_f), (any_a, greedy_a, kinds_a) = route.http_rank, other.http_rank
        http = route.http_rank < other.http_rank or (greedy_f, any_f, kinds_f) < (
            greedy_a,
            any_a,
            kinds_a,
        )
        return rest if api == "rest" else http if api == "http" else rest or http

    def _direct_of(self, a: int, api: str | None) -> int:
        """The routes taking requests from a's own range (``/pets/mine`` in ``/pets/{id}``):
        only their own patterns can deny them. A subset of a's reach."""
        span = self._language(self._routes[a].span)
        return sum(
            1 << f
            for f in _bits(self._reach(a))
            if self._before(f, a, api) and any(map(span.meets, self._receives[f]))
        )

    def _own_of(self, f: int) -> tuple[tuple[str, ...], int]:
        """Route f's own Deny patterns, and the other routes they hit."""
        denials = self._routes[f].denials
        return denials, (self._hits(denials) & ~(1 << f)) if denials else 0

    def _excess_of(self, a: int) -> tuple[tuple[str, int], ...]:
        """Each pattern for what a's Allow pattern matches beyond a, and the routes it hits."""
        excess = tuple((x, self._hits((x,))) for x in self._routes[a].excess)
        if GREEDY_RUN not in self._routes[a].span and any(hits >> a & 1 for _, hits in excess):
            # What every Deny choice relies on: the excess never denies the route itself
            # (a greedy segment can: "*" cannot tell "1/files/a" from "1" + "a/files/b").
            raise AssertionError(f"the excess {excess} meets its own route {a}")
        return excess

    def policy(self, mask: int, api: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Allow and Deny patterns granting exactly the routes in ``mask`` (see the module
        docstring); ``api`` is the API kind (``rest``, ``http``, ``websocket``, or None)."""
        mask &= self.real
        if self.complete and mask == self._all:
            return ("*",), ()
        allow, covered = self._merged(mask)
        deny = self._denials(mask & ~covered, mask, api)
        if self.complete:
            everything = self._all_but(mask)
            if everything is not None:
                wide_deny, wide_collateral = everything
                smaller = policy_bytes(("*",), wide_deny) < policy_bytes(allow, deny)
                if smaller and not wide_collateral:  # exact: every Deny misses allowed routes
                    return ("*",), wide_deny
        return allow, deny

    def _denials(self, allowed: int, mask: int, api: str | None) -> tuple[str, ...]:
        """The Denies for the Allow patterns of ``allowed`` (``mask``: every allowed route)."""
        deny: dict[str, None] = {}
        refused = self._all & ~mask
        few = _count(refused) * 8 < len(self._routes)  # cheaper than every route's reach
        for a in _bits(allowed):
            if few:
                reached = self._hits_of(self._routes[a].allows, refused) & ~(1 << a)
            else:
                reached = self._reach(a) & refused
            for f in _bits(reached):
                chosen, hits = self._own(f)
                if not self._direct(a, api) >> f & 1:
                    excess = [(x, h) for x, h in self._excess(a) if h >> f & 1]
                    if not excess:
                        continue  # a's pattern reaches f only where a itself wins
                    excess_hits = 0
                    for _, h in excess:
                        excess_hits |= h
                    if not chosen or _count(excess_hits & mask) <= _count(hits & mask):
                        chosen, hits = tuple(x for x, _ in excess), excess_hits
                deny.update(dict.fromkeys(chosen))
        return tuple(deny)

    def _all_but(self, mask: int) -> tuple[tuple[str, ...], int] | None:
        """``*`` with every refused route denied by its own patterns: the Denies and the
        allowed routes they hit; None when a refused route has no own patterns."""
        deny: dict[str, None] = {}
        collateral = 0
        for f in _bits(self._all & ~mask):
            denials, hits = self._own(f)
            if not denials:
                return None
            deny.update(dict.fromkeys(denials))
            collateral |= hits & mask
        return tuple(deny), collateral

    def _merged(self, mask: int) -> tuple[tuple[str, ...], int]:
        """The Allow patterns: one per allowed route, except where a literal prefix
        (``GET/pets*``, ``*/pets*``) covers several and reaches no refused route."""
        own = {i: self._routes[i].allows for i in _bits(mask)}
        if not self.complete:
            return tuple(dict.fromkeys(p for allows in own.values() for p in allows)), 0
        inside: dict[str, int] = {}  # prefix -> the allowed routes it covers entirely
        for i, allows in own.items():
            shared = set.intersection(*(set(_prefixes(p)) for p in allows))
            for prefix in shared:
                inside[prefix] = inside.get(prefix, 0) | 1 << i
        chosen: list[str] = []
        covered = 0
        for prefix in sorted(inside, key=len):
            if _count(inside[prefix] & ~covered) < 2:
                continue
            if self._hits_of((prefix,), self._all & ~mask):
                continue
            chosen.append(prefix)
            covered |= inside[prefix]
        rest = (p for i, allows in own.items() if not covered >> i & 1 for p in allows)
        return tuple(dict.fromkeys((*chosen, *rest))), covered

    def largest_policy_bytes(self) -> int:
        """An upper bound of the policy statements' bytes for any identity."""
        allow = [p for r in self._routes[: _count(self.real)] for p in r.allows]
        if not any("*" in p or "?" in p for p in allow):
            return policy_bytes(allow, ())  # literal patterns (route keys) reach nothing else
        deny = [p for r in self._routes for p in (*r.denials, *r.excess)]
        return policy_bytes(allow, deny)


def _prefixes(pattern: str) -> Iterator[str]:
    """``GET/pets/?*/photos`` -> ``GET/pets*``, ``*/pets*``: the literal path prefixes, each of
    which matches everything the pattern does."""
    verb, _, path = pattern.partition("/")
    head: list[str] = []
    for segment in path.split("/"):
        if "*" in segment or "?" in segment:
            return
        head.append(segment)
        yield f"{verb}/{'/'.join(head)}*"
        yield f"*/{'/'.join(head)}*"


def sealed(
    allow: tuple[str, ...], deny: tuple[str, ...], called: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A refusal's patterns, made to deny the refused request (``called``, relative to the
    stage) itself. The called route may be one no rule lists (nothing was compiled for it),
    yet an Allow may match it; for a listed one this is a second line of defence. Either
    way a refusal never goes out as a policy that allows the request. Linear time in the
    ARN whatever the patterns (:mod:`authorizers._internal.iam_glob`)."""
    if glob_set(allow).matches(called) and not glob_set(deny).matches(called):
        return allow, (*deny, called)
    return allow, deny
