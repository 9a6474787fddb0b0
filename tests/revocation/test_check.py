"""The revocation check on a real JwtValidator: by jti, origin_jti, subject and issued-before;
its bounded, TTL-limited cache; and a store that cannot answer fails closed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import InfrastructureError, ReasonCode, Unauthorized
from authorizers.revocation.base import Revocation, RevokedBy, revocation_key
from authorizers.revocation.check import RevocationCheck
from authorizers.revocation.stores import CallableRevocations, StaticRevocations
from authorizers.testing import TestIssuer
from authorizers.validators.jwt import IssuerConfig, JwtValidator


class CountingStore:
    """A store whose entries tests change, counting the keys it was asked for."""

    name = "counting"

    def __init__(self) -> None:
        self.entries: dict[str, Revocation] = {}
        self.asked: list[str] = []
        self.down = False

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]:
        if self.down:
            raise InfrastructureError(ReasonCode.STORE_UNAVAILABLE, "counting: down")
        self.asked.extend(keys)
        return {key: self.entries[key] for key in keys if key in self.entries}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def issuer(clock: FakeClock) -> TestIssuer:
    return TestIssuer(clock=clock)


def validator_for(issuer: TestIssuer, check: RevocationCheck, clock: FakeClock) -> JwtValidator:
    config = IssuerConfig(
        issuer.issuer, keys=_keys(issuer), audience=issuer.audience, checks=[check]
    )
    return JwtValidator([config], clock=clock)


def _keys(issuer: TestIssuer) -> object:
    from authorizers.jwks.sources import StaticJwks  # noqa: PLC0415

    return StaticJwks(issuer.jwks)


def reason(validator: JwtValidator, token: str) -> ReasonCode:
    with pytest.raises(Unauthorized) as raised:
        validator.verify(token)
    return raised.value.reason


def test_static_list_revokes_by_jti_origin_jti_and_subject(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    store = StaticRevocations(
        jtis=["stolen"], origin_jtis=["sign-in-1"], subjects={"mallory": None}
    )
    validator = validator_for(issuer, RevocationCheck(store), clock)
    assert reason(validator, issuer.mint({"jti": "stolen"})) is ReasonCode.TOKEN_REVOKED
    family = issuer.mint({"origin_jti": "sign-in-1"})
    assert reason(validator, family) is ReasonCode.TOKEN_REVOKED
    assert reason(validator, issuer.mint(subject="mallory")) is ReasonCode.TOKEN_REVOKED
    assert validator.verify(issuer.mint({"origin_jti": "sign-in-2"})).principal_id
    assert validator.verify(issuer.mint(subject="alice")).principal_id == "alice"


def test_subject_before_revokes_only_older_tokens(issuer: TestIssuer, clock: FakeClock) -> None:
    cutoff = clock.now
    store = StaticRevocations(subjects={"user-1": cutoff})
    validator = validator_for(issuer, RevocationCheck(store), clock)
    assert reason(validator, issuer.mint(issued_at=-60)) is ReasonCode.TOKEN_REVOKED
    assert validator.verify(issuer.mint(issued_at=1)).principal_id == "user-1"
    # no iat: it cannot be shown to be newer than the cut-off, so it is refused
    assert reason(validator, issuer.mint(omit=["iat"])) is ReasonCode.TOKEN_REVOKED


def test_a_revocation_reaches_a_token_already_in_the_validators_cache(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    store = CountingStore()
    check = RevocationCheck(store, ttl=5, monotonic=clock)
    validator = validator_for(issuer, check, clock)
    token = issuer.mint({"jti": "j1"})
    assert validator.verify(token).principal_id == "user-1"
    store.entries[revocation_key(RevokedBy.JTI, "j1")] = Revocation()
    assert validator.verify(token).principal_id == "user-1"  # cached "not revoked", < ttl
    assert validator.cached_identity(token) is not None  # cached at its second verification
    clock.advance(5)
    assert reason(validator, token) is ReasonCode.TOKEN_REVOKED


def test_answers_are_cached_per_key_for_the_ttl(issuer: TestIssuer, clock: FakeClock) -> None:
    store = CountingStore()
    validator = validator_for(issuer, RevocationCheck(store, ttl=10, monotonic=clock), clock)
    token = issuer.mint({"jti": "j1", "origin_jti": "o1"})
    for _ in range(100):
        validator.verify(token)
    assert sorted(store.asked) == ["jti#j1", "origin_jti#o1", "sub#user-1"]
    validator.verify(issuer.mint({"jti": "j2"}))  # the subject's answer is shared
    assert store.asked[3:] == ["jti#j2"]
    clock.advance(10)
    validator.verify(token)
    assert len(store.asked) == 7


def test_the_cache_is_bounded(issuer: TestIssuer, clock: FakeClock) -> None:
    store = CountingStore()
    check = RevocationCheck(store, maxsize=8, monotonic=clock)
    validator = validator_for(issuer, check, clock)
    for n in range(50):
        validator.verify(issuer.mint({"jti": f"j{n}"}))
    assert check._cache is not None and len(check._cache) == 8


def test_store_failure_fails_closed_and_is_not_cached(issuer: TestIssuer, clock: FakeClock) -> None:
    store = CountingStore()
    validator = validator_for(issuer, RevocationCheck(store, monotonic=clock), clock)
    token = issuer.mint()
    store.down = True
    with pytest.raises(InfrastructureError) as raised:
        validator.verify(token)
    assert raised.value.reason is ReasonCode.STORE_UNAVAILABLE
    store.down = False
    assert validator.verify(token).principal_id == "user-1"


def test_callable_store_errors_and_odd_answers_fail_closed(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    def lookup(kind: RevokedBy, value: str) -> bool | None:
        if value == "boom":
            raise ConnectionError("down")
        return kind is RevokedBy.SUBJECT and value == "mallory"

    validator = validator_for(issuer, RevocationCheck(CallableRevocations(lookup)), clock)
    assert validator.verify(issuer.mint()).principal_id == "user-1"
    assert reason(validator, issuer.mint(subject="mallory")) is ReasonCode.TOKEN_REVOKED
    with pytest.raises(InfrastructureError):
        validator.verify(issuer.mint({"jti": "boom"}))
    odd = RevocationCheck(CallableRevocations(lambda kind, value: "yes"))  # type: ignore[arg-type,return-value]
    with pytest.raises(InfrastructureError):
        odd({}, {"sub": "alice"})


@pytest.mark.parametrize("value", [12, "", "x" * 5000, ["a"]])
def test_unusable_ids_are_refused_before_any_lookup(value: object) -> None:
    store = CountingStore()
    with pytest.raises(Unauthorized) as raised:
        RevocationCheck(store)({}, {"jti": value, "sub": "alice"})
    assert raised.value.reason is ReasonCode.INVALID_CLAIM
    assert store.asked == []


def test_static_list_rejects_bad_entries_at_cold_start() -> None:
    from authorizers.errors import ConfigurationError  # noqa: PLC0415

    with pytest.raises(ConfigurationError):
        StaticRevocations(jtis=[""])
    with pytest.raises(ConfigurationError):
        StaticRevocations(subjects={"alice": float("inf")})


def test_the_remembered_verdict_ends_with_its_earliest_answer(clock: FakeClock) -> None:
    store = CountingStore()
    check = RevocationCheck(store, ttl=10, monotonic=clock)
    claims = {"sub": "alice", "jti": "j1"}
    check({}, claims)
    clock.advance(5)
    check({}, {"sub": "alice", "jti": "j2"})  # refreshes nothing: sub#alice is 5 s old
    store.entries["jti#j1"] = Revocation()
    check({}, claims)  # remembered: both answers are younger than 10 s
    clock.advance(5)
    with pytest.raises(Unauthorized):
        check({}, claims)
    assert store.asked.count("jti#j1") == 2


def test_the_same_claims_object_is_answered_by_its_remembered_verdict(clock: FakeClock) -> None:
    """A validator's cache hit passes the same claims object again: the verdict remembered
    for it answers, without the per-key cache; an equal, new claims object is checked."""
    store = CountingStore()
    check = RevocationCheck(store, monotonic=clock)
    claims = {"sub": "alice"}
    check({}, claims)
    assert check._cache is not None
    check._cache.clear()
    store.entries["sub#alice"] = Revocation()
    check({}, claims)
    assert store.asked == ["sub#alice"]
    with pytest.raises(Unauthorized):
        check({}, {"sub": "alice"})


def test_invalidate_forgets_remembered_verdicts(clock: FakeClock) -> None:
    store = CountingStore()
    check = RevocationCheck(store, monotonic=clock)
    claims = {"sub": "alice"}
    check({}, claims)
    store.entries["sub#alice"] = Revocation()
    check({}, claims)
    check.invalidate()
    with pytest.raises(Unauthorized):
        check({}, claims)


def test_remembered_verdicts_are_bounded(clock: FakeClock) -> None:
    check = RevocationCheck(CountingStore(), maxsize=16, monotonic=clock)
    for n in range(100):
        check({}, {"sub": f"user-{n}"})
    assert len(check._memo) == 16
