"""Differential testing against PyJWT over the corpus and over byte-level mutations.

``tests/validators/test_jwt_differential.py`` compares JwtValidator with PyJWT on its own named
tokens, generated claims and headers, and character edits. This module adds what that one does
not reach: every case of the adversarial corpus (two trusted issuers, Cognito profiles), every
single-bit flip of every decoded segment, cut-and-paste of segments between valid tokens, and
every truncation. Where a case names an intended difference (docs/security.md), the difference
must still exist - we reject, PyJWT accepts - so the list cannot go stale."""

from __future__ import annotations

import itertools
import re
from operator import attrgetter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorizers.identity import Identity

from .cases import CASES, DIFFERENCES, Case
from .mutations import SEGMENTS, bit_flips, mutated, splice, truncations
from .profiles import Profile, pyjwt_at_now
from .runner import Corpus, verify

SECURITY_DOC = Path(__file__).parents[2] / "docs" / "security.md"
#: Cases PyJWT rejects only on some interpreters: json's recursion limit differs (Python 3.13
#: parses 5,000 levels, 3.11 raises RecursionError). Ours must reject on every interpreter.
INTERPRETER_DEPENDENT = frozenset({"nesting-5000"})
#: Positive controls of the corpus used as the seeds of mutation (one per algorithm/issuer).
SEEDS = ("rs256-valid", "es256-valid", "eddsa-valid", "other-issuer-valid")


def _accepts(profile: Profile, token: str, validator: object = None) -> tuple[bool, bool]:
    """(ours, PyJWT's) verdicts, by ``validator`` or a fresh one of the profile."""
    ours = verify(validator or profile.validator(), token)
    return isinstance(ours, Identity), profile.oracle(token)


@pytest.fixture(scope="module")
def seeds(corpus: Corpus) -> list[str]:
    by_id = {case.id: case for case in CASES}
    return [corpus.token(by_id[case_id]) for case_id in SEEDS]


@pytest.fixture(scope="module")
def jwt_profile(corpus: Corpus) -> Profile:
    return corpus.profiles["jwt"]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("id"))
def test_corpus_case(case: Case, corpus: Corpus, pyjwt_now: None) -> None:
    ours, theirs = _accepts(corpus.profiles[case.profile], corpus.token(case))
    if case.pyjwt == "same":
        assert ours == theirs, f"we {'accept' if ours else 'reject'}, PyJWT does not"
    elif case.id in INTERPRETER_DEPENDENT:
        assert not ours
    else:
        assert (ours, theirs) == (False, True), f"{case.pyjwt!r} is no longer a difference"


def test_every_difference_is_exercised_and_documented() -> None:
    used = {case.pyjwt for case in CASES} - {"same"}
    assert used == DIFFERENCES
    section = SECURITY_DOC.read_text().split("## Intended differences from PyJWT")[1]
    table = section.split("\n## ")[0]
    assert set(re.findall(r"^\| `([a-z-]+)` \|", table, re.MULTILINE)) == DIFFERENCES


@pytest.mark.parametrize("segment", range(3), ids=SEGMENTS)
@pytest.mark.parametrize("seed", range(3), ids=SEEDS[:3])
def test_single_bit_flips_are_rejected_by_both(
    seeds: list[str], jwt_profile: Profile, seed: int, segment: int, pyjwt_now: None
) -> None:
    """Every bit of header and payload; one bit per byte of the signature (whose bytes all
    reach the same verify call, so every bit of them adds time, not coverage)."""
    validator = jwt_profile.validator()
    flips = bit_flips(seeds[seed], segment, every_bit=SEGMENTS[segment] != "signature")
    accepted = [
        (index, verdict)
        for index, flipped in enumerate(flips)
        if any(verdict := _accepts(jwt_profile, flipped, validator))
    ]
    assert not accepted, f"bit flips accepted (flip, (ours, PyJWT)): {accepted[:5]}"


def test_segment_splices_are_accepted_only_when_nothing_was_spliced(
    seeds: list[str], jwt_profile: Profile, pyjwt_now: None
) -> None:
    indexes = range(len(seeds))
    validator = jwt_profile.validator()
    for picks in itertools.product(indexes, indexes, indexes):
        ours, theirs = _accepts(jwt_profile, splice(seeds, *picks), validator)
        assert ours == theirs == (len(set(picks)) == 1), picks


@pytest.mark.parametrize("seed", range(len(SEEDS)), ids=SEEDS)
def test_every_truncation_is_rejected_by_both(
    seeds: list[str], jwt_profile: Profile, seed: int, pyjwt_now: None
) -> None:
    validator = jwt_profile.validator()
    cuts = truncations(seeds[seed])
    accepted = [cut for cut in cuts if any(_accepts(jwt_profile, cut, validator))]
    assert not accepted, f"{len(accepted)} truncations accepted"


@given(data=st.data())  # the test profile's example count: make fuzz runs 10,000
def test_mutations_agree(corpus: Corpus, data: st.DataObject) -> None:
    seeds = [corpus.token(case) for case in CASES if case.id in SEEDS]
    original, token = data.draw(mutated(seeds), label="mutation")
    with pyjwt_at_now():
        ours, theirs = _accepts(corpus.profiles["jwt"], token)
    assert not ours
    if theirs:  # the one mutation PyJWT forgives: '=' padding (strict-encoding)
        assert token.rstrip("=") == original
