"""An upper bound on ``exp`` (issue 14.4): a date past year 9999 is refused everywhere, and
``max_lifetime`` bounds ``exp - iat`` (``exp - now`` without ``iat``)."""

from __future__ import annotations

from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.config import build_authorizer
from authorizers.errors import AuthorizerError, ConfigurationError, ReasonCode
from authorizers.jwks.sources import StaticJwks
from authorizers.testing import TestIssuer
from authorizers.validators.jwt import JwtValidator

NOW = 1_767_225_600
ISSUER = TestIssuer("https://idp.example", clock=lambda: NOW)


def validator(clock: Any = lambda: float(NOW), **settings: Any) -> JwtValidator:
    return JwtValidator(
        issuer=ISSUER.issuer,
        keys=StaticJwks(ISSUER.jwks),
        audience=ISSUER.audience,
        clock=clock,
        **settings,
    )


def reason(jwt: JwtValidator, token: str) -> ReasonCode | None:
    try:
        jwt.verify(token)
    except AuthorizerError as error:
        return error.reason
    return None


@pytest.mark.parametrize("exp", [1e20, 1e300, 10**400, -(10**400), 253_402_300_800])
@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
def test_dates_beyond_any_representable_bound_are_refused_without_a_max_lifetime(
    exp: Any, name: str
) -> None:
    claims = {"exp": NOW + 60, name: exp}
    assert reason(validator(), ISSUER.mint(claims)) is ReasonCode.INVALID_CLAIM


def test_the_last_second_of_year_9999_is_still_a_date() -> None:
    assert reason(validator(), ISSUER.mint({"exp": 253_402_300_799})) is None


def test_max_lifetime_bounds_exp_minus_iat() -> None:
    jwt = validator(max_lifetime=3600)
    assert reason(jwt, ISSUER.mint({"iat": NOW - 10, "exp": NOW - 10 + 3600})) is None
    too_long = ISSUER.mint({"iat": NOW - 10, "exp": NOW - 10 + 3601})
    assert reason(jwt, too_long) is ReasonCode.INVALID_CLAIM
    # an old iat cannot stretch it: exp - iat is what counts
    assert reason(jwt, ISSUER.mint({"iat": NOW - 7000, "exp": NOW + 100})) is (
        ReasonCode.INVALID_CLAIM
    )


def test_max_lifetime_bounds_exp_minus_now_without_iat() -> None:
    jwt = validator(max_lifetime=3600)
    assert reason(jwt, ISSUER.mint({"exp": NOW + 3600}, omit=["iat"])) is None
    assert reason(jwt, ISSUER.mint({"exp": NOW + 3600 + 31}, omit=["iat"])) is (
        ReasonCode.INVALID_CLAIM
    )


def test_max_lifetime_is_checked_again_on_a_cache_hit() -> None:
    clock = FakeClock(float(NOW))
    jwt = validator(clock, max_lifetime=3600)
    token = ISSUER.mint({"exp": NOW + 3600}, omit=["iat"])
    assert reason(jwt, token) is None
    assert reason(jwt, token) is None  # verified again: cached at its second verification
    assert jwt.cached_identity(token) is not None  # what follows are cache hits
    clock.advance(10)
    assert reason(jwt, token) is None
    clock.now = float(NOW - 31)  # set back: now exp - now - leeway is over max_lifetime
    assert reason(jwt, token) is ReasonCode.INVALID_CLAIM


@pytest.mark.parametrize("bad", [0, -1, True, float("nan")])
def test_max_lifetime_must_be_positive(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_lifetime"):
        validator(max_lifetime=bad)


def test_max_lifetime_in_the_json_config() -> None:
    entry = {"issuer": ISSUER.issuer, "jwks": ISSUER.jwks, "audience": ISSUER.audience}
    document = {"validators": [{"type": "jwt", "issuers": [{**entry, "max_lifetime": 60}]}]}
    authorizer = build_authorizer(document, clock=lambda: float(NOW))
    jwt = authorizer._validator  # type: ignore[attr-defined]
    assert reason(jwt, ISSUER.mint({"iat": NOW, "exp": NOW + 60})) is None
    assert reason(jwt, ISSUER.mint({"iat": NOW, "exp": NOW + 61})) is ReasonCode.INVALID_CLAIM
    document["validators"][0]["issuers"][0]["max_lifetime"] = 0
    with pytest.raises(ConfigurationError, match="max_lifetime"):
        build_authorizer(document)
