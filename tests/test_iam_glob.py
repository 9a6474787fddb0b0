"""The linear-time IAM wildcard matcher: the same answers as a plain regex on small inputs,
and no blow-up on the inputs that make a backtracking regex take exponential time."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from authorizers._internal.iam_glob import GlobSet, glob_matches

PATTERNS = st.text(alphabet="ab/*?", max_size=8)
TEXTS = st.text(alphabet="ab/", max_size=10)


def regex_matches(pattern: str, text: str) -> bool:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch("".join(parts), text, re.DOTALL) is not None


@given(pattern=PATTERNS, text=TEXTS)
def test_one_pattern_matches_as_the_regex_does(pattern: str, text: str) -> None:
    assert glob_matches(pattern, text) is regex_matches(pattern, text)


@given(patterns=st.lists(PATTERNS, max_size=4), text=TEXTS)
def test_a_set_reports_each_matching_pattern(patterns: list[str], text: str) -> None:
    found = GlobSet(patterns)
    expected = tuple(p for p in patterns if regex_matches(p, text))
    assert found.matching(text) == expected
    assert found.matches(text) is bool(expected)


def test_iam_semantics() -> None:
    assert glob_matches("GET/*", "GET/")  # "*" matches nothing
    assert not glob_matches("GET/?*", "GET/")  # "?*": one character at least
    assert glob_matches("GET/pets/*", "GET/pets/1/secret")  # "*" spans "/"
    assert glob_matches("*/$connect", "prod/$connect")  # "$" is literal
    assert not glob_matches("a.c", "abc")  # "." is literal
    assert glob_matches("EXECUTE-API:*", "execute-api:Invoke", ignore_case=True)
    assert not glob_matches("EXECUTE-API:*", "execute-api:Invoke")


def test_pathological_patterns_stay_linear() -> None:
    """``*a*a*...*b`` against 1,563 characters of ``a``: exponential for a regex."""
    text = "a" * 1563
    assert not glob_matches("*a" * 60 + "*b", text)
    assert glob_matches("*a" * 60 + "*", text)
    assert not GlobSet(["*a" * n + "*b" for n in range(1, 40)]).matches(text)
