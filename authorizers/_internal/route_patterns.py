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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from authorizers.errors import ConfigurationError

VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ANY_VERB = "*"
_PARAM = re.compile(r"\{[A-Za-z0-9_.:-]+(\+?)\}")
_ONE_SEGMENT, _ANY_RUN = "\x01\x02", "\x03\x04"
_REPEATED = {"\x02": "\x01", "\x04": "\x03"}  # repeat marker -> the class it repeats
_PRECEDENCE = {_ONE_SEGMENT: 1, _ANY_RUN: 2}  # literal segments (0) win, greedy loses
_CLASS = re.compile("[\x01-\x04]")


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


def _literal_head(text: str) -> str:
    wild = _CLASS.search(text)
    return text if wild is None else text[: wild.start()]


def _one_starts_other(left: str, right: str) -> bool:
    return left.startswith(right) or right.startswith(left)


class _Language:
    """A language and its literal ends, which rule out most pairs of a route table with a few
    string comparisons before an automaton has to run: a string both contain starts with both
    heads and ends with both tails. When no class before the first ``/`` can match ``/`` (a
    verb, or ``{verb}`` of ANY), the path after it starts with ``path_head`` as well."""

    __slots__ = ("_automaton", "_head", "_path_head", "_reversed_tail", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._head = _literal_head(text)
        self._reversed_tail = _literal_head(text[::-1])
        verb, slash, path = text.partition("/")
        aligned = slash and "\x03" not in verb and "\x04" not in verb
        self._path_head = _literal_head(path) if aligned else None
        self._automaton: _Automaton | None = None

    def meets(self, other: _Language) -> bool:
        """Is there a string both languages contain?"""
        if not _one_starts_other(self._head, other._head):
            return False
        if not _one_starts_other(self._reversed_tail, other._reversed_tail):
            return False
        mine, theirs = self._path_head, other._path_head
        if mine is not None and theirs is not None and not _one_starts_other(mine, theirs):
            return False
        if self._automaton is None:
            self._automaton = _Automaton(self.text)
        return self._automaton.meets(other.text)


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


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class RouteTable:
    """Routes in precedence order (most specific first): which one a request is routed to,
    and the Allow and Deny patterns that grant exactly a set of them (a bit mask).

    Overlaps are worked out per route on first use and kept: a policy needs them only for
    its allowed routes and the refused routes their patterns reach, and an identity allowed
    everything needs none beyond its own patterns' reach.
    """

    def __init__(self, routes: Sequence[RoutePatterns]) -> None:
        self._routes = tuple(routes)
        # One regex, alternatives in precedence order: the first that matches is the route.
        self._router = re.compile("|".join(f"({route.regex})" for route in self._routes))
        self._languages: dict[str, _Language] = {}
        self._receives = [tuple(map(self._language, r.languages)) for r in self._routes]
        self._reach = cache(self._reach_of)
        self._direct = cache(self._direct_of)
        self._own = cache(self._own_of)
        self._excess = cache(self._excess_of)

    def route_index(self, called: str) -> int | None:
        """The route receiving ``called`` (``"GET/pets/1"``, ``"$connect"``), if any."""
        match = self._router.fullmatch(called)
        return match.lastindex - 1 if match and match.lastindex else None

    def _language(self, text: str) -> _Language:
        known = self._languages.get(text)
        if known is None:
            known = self._languages[text] = _Language(text)
        return known

    def _hits(self, patterns: tuple[str, ...]) -> int:
        """The routes that some request matched by one of ``patterns`` is routed to."""
        languages = [self._language(pattern.replace("*", "\x04")) for pattern in patterns]
        return sum(
            1 << i
            for i, receives in enumerate(self._receives)
            if any(language.meets(other) for language in languages for other in receives)
        )

    def _reach_of(self, a: int) -> int:
        """The other routes that requests matched by route a's Allow pattern are routed to."""
        return self._hits((self._routes[a].pattern,)) & ~(1 << a)

    def _direct_of(self, a: int) -> int:
        """The more specific routes taking requests from a's own range (``/pets/mine`` in
        ``/pets/{id}``): only their own patterns can deny them. A subset of a's reach."""
        span = self._language(self._routes[a].span)
        reached = self._reach(a) & ((1 << a) - 1)
        return sum(1 << f for f in _bits(reached) if any(map(span.meets, self._receives[f])))

    def _own_of(self, f: int) -> tuple[tuple[str, ...], int]:
        """Route f's own Deny patterns, and the other routes they hit."""
        denials = self._routes[f].denials
        return denials, self._hits(denials) & ~(1 << f)

    def _excess_of(self, a: int) -> tuple[tuple[str, int], ...]:
        """Each pattern for what a's Allow pattern matches beyond a, and the routes it hits."""
        return tuple((x, self._hits((x,))) for x in self._routes[a].excess)

    def policy(self, mask: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Allow and Deny patterns granting exactly the routes in ``mask``.

        A refused route f reached by an allowed route a's pattern is denied by f's own
        patterns, or by a's excess (what its one-segment ``*`` matches beyond one segment).
        f's own is required when f is direct (see ``_direct_of``); otherwise the one that
        hits fewer routes the identity may call is taken.
        """
        allowed = list(_bits(mask))
        refused = (1 << len(self._routes)) - 1 & ~mask
        deny: dict[str, None] = {}
        for a in allowed if refused else ():
            for f in _bits(self._reach(a) & refused):
                chosen, own_hits = self._own(f)
                if not self._direct(a) >> f & 1:
                    excess = [(x, hits) for x, hits in self._excess(a) if hits >> f & 1]
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
