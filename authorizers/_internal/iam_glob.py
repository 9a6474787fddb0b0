"""IAM resource wildcards (``*`` any run, ``/`` and nothing included; ``?`` one character),
matched in linear time.

Request input (a method ARN of up to 1,600 bytes) meets policy patterns in the rules' refusal
path, the simulator and the cache replay. A backtracking regex (``.*`` per ``*``) takes
exponential time on patterns like ``*a*a*a*b``, so the patterns run as one bit-parallel NFA
instead: bit ``i`` set means "the first ``i`` tokens of a pattern are matched". Each input
character costs a handful of big-int operations, whatever the patterns look like, and all the
patterns of a :class:`GlobSet` advance together in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


class GlobSet:
    """Several IAM patterns matched together: :meth:`matches` says whether any matches the
    whole text, :meth:`matching` which ones do."""

    __slots__ = ("_accepts", "_by_char", "_question", "_star", "_start", "patterns")

    def __init__(self, patterns: Iterable[str], *, ignore_case: bool = False) -> None:
        self.patterns = tuple(patterns)
        by_char: dict[str, int] = {}
        question = star = start = 0
        accepts: list[int] = []
        offset = 0
        for pattern in self.patterns:
            start |= 1 << offset
            previous = ""
            for char in pattern.lower() if ignore_case else pattern:
                if char == "*" and previous == "*":
                    continue  # "**" is "*": keeps the epsilon closure a single shift
                bit = 1 << offset
                if char == "*":
                    star |= bit
                elif char == "?":
                    question |= bit
                else:
                    by_char[char] = by_char.get(char, 0) | bit
                previous = char
                offset += 1
            accepts.append(1 << offset)  # the state after the last token
            offset += 1  # no token at the accept bit: nothing shifts out of a pattern
        self._by_char = {char: bits | question for char, bits in by_char.items()}
        self._question, self._star, self._start = question, star, start
        self._accepts = tuple(accepts)

    def _run(self, text: str) -> int:
        star, question, by_char = self._star, self._question, self._by_char
        states = self._start | (self._start & star) << 1
        for char in text:
            states = (states & by_char.get(char, question)) << 1 | (states & star)
            if not states:
                return 0
            states |= (states & star) << 1
        return states

    def matches(self, text: str) -> bool:
        """Does some pattern match the whole of ``text``?"""
        states = self._run(text)
        return any(states & accept for accept in self._accepts)

    def matching(self, text: str) -> tuple[str, ...]:
        """The patterns that match the whole of ``text``, in order."""
        states = self._run(text)
        return tuple(
            p for p, accept in zip(self.patterns, self._accepts, strict=True) if states & accept
        )


@lru_cache(maxsize=1024)
def _single(pattern: str, ignore_case: bool) -> GlobSet:
    return GlobSet((pattern,), ignore_case=ignore_case)


def glob_matches(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard matching of one pattern against the whole text, in linear time."""
    if ignore_case:
        text = text.lower()
    return _single(pattern, ignore_case).matches(text)


@lru_cache(maxsize=256)
def glob_set(patterns: tuple[str, ...]) -> GlobSet:
    """A compiled set, kept for the policies a rules object hands out again and again."""
    return GlobSet(patterns)
