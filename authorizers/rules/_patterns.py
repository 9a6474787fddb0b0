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
from dataclasses import dataclass

from authorizers.errors import ConfigurationError
from authorizers.rules._selection import GREEDY, LITERAL, PARAM, PLACEHOLDER

VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ANY_VERB = "*"
_ONE_SEGMENT, _ANY_RUN = "\x01\x02", "\x03\x04"
GREEDY_RUN = _ANY_RUN  # a {proxy+} in a route's language
_REPEATED = {"\x02": "\x01", "\x04": "\x03"}  # repeat marker -> the class it repeats
_PRECEDENCE = {_ONE_SEGMENT: PARAM, _ANY_RUN: GREEDY}  # literal segments win, greedy loses
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
        bare = PLACEHOLDER.sub("", segment)
        if "{" in bare or "}" in bare or (bare and PLACEHOLDER.search(segment)):
            raise ConfigurationError(f"route path {path!r}: a parameter must fill its segment")
        if segment.endswith("+}") and position != len(segments) - 1:
            raise ConfigurationError(f"route path {path!r}: a greedy parameter must be last")
    erased = (PLACEHOLDER.sub(lambda m: _ANY_RUN if m[1] else _ONE_SEGMENT, s) for s in segments)
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


def glob_language(pattern: str) -> str:
    """An IAM pattern as a language: ``?`` any one character, ``*`` any run."""
    return pattern.replace("?", "\x03").replace("*", "\x04")


@dataclass(frozen=True, slots=True)
class RoutePatterns:
    """A route's languages and the IAM patterns that allow or deny it.

    Parameters are written ``?*`` (one character or more, as API Gateway fills them): ``*``
    alone would also match the empty string (``GET/*`` would match ``GET/``, the root).
    """

    allows: tuple[str, ...]  # its Allow patterns, relative to the stage: ("GET/pets/?*",)
    span: str  # the requests its patterns stand for, each "*" one segment (ANY: every verb)
    languages: tuple[str, ...]  # what it receives (ANY: per verb it does not leave to others)
    denials: tuple[str, ...]  # the Deny patterns covering exactly its verbs
    excess: tuple[str, ...]  # what ``allows`` match beyond the route, as Deny patterns
    rest_rank: tuple[tuple[int, ...], int]  # lower wins, as the REST resource walk orders
    http_rank: tuple[int, int, tuple[int, ...]]  # as authorizers.rules._selection.http_rank

    @property
    def pattern(self) -> str:
        return self.allows[0]


_LAST = (9,)
#: Every request of an API whose other routes are unknown: refused, lowest precedence, and
#: never denied as a whole (``*``): only what an Allow pattern matches beyond its own route.
UNKNOWN_ROUTES = RoutePatterns(("*",), "\x04", ("\x04",), (), (), (_LAST, 9), (9, 9, _LAST))
#: An HTTP API's ``$default`` route: every request no other route takes.
HTTP_DEFAULT = RoutePatterns(
    ("*",), "\x01\x02/\x04", ("\x01\x02/\x04",), ("*",), (), (_LAST, 8), (8, 8, _LAST)
)


def _excess(parts: list[tuple[str, bool]]) -> list[str]:
    """Beyond the route, a one-segment wildcard also matches text with "/" in it. A last
    segment keeps its trailing slash (``GET/pets/1/`` is the route: API Gateway ignores one),
    so there the excess is ``*/?*`` and the bare ``/`` (``GET/pets//``, an empty segment)."""
    last = len(parts) - 1
    excess: list[str] = []
    for k, (_, one_segment) in enumerate(parts):
        if not one_segment:
            continue
        for wide in ("*/?*", "/") if k == last else ("*/*",):
            excess.append("".join(wide if i == k else text for i, (text, _) in enumerate(parts)))
    return excess


def _slashed(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Patterns ending in a literal segment, and each with a trailing slash (``GET/pets``
    also as ``GET/pets/``): the same route, which no ``*`` at the end covers."""
    return tuple(x for pattern in patterns for x in (pattern, pattern + "/"))


def _with_trailing_slash(language: str) -> tuple[str, ...]:
    """What a route receives: its path, and the same with one trailing slash (which API
    Gateway's route selection ignores: :func:`authorizers.rules._selection.split_path`).
    A greedy last segment already takes it; the root has no segment to end."""
    if language.endswith((_ANY_RUN, "/")):
        return (language,)
    return (language, language + "/")


def compile_route(verb: str, path: str, taken: set[str]) -> RoutePatterns:
    """``path`` is a :func:`path_language`; ``taken``: verbs with their own route on this
    path (they win over ANY there)."""
    if path.startswith("$"):  # WebSocket: no verb in the ARN, a literal route key
        return RoutePatterns((path,), path, (path,), (path,), (), ((0,), 0), (0, 0, (0,)))
    any_verb = verb == ANY_VERB
    kinds = tuple(_PRECEDENCE.get(s, LITERAL) for s in path.split("/")[1:])
    # "*/pets" would also deny "GET/pets" when GET has a route of its own: spell out
    # the verbs this ANY route really receives.
    verbs = sorted(VERBS - taken) if any_verb else [verb]
    span = (_ONE_SEGMENT if any_verb else verb) + path
    alone = any_verb and len(taken) == 1  # every verb: the span, in one automaton run
    languages = (span,) if alone else tuple(v + path for v in verbs)
    languages = tuple(x for language in languages for x in _with_trailing_slash(language))
    tail: list[tuple[str, bool]] = []  # (text, a one-segment wildcard)
    for segment in path.split("/")[1:]:
        wild = segment in _PRECEDENCE
        tail += [("/", False), ("?*" if wild else segment, segment == _ONE_SEGMENT)]
    rest = "".join(text for text, _ in tail)
    denials = tuple(v + rest for v in verbs)
    allows: tuple[str, ...] = (verb + rest,)
    excess = _excess([(verb, any_verb), *tail])
    own = _Language(span)
    if any_verb and (path == "/" or own.meets(_Language(glob_language(excess[0])))):
        # "*/?*": a verb-spanning match of "*" is also a match of the route itself, so no
        # Deny can take one without the other; one Allow per verb has no such excess. The
        # root's "*/" would need "*/*/", which denies every trailing slash of the API.
        allows, excess = denials, [x for v in verbs for x in _excess([(v, False), *tail])]
    if path != "/" and kinds[-1] == LITERAL:  # a literal last segment: its trailing slash too
        allows, denials = _slashed(allows), _slashed(denials)
        excess = list(_slashed(tuple(excess)))
    return RoutePatterns(
        allows,
        span,
        languages,
        denials,
        tuple(excess),
        (kinds, int(any_verb)),
        (int(any_verb), int(GREEDY in kinds), kinds),
    )
