"""Route patterns: which requests a declared route receives, which an IAM resource pattern
matches, and where the two overlap, so a policy can allow routes without allowing neighbours.

Both are *languages* of concrete ``"<VERB>/<path>"`` strings, written as a string in which
``"\\x01"`` is one non-``/`` character, ``"\\x03"`` any one character, and ``"\\x02"`` /
``"\\x04"`` repeat the class before them zero or more times. So ``{id}`` is ``"\\x01\\x02"``,
``{proxy+}`` is ``"\\x03\\x04"``, and an IAM pattern is a language too: its ``*`` is ``"\\x04"``.
Whether two languages share a string is decided exactly by running one over the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from authorizers.errors import ConfigurationError

VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ANY_VERB = "*"
_PARAM = re.compile(r"\{[A-Za-z0-9_.:-]+(\+?)\}")
_ONE_SEGMENT, _ANY_RUN = "\x01\x02", "\x03\x04"
_REPEATED = {"\x02": "\x01", "\x04": "\x03"}  # repeat marker -> the class it repeats
_PRECEDENCE = {_ONE_SEGMENT: 1, _ANY_RUN: 2}  # literal segments (0) win, greedy loses


def path_language(path: str) -> str:
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


@dataclass(frozen=True, slots=True)
class RoutePatterns:
    """A declared route's languages and the IAM patterns that allow or deny it."""

    pattern: str  # its Allow pattern, relative to the stage: "GET/pets/*"
    span: str  # the requests its pattern stands for, each "*" one segment (ANY: every verb)
    languages: tuple[str, ...]  # what it receives (ANY: per verb it does not leave to others)
    denials: tuple[str, ...]  # the Deny patterns covering exactly its verbs
    excess: tuple[str, ...]  # what ``pattern`` matches beyond the route, as Deny patterns
    regex: str  # the concrete "<VERB>/<path>" strings API Gateway routes here
    precedence: tuple[int, ...]  # lower = more specific (API Gateway's route selection)


def compile_route(verb: str, path: str, taken: set[str]) -> RoutePatterns:
    """``path`` is a :func:`path_language`; ``taken``: verbs with their own route on this
    path (they win over ANY there)."""
    regex = re.escape(path).replace(_ONE_SEGMENT, "[^/]+").replace(_ANY_RUN, ".+")
    parts: list[tuple[str, str]] = [(path, "")]  # (text, what "*" stands for: "" literal)
    verbs, span = [""], path  # WebSocket: no verb in the ARN
    languages: tuple[str, ...] = (path,)
    precedence: tuple[int, ...] = (0,)
    if not path.startswith("$"):
        any_verb = verb == ANY_VERB
        precedence = (*(_PRECEDENCE.get(s, 0) for s in path.split("/")[1:]), 3, int(any_verb))
        regex = ("[A-Z]+" if any_verb else verb) + regex
        # "*/pets" would also deny "GET/pets" when GET has a route of its own: spell out
        # the verbs this ANY route really receives.
        verbs = sorted(VERBS - taken) if any_verb else [verb]
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
    return RoutePatterns(
        pattern,
        span,
        languages,
        tuple(v + pattern[len(verb) :] for v in verbs),
        excess,
        regex,
        precedence,
    )


def _count(mask: int) -> int:
    return bin(mask).count("1")


class RouteTable:
    """Routes in precedence order (most specific first): which one a request is routed to,
    and the Allow and Deny patterns that grant exactly a set of them (a bit mask)."""

    def __init__(self, routes: Sequence[RoutePatterns]) -> None:
        self._routes = tuple(routes)
        # One regex, alternatives in precedence order: the first that matches is the route.
        self._router = re.compile("|".join(f"({route.regex})" for route in self._routes))
        self._precompute_denials()

    def route_index(self, called: str) -> int | None:
        """The route receiving ``called`` (``"GET/pets/1"``, ``"$connect"``), if any."""
        match = self._router.fullmatch(called)
        return match.lastindex - 1 if match and match.lastindex else None

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
        takes the one that hits fewer routes the identity may call (``policy``).
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

    def policy(self, mask: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Allow and Deny patterns granting exactly the routes in ``mask``."""
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
        allow = tuple(dict.fromkeys(self._routes[i].pattern for i in allowed))
        return allow, tuple(deny)


@lru_cache(maxsize=1024)
def iam_regex(pattern: str) -> re.Pattern[str]:
    """An IAM resource pattern as a regex: ``*`` any run (``/`` included), ``?`` one char."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)
