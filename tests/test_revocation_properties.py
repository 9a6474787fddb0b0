"""Property: the revocation check agrees with the plain definition of "revoked", whatever the
entries and the token's ids, cached or not (Hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorizers.clock import FakeClock
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.revocation.check import RevocationCheck
from authorizers.revocation.stores import CallableRevocations, StaticRevocations

IDS = st.sampled_from(["a", "b"])  # few values: collisions and boundaries are likely
TIMES = st.integers(min_value=0, max_value=2)


def reference(claims: dict[str, Any], jtis: set[str], origins: set[str], subjects: dict) -> bool:
    if claims.get("jti") in jtis or claims.get("origin_jti") in origins:
        return True
    sub = claims.get("sub")
    if sub not in subjects:
        return False
    before, iat = subjects[sub], claims.get("iat")
    return before is None or iat is None or iat < before


def verdict(check: RevocationCheck, claims: dict[str, Any]) -> bool:
    try:
        check({}, claims)
    except Unauthorized as error:
        assert error.reason is ReasonCode.TOKEN_REVOKED
        return True
    return False


@given(
    jtis=st.sets(IDS),
    origins=st.sets(IDS),
    subjects=st.dictionaries(IDS, st.none() | TIMES),
    tokens=st.lists(
        st.fixed_dictionaries(
            {},
            optional={"jti": IDS, "origin_jti": IDS, "sub": IDS, "iat": TIMES},
        ),
        min_size=1,
        max_size=8,
    ),
)
@pytest.mark.parametrize("cached", [False, True])
def test_the_check_agrees_with_the_definition(
    cached: bool,
    jtis: set[str],
    origins: set[str],
    subjects: dict[str, int | None],
    tokens: list[dict[str, Any]],
) -> None:
    static = StaticRevocations(jtis=jtis, origin_jtis=origins, subjects=subjects)
    # the callable store goes through the TTL cache and the remembered verdicts; static not
    store = (
        CallableRevocations(
            lambda kind, value: static.find([f"{kind.value}#{value}"]).get(f"{kind.value}#{value}")
        )
        if cached
        else static
    )
    check = RevocationCheck(store, maxsize=3, monotonic=FakeClock())
    for claims in tokens * 2:  # each twice: the second time from the caches
        assert verdict(check, claims) == reference(claims, jtis, origins, subjects)
