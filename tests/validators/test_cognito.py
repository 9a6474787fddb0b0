"""CognitoValidator: issuers from pool ids, token_use, app clients, groups, several pools.

Tokens come from ``CognitoTestIssuer`` (Cognito's claim layout, two keys per pool), keys from a
``JwksServer`` on 127.0.0.1 behind the JWKS-URL override; time is a ``FakeClock``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import AuthorizerError, ConfigurationError, Forbidden, ReasonCode
from authorizers.jwks.keys import VerificationKey
from authorizers.testing.cognito import CognitoTestIssuer
from authorizers.testing.issuer import BrokenToken
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.cognito import CognitoValidator, cognito_issuers, cognito_jwks_url

POOL = "eu-west-1_Pool1"
CLIENT = "client-one"


START = 1_700_000_000
_CLOCK = FakeClock(START)  # shared by the module's pool (RSA keys are slow to generate)


@pytest.fixture
def clock() -> FakeClock:
    _CLOCK.now = START
    return _CLOCK


@pytest.fixture(scope="module")
def _served_pool() -> Iterator[tuple[CognitoTestIssuer, JwksServer]]:
    issuer = CognitoTestIssuer(POOL, (CLIENT, "client-two"), clock=_CLOCK)
    with issuer.serve() as server:
        yield issuer, server


@pytest.fixture
def pool(
    _served_pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> tuple[CognitoTestIssuer, JwksServer]:
    _served_pool[1].reset_counts()
    return _served_pool


def validator_for(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock, **options: Any
) -> CognitoValidator:
    _, server = pool
    options.setdefault("client_ids", [CLIENT])
    return CognitoValidator(
        POOL, jwks_url=server.jwks_url, allow_http_loopback=True, clock=clock, **options
    )


def reason(validator: CognitoValidator, token: str) -> ReasonCode:
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(token)
    return caught.value.reason


# --- configuration --------------------------------------------------------------------------


def test_issuers_and_jwks_url_come_from_the_pool_id() -> None:
    assert cognito_issuers("us-east-1_AbC123") == (
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
        "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
    )
    assert cognito_issuers("cn-north-1_X")[0] == (
        "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X"
    )
    assert cognito_issuers("us-gov-west-1_X")[1] == (
        "https://issuer-cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_X"
    )
    assert cognito_jwks_url("ap-southeast-2_Q") == (
        "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_Q/.well-known/jwks.json"
    )


@pytest.mark.parametrize(
    "pool_id", ["", "pool", "us-east-1", "_abc", "us-east-1_", "us-east-1_a/b"]
)
def test_malformed_pool_ids_are_refused(pool_id: str) -> None:
    with pytest.raises(ConfigurationError):
        CognitoValidator(pool_id, CLIENT)


def test_configuring_needs_no_network() -> None:
    # Real AWS URLs, nothing reachable: construction must not try (no hydrate() trap).
    validator = CognitoValidator(["us-east-1_A", "eu-west-1_B"], CLIENT, token_use="both")
    assert len(validator.issuers) == 4


def test_unsafe_or_inconsistent_settings() -> None:
    with pytest.raises(ConfigurationError):
        CognitoValidator(POOL, None)
    with pytest.raises(ConfigurationError):
        CognitoValidator(POOL, [])
    with pytest.raises(ConfigurationError):
        CognitoValidator(POOL, CLIENT, verify_client_id=False)
    with pytest.raises(ConfigurationError):
        CognitoValidator(POOL, CLIENT, token_use="refresh")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        CognitoValidator([], CLIENT)
    with pytest.raises(ConfigurationError):
        CognitoValidator([POOL, "us-east-1_B"], CLIENT, jwks_url="https://x.test/jwks.json")
    with pytest.raises(ConfigurationError):
        CognitoValidator(POOL, CLIENT, jwks_url={"us-east-1_Other": "https://x.test/j"})
    with pytest.raises(ConfigurationError):  # HTTP only to loopback, and only when allowed
        CognitoValidator(POOL, CLIENT, jwks_url="http://127.0.0.1:1/jwks.json")


# --- token_use and app clients ------------------------------------------------------------


def test_access_tokens_by_default(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock)
    identity = validator.verify(issuer.access_token(groups=["admins"], scopes=["openid"]))
    assert identity.validator == "cognito"
    assert identity.groups == {"admins"}
    assert identity.scopes == {"openid"}
    assert identity.issuer == issuer.classic_issuer
    assert identity.claims["username"] == "alice"
    assert reason(validator, issuer.id_token()) is ReasonCode.WRONG_TOKEN_USE


def test_id_tokens(pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, token_use="id")
    assert validator.verify(issuer.id_token(email="a@example.com")).claims["email"]
    assert reason(validator, issuer.access_token()) is ReasonCode.WRONG_TOKEN_USE
    assert reason(validator, issuer.m2m_token()) is ReasonCode.WRONG_TOKEN_USE


def test_both_token_uses(pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, token_use="both")
    assert validator.verify(issuer.id_token())
    assert validator.verify(issuer.access_token())
    for use in ("refresh", "ID", None, ["id"]):
        claims = {"token_use": use}
        assert reason(validator, issuer.access_token(claims=claims)) is ReasonCode.WRONG_TOKEN_USE
    missing = issuer.access_keys.mint({"client_id": CLIENT})
    assert reason(validator, missing) is ReasonCode.WRONG_TOKEN_USE


def test_app_client_is_aud_on_id_tokens_and_client_id_on_access_tokens(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, token_use="both")
    assert reason(validator, issuer.id_token(client_id="client-two")) is ReasonCode.WRONG_AUDIENCE
    other = issuer.access_token(client_id="client-two")
    assert reason(validator, other) is ReasonCode.WRONG_AUDIENCE
    # an ID token's aud is what counts, never a client_id claim it happens to carry
    forged = issuer.id_token(client_id="client-two", claims={"client_id": CLIENT})
    assert reason(validator, forged) is ReasonCode.WRONG_AUDIENCE
    # and an access token's client_id, never an aud
    smuggled = issuer.access_token(client_id="client-two", claims={"aud": CLIENT})
    assert reason(validator, smuggled) is ReasonCode.WRONG_AUDIENCE
    both = validator_for(pool, clock, token_use="both", client_ids=[CLIENT, "client-two"])
    assert both.verify(issuer.id_token(client_id="client-two"))
    anyone = validator_for(pool, clock, client_ids=None, verify_client_id=False)
    assert anyone.verify(issuer.access_token(client_id="someone-else"))


def test_machine_to_machine_tokens_and_scopes(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, scopes_any=["https://api.example.com/read"])
    identity = validator.verify(issuer.m2m_token())
    assert identity.principal_id == CLIENT
    denied = issuer.m2m_token(scopes=["https://api.example.com/write"])
    with pytest.raises(Forbidden) as caught:
        validator.verify(denied)
    assert caught.value.reason is ReasonCode.INSUFFICIENT_SCOPE


def test_groups_from_cognito_groups(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, token_use="id", groups_any=["admins", "ops"])
    assert validator.verify(issuer.id_token(groups=["ops"])).groups == {"ops"}
    for groups in ([], ["readers"]):
        with pytest.raises(Forbidden) as caught:
            validator.verify(issuer.id_token(groups=groups))
        assert caught.value.reason is ReasonCode.INSUFFICIENT_GROUP


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (BrokenToken.EXPIRED, ReasonCode.EXPIRED),
        (BrokenToken.NOT_YET_VALID, ReasonCode.NOT_YET_VALID),
        (BrokenToken.BAD_SIGNATURE, ReasonCode.BAD_SIGNATURE),
        (BrokenToken.FOREIGN_KEY, ReasonCode.BAD_SIGNATURE),
        (BrokenToken.MISSING_KID, ReasonCode.UNKNOWN_KEY),
        (BrokenToken.ALG_NONE, ReasonCode.DISALLOWED_ALGORITHM),
        (BrokenToken.WRONG_ALG, ReasonCode.DISALLOWED_ALGORITHM),
        (BrokenToken.HS256_WITH_PUBLIC_KEY, ReasonCode.DISALLOWED_ALGORITHM),
    ],
)
def test_broken_tokens(
    pool: tuple[CognitoTestIssuer, JwksServer],
    clock: FakeClock,
    kind: BrokenToken,
    expected: ReasonCode,
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock, token_use="both")
    assert reason(validator, issuer.access_token(broken=kind)) is expected
    assert reason(validator, issuer.id_token(broken=kind)) is expected


def test_only_rs256_unless_configured(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    token = issuer.access_keys.mint(
        {"token_use": "access", "client_id": CLIENT}, headers={"alg": "RS512"}
    )
    assert reason(validator_for(pool, clock), token) is ReasonCode.DISALLOWED_ALGORITHM


# --- issuer forms, several pools, keys -----------------------------------------------------


def test_both_issuer_forms_share_one_key_fetch(clock: FakeClock) -> None:
    issuer = CognitoTestIssuer(POOL, (CLIENT,), clock=clock)
    with issuer.serve() as server:  # its own server: no key cache shared with other tests
        validator = CognitoValidator(
            POOL, CLIENT, jwks_url=server.jwks_url, allow_http_loopback=True, clock=clock
        )
        assert server.fetch_count() == 0
        updated = issuer.access_token(claims={"iss": issuer.updated_issuer})
        assert validator.verify(updated).issuer == issuer.updated_issuer
        assert validator.verify(issuer.access_token()).issuer == issuer.classic_issuer
        validator.prefetch()
        assert server.fetch_count() == 1
        for other in ("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool2", "x"):
            token = issuer.access_token(claims={"iss": other})
            assert reason(validator, token) is ReasonCode.WRONG_ISSUER


def test_several_pools(clock: FakeClock) -> None:
    first = CognitoTestIssuer("us-east-1_First", ("app-1",), clock=clock)
    second = CognitoTestIssuer("eu-central-1_Second", ("app-2",), clock=clock)
    stranger = CognitoTestIssuer("us-east-1_Stranger", ("app-1",), clock=clock)
    with first.serve() as one, second.serve() as two, stranger.serve() as three:
        validator = CognitoValidator(
            ["us-east-1_First", "eu-central-1_Second"],
            ["app-1", "app-2"],
            jwks_url={"us-east-1_First": one.jwks_url, "eu-central-1_Second": two.jwks_url},
            allow_http_loopback=True,
            clock=clock,
        )
        assert validator.verify(first.access_token()).issuer == first.classic_issuer
        assert validator.verify(second.access_token()).issuer == second.classic_issuer
        assert reason(validator, stranger.access_token()) is ReasonCode.WRONG_ISSUER
        # pool one's token signed with pool two's key: the kid is unknown in pool one's JWKS
        crossed = second.access_keys.mint(
            {"token_use": "access", "client_id": "app-1", "iss": first.classic_issuer}
        )
        assert reason(validator, crossed) is ReasonCode.UNKNOWN_KEY
        assert three.fetch_count() == 0


def test_extra_checks_run_after_cognitos_own(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    seen: list[str] = []

    def tenant(_h: Mapping[str, Any], claims: Mapping[str, Any], _k: VerificationKey) -> None:
        seen.append(claims["token_use"])

    validator = validator_for(pool, clock, checks=[tenant], leeway=0, context_claims=["username"])
    identity = validator.verify(issuer.access_token())
    assert seen == ["access"]
    assert identity.context == {"username": "alice"}
    assert reason(validator, issuer.id_token()) is ReasonCode.WRONG_TOKEN_USE
    assert seen == ["access"]  # Cognito's check refused first
    clock.advance(3600)
    assert reason(validator, issuer.access_token(expires_in=-1)) is ReasonCode.EXPIRED


def test_cognito_tokens_live_at_most_a_day_by_default(
    pool: tuple[CognitoTestIssuer, JwksServer], clock: FakeClock
) -> None:
    issuer, _ = pool
    validator = validator_for(pool, clock)
    day = 86_400  # Cognito's longest access/ID token validity
    assert validator.verify(issuer.access_token(expires_in=day))
    forged_lifetime = issuer.access_token(expires_in=10 * 365 * day)
    assert reason(validator, forged_lifetime) is ReasonCode.INVALID_CLAIM
    assert reason(validator, issuer.access_token(expires_in=day + 1)) is ReasonCode.INVALID_CLAIM
    relaxed = validator_for(pool, clock, max_lifetime=30 * day)
    assert relaxed.verify(issuer.access_token(expires_in=2 * day))
