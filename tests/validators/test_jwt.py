"""JwtValidator: every reason code, time rules, algorithm confusion, routing, the token cache.

Keys are static (``StaticJwks``) and time is a ``FakeClock``: nothing sleeps, nothing leaves
the process, except the JWKS servers that must *never* be contacted (their counters prove it).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import sys
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import reason_of
from jwks_support import CountingKeys

from authorizers._sightings import SEEN_PER_ENTRY
from authorizers.clock import FakeClock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    Forbidden,
    ReasonCode,
    Unauthorized,
)
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.events import (
    http_v1_event,
    http_v2_event,
    request_event,
    token_event,
    websocket_connect_event,
)
from authorizers.testing.issuer import BrokenToken, SigningKey, TestIssuer, b64url, encode_jws
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.jwt import DEFAULT_LEEWAY, IssuerConfig, JwtValidator

NOW = 1_700_000_000
AUD = "https://api.example.test"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def issuer(clock: FakeClock) -> TestIssuer:
    return TestIssuer(clock=clock, private_key=_RSA.private_key, kid=_RSA.kid)


_RSA = SigningKey.generate("RS256", "rsa-1")
_RSA_OTHER = SigningKey.generate("RS256", "rsa-2")
_EC = SigningKey.generate("ES256", "ec-1")
_ED = SigningKey.generate("EdDSA", "ed-1")


def jwks_of(*keys: SigningKey, **overrides: Any) -> dict[str, Any]:
    return {"keys": [{**key.public_jwk, **overrides} for key in keys]}


def make(
    issuer: TestIssuer,
    clock: FakeClock,
    keys: Any = None,
    **settings: Any,
) -> JwtValidator:
    settings.setdefault("audience", AUD)
    return JwtValidator(
        issuer=issuer.issuer,
        keys=keys or StaticJwks(jwks_of(_RSA, _EC, _ED)),
        clock=clock,
        **settings,
    )


def holding(token: str, validator: JwtValidator) -> JwtValidator:
    """``validator`` with ``token`` in its cache (admitted at its second verification), so
    that its next ``verify`` is a cache hit."""
    for _ in range(2):
        validator.verify(token)
    assert validator.cached_identity(token) is not None
    return validator


def outcome(validator: JwtValidator, token: str) -> str:
    """The principal ``validator`` accepts ``token`` for, or the reason it refuses it."""
    try:
        return validator.verify(token).principal_id
    except AuthorizerError as error:
        return error.reason.value


def rejects(validator: JwtValidator, token: str, reason: ReasonCode) -> AuthorizerError:
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(token)
    error = caught.value
    assert error.reason is reason, str(error)
    forbidden = (ReasonCode.INSUFFICIENT_SCOPE, ReasonCode.INSUFFICIENT_GROUP, ReasonCode.FORBIDDEN)
    expected = Forbidden if reason in forbidden else Unauthorized
    assert type(error) is expected
    # no credential material in what gets logged
    assert token not in str(error)
    signature = token.rsplit(".", 1)[-1]
    assert not signature or signature[:16] not in str(error)
    return error


# --- the happy path ---------------------------------------------------------------------


def test_valid_token_gives_an_identity(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, name="people", context_claims=["email", "roles", "meta"])
    token = issuer.mint(
        {"email": "a@example.com", "roles": ["admin", "dev"], "meta": {"b": 1, "a": True}},
        scope="read write",
        subject="alice",
    )
    identity = validator.verify(token)
    assert identity == Identity(
        principal_id="alice",
        validator="people",
        claims=identity.claims,
        scopes=frozenset({"read", "write"}),
        groups=frozenset(),
        issuer=issuer.issuer,
        context={"email": "a@example.com", "roles": "admin,dev", "meta": '{"a":true,"b":1}'},
    )
    assert identity.claims["email"] == "a@example.com"
    assert validator.name == "people"
    assert validator.issuers == (issuer.issuer,)


@pytest.mark.parametrize("signer", [_EC, _ED, _RSA], ids=lambda k: k.alg)
def test_each_configured_algorithm_verifies(signer: SigningKey, clock: FakeClock) -> None:
    issuer = TestIssuer(clock=clock, private_key=signer.private_key, kid=signer.kid)
    validator = make(issuer, clock, algorithms=[signer.alg])
    assert validator.verify(issuer.mint()).principal_id == "user-1"


def test_ps256_with_an_rsa_key_that_does_not_name_its_alg(clock: FakeClock) -> None:
    issuer = TestIssuer(clock=clock, private_key=_RSA.private_key, kid="rsa-1", alg="PS256")
    validator = make(issuer, clock, keys=StaticJwks(jwks_of(_RSA, alg=None)), algorithms=["PS256"])
    assert validator.verify(issuer.mint()).principal_id == "user-1"


def test_context_claims_can_be_renamed_and_missing_ones_are_skipped(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    validator = make(issuer, clock, context_claims={"sub": "user", "tenant": "tenant", "n": "n"})
    identity = validator.verify(issuer.mint({"n": None}))
    assert identity.context == {"user": "user-1"}


# --- algorithm confusion ------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "NONE", "", None, 256, "rs256", "RS256 "])
def test_alg_none_and_lookalikes_are_disallowed(
    issuer: TestIssuer, clock: FakeClock, alg: Any
) -> None:
    validator = make(issuer, clock, algorithms=["RS256", "ES256"])
    unsigned = encode_jws({"alg": alg, "kid": "rsa-1"}, issuer.claims(), lambda _: b"")
    rejects(validator, unsigned, ReasonCode.DISALLOWED_ALGORITHM)
    signed = encode_jws({"alg": alg, "kid": "rsa-1"}, issuer.claims(), _RSA.sign)
    rejects(validator, signed, ReasonCode.DISALLOWED_ALGORITHM)


def test_hs256_keyed_with_the_public_key_pem(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    token = issuer.mint_broken(BrokenToken.HS256_WITH_PUBLIC_KEY)
    rejects(validator, token, ReasonCode.DISALLOWED_ALGORITHM)


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_keyed_with_the_public_jwk(issuer: TestIssuer, clock: FakeClock, alg: str) -> None:
    validator = make(issuer, clock)
    for secret in (
        json.dumps(_RSA.public_jwk).encode(),
        json.dumps(_RSA.public_jwk, separators=(",", ":"), sort_keys=True).encode(),
        _RSA.public_jwk["n"].encode(),
    ):
        digest = getattr(hashlib, "sha" + alg[2:])
        token = encode_jws(
            {"alg": alg, "kid": "rsa-1"},
            issuer.claims(),
            lambda data, s=secret, d=digest: hmac.new(s, data, d).digest(),
        )
        rejects(validator, token, ReasonCode.DISALLOWED_ALGORITHM)


def test_hmac_cannot_even_be_configured(issuer: TestIssuer, clock: FakeClock) -> None:
    for algorithms in (["HS256"], ["RS256", "HS256"], ["none"], [], ["rs256"]):
        with pytest.raises(ConfigurationError):
            make(issuer, clock, algorithms=algorithms)


def test_rs256_header_with_the_kid_of_an_ec_key(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, algorithms=["RS256", "ES256"])
    token = encode_jws({"alg": "RS256", "kid": "ec-1"}, issuer.claims(), _RSA.sign)
    rejects(validator, token, ReasonCode.DISALLOWED_ALGORITHM)


def test_header_alg_must_match_the_jwk_alg(issuer: TestIssuer, clock: FakeClock) -> None:
    # The JWK says RS256; a PS256 token under that kid is refused even though PS256 is allowed.
    validator = make(issuer, clock, algorithms=["RS256", "PS256"])
    rejects(validator, issuer.mint_broken(BrokenToken.WRONG_ALG), ReasonCode.DISALLOWED_ALGORITHM)


def test_allowed_but_unconfigured_algorithm(issuer: TestIssuer, clock: FakeClock) -> None:
    ec_issuer = TestIssuer(clock=clock, private_key=_EC.private_key, kid=_EC.kid)
    rejects(make(ec_issuer, clock), ec_issuer.mint(), ReasonCode.DISALLOWED_ALGORITHM)


def test_key_that_does_not_fit_is_refused_even_if_the_source_returns_it(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    ec_key = StaticJwks(jwks_of(_EC)).get_key("ec-1", "ES256")

    class Careless:
        def get_key(self, kid: str, alg: str) -> VerificationKey:
            return ec_key

        def is_current(self, key: VerificationKey) -> bool:
            return True

        def prefetch(self) -> None:
            pass

    validator = make(issuer, clock, keys=Careless())
    rejects(validator, issuer.mint(), ReasonCode.DISALLOWED_ALGORITHM)


@pytest.mark.parametrize(
    "header",
    [
        {"crit": ["exp"]},
        {"crit": ["b64"], "b64": False},
        {"b64": False},
        {"kid": 1},
    ],
)
def test_processing_headers_are_malformed(
    issuer: TestIssuer, clock: FakeClock, header: dict[str, Any]
) -> None:
    rejects(make(issuer, clock), issuer.mint(headers=header), ReasonCode.MALFORMED_TOKEN)


def test_key_urls_in_headers_are_never_followed(issuer: TestIssuer, clock: FakeClock) -> None:
    attacker = SigningKey.generate("RS256", "rsa-1")
    with JwksServer(jwks_of(attacker)) as server:
        validator = make(issuer, clock)
        pointers = {
            "jku": server.jwks_url,
            "x5u": server.url + "/cert.pem",
            "jwk": attacker.public_jwk,
            "x5c": ["MIIB"],
        }
        # signed by the attacker under a known kid, pointing at the attacker's keys: refused
        forged = encode_jws(issuer.header(pointers), issuer.claims(), attacker.sign)
        rejects(validator, forged, ReasonCode.BAD_SIGNATURE)
        # the same pointers on a genuine token are simply ignored
        assert validator.verify(issuer.mint(headers=pointers)).principal_id == "user-1"
        assert server.fetch_count() == 0
        assert server.fetch_count(path="/cert.pem") == 0


# --- keys and signatures ------------------------------------------------------------------


def test_unknown_and_missing_kid(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    rejects(validator, issuer.mint(headers={"kid": "nope"}), ReasonCode.UNKNOWN_KEY)
    rejects(validator, issuer.mint_broken(BrokenToken.MISSING_KID), ReasonCode.UNKNOWN_KEY)


@pytest.mark.parametrize("kind", [BrokenToken.BAD_SIGNATURE, BrokenToken.FOREIGN_KEY])
def test_bad_signatures(issuer: TestIssuer, clock: FakeClock, kind: BrokenToken) -> None:
    rejects(make(issuer, clock), issuer.mint_broken(kind), ReasonCode.BAD_SIGNATURE)


def test_claims_swapped_under_a_valid_signature(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    header, _, signature = issuer.mint().split(".")
    other_payload = issuer.mint(subject="mallory").split(".")[1]
    rejects(validator, f"{header}.{other_payload}.{signature}", ReasonCode.BAD_SIGNATURE)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d.e", "Bearer x.y.z", "é.é.é"])
def test_malformed_tokens(issuer: TestIssuer, clock: FakeClock, token: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        make(issuer, clock).verify(token)
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN


def test_token_size_cap_is_configurable(issuer: TestIssuer, clock: FakeClock) -> None:
    token = issuer.mint({"pad": "x" * 3000})
    rejects(make(issuer, clock, max_token_bytes=2048), token, ReasonCode.MALFORMED_TOKEN)
    assert make(issuer, clock, max_token_bytes=8192).verify(token)


# --- time ---------------------------------------------------------------------------------


def test_default_leeway_is_thirty_seconds() -> None:
    assert DEFAULT_LEEWAY == 30


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": NOW - 31}, ReasonCode.EXPIRED),
        ({"exp": NOW - 30}, ReasonCode.EXPIRED),  # exp <= now - leeway
        ({"exp": NOW - 29}, None),
        ({"exp": NOW}, None),
        ({"nbf": NOW + 30}, None),
        ({"nbf": NOW + 31}, ReasonCode.NOT_YET_VALID),
        ({"iat": NOW + 30}, None),
        ({"iat": NOW + 31}, ReasonCode.NOT_YET_VALID),
        ({"exp": NOW + 0.5, "nbf": NOW - 0.5, "iat": NOW - 0.5}, None),
        ({"exp": 10**30}, ReasonCode.INVALID_CLAIM),  # past year 9999: never expires (14.4)
        ({"exp": 1e308}, ReasonCode.INVALID_CLAIM),
        ({"exp": -1}, ReasonCode.EXPIRED),
        ({"exp": NOW + 60, "nbf": 10**30}, ReasonCode.INVALID_CLAIM),
        ({"exp": NOW + 60, "nbf": NOW + 61}, ReasonCode.NOT_YET_VALID),
        ({"exp": None}, ReasonCode.INVALID_CLAIM),
        ({"exp": True}, ReasonCode.INVALID_CLAIM),
        ({"exp": str(NOW + 60)}, ReasonCode.INVALID_CLAIM),
        ({"exp": [NOW + 60]}, ReasonCode.INVALID_CLAIM),
        ({"nbf": False}, ReasonCode.INVALID_CLAIM),
        ({"iat": "now"}, ReasonCode.INVALID_CLAIM),
    ],
)
def test_time_claims(
    issuer: TestIssuer, clock: FakeClock, claims: dict[str, Any], reason: ReasonCode | None
) -> None:
    validator = make(issuer, clock)
    token = issuer.mint(claims)
    if reason is None:
        assert validator.verify(token).principal_id == "user-1"
    else:
        rejects(validator, token, reason)


def signed_raw(issuer: TestIssuer, payload_text: str) -> str:
    """A genuinely signed token whose payload is exactly ``payload_text``."""
    header = b64url(json.dumps(issuer.header()).encode())
    signing_input = f"{header}.{b64url(payload_text.encode())}"
    return f"{signing_input}.{b64url(_RSA.sign(signing_input.encode()))}"


@pytest.mark.parametrize("literal", ["1e400", "-1e400"])
def test_infinite_float_dates_are_invalid(
    issuer: TestIssuer, clock: FakeClock, literal: str
) -> None:
    claims = issuer.claims()
    text = json.dumps(claims).replace(str(claims["exp"]), literal)
    rejects(make(issuer, clock), signed_raw(issuer, text), ReasonCode.INVALID_CLAIM)


def test_duplicate_claims_are_malformed_even_when_signed(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    text = json.dumps(issuer.claims())[:-1] + ', "sub": "admin"}'
    rejects(make(issuer, clock), signed_raw(issuer, text), ReasonCode.MALFORMED_TOKEN)


def test_exp_is_required(issuer: TestIssuer, clock: FakeClock) -> None:
    rejects(make(issuer, clock), issuer.mint(expires_in=None), ReasonCode.MISSING_CLAIM)


def test_leeway_is_configurable(issuer: TestIssuer, clock: FakeClock) -> None:
    token = issuer.mint({"exp": NOW - 5})
    rejects(make(issuer, clock, leeway=0), token, ReasonCode.EXPIRED)
    assert make(issuer, clock, leeway=10).verify(token)
    for bad in (-1, 601):
        with pytest.raises(ConfigurationError):
            make(issuer, clock, leeway=bad)


def test_max_age(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, max_age=600)
    assert validator.verify(issuer.mint({"iat": NOW - 600}))
    rejects(validator, issuer.mint({"iat": NOW - 700}), ReasonCode.TOKEN_TOO_OLD)
    rejects(validator, issuer.mint(omit=["iat"]), ReasonCode.MISSING_CLAIM)
    rejects(validator, issuer.mint({"iat": -(10**400)}), ReasonCode.INVALID_CLAIM)  # no overflow
    rejects(validator, issuer.mint({"iat": 0}), ReasonCode.TOKEN_TOO_OLD)
    with pytest.raises(ConfigurationError):
        make(issuer, clock, max_age=0)


# --- issuer, audience, type, claims --------------------------------------------------------


def test_issuer_must_match_exactly(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    for iss in (issuer.issuer + "/", issuer.issuer.upper(), "https://evil.test", ""):
        rejects(validator, issuer.mint({"iss": iss}), ReasonCode.WRONG_ISSUER)
    rejects(validator, issuer.mint({"iss": [issuer.issuer]}), ReasonCode.INVALID_CLAIM)
    rejects(validator, issuer.mint(omit=["iss"]), ReasonCode.MISSING_CLAIM)


def test_several_issuers_are_routed_by_iss_without_network(clock: FakeClock) -> None:
    first = TestIssuer("https://one.test", clock=clock, private_key=_RSA.private_key, kid="k")
    second = TestIssuer(
        "https://two.test", audience="api-2", clock=clock, private_key=_EC.private_key, kid="k"
    )
    with JwksServer(jwks_of(_RSA_OTHER)) as server:
        validator = JwtValidator(
            issuers=[
                IssuerConfig(
                    first.issuer,
                    keys=StaticJwks({"keys": [{**_RSA.public_jwk, "kid": "k"}]}),
                    audience=AUD,
                ),
                IssuerConfig(
                    second.issuer,
                    keys=StaticJwks({"keys": [{**_EC.public_jwk, "kid": "k"}]}),
                    audience="api-2",
                    algorithms=["ES256"],
                ),
                IssuerConfig(
                    "https://three.test",
                    jwks_url=server.jwks_url,
                    allow_http_loopback=True,
                    audience=AUD,
                ),
            ],
            clock=clock,
        )
        assert validator.verify(first.mint()).issuer == "https://one.test"
        assert validator.verify(second.mint()).issuer == "https://two.test"
        # each issuer is verified with its own settings: audience, algorithms, keys
        rejects(validator, first.mint(audience="api-2"), ReasonCode.WRONG_AUDIENCE)
        rejects(validator, second.mint(audience=AUD), ReasonCode.WRONG_AUDIENCE)
        one_signed_by_two = encode_jws(first.header({"alg": "ES256"}), first.claims(), _EC.sign)
        rejects(validator, one_signed_by_two, ReasonCode.DISALLOWED_ALGORITHM)
        two_signed_by_one = encode_jws(second.header({"alg": "RS256"}), second.claims(), _RSA.sign)
        rejects(validator, two_signed_by_one, ReasonCode.DISALLOWED_ALGORITHM)
        # an issuer nobody configured: refused before any key lookup
        stranger = TestIssuer("https://stranger.test", clock=clock, private_key=_RSA.private_key)
        rejects(validator, stranger.mint(headers={"jku": server.jwks_url}), ReasonCode.WRONG_ISSUER)
        assert server.fetch_count() == 0


def test_issuer_settings_errors(issuer: TestIssuer, clock: FakeClock) -> None:
    keys = StaticJwks(jwks_of(_RSA))
    bad: list[dict[str, Any]] = [
        {"issuer": issuer.issuer, "keys": keys},  # no audience
        {"issuer": issuer.issuer, "keys": keys, "audience": []},
        {"issuer": issuer.issuer, "keys": keys, "audience": AUD, "verify_audience": False},
        {"issuer": issuer.issuer, "audience": AUD},  # no keys
        {"issuer": issuer.issuer, "keys": keys, "jwks_url": "https://x.test/j", "audience": AUD},
        {"issuer": "", "keys": keys, "audience": AUD},
        {"issuer": issuer.issuer, "jwks_url": "http://idp.example.test/jwks", "audience": AUD},
    ]
    for settings in bad:
        with pytest.raises(ConfigurationError):
            JwtValidator(clock=clock, **settings)
    config = IssuerConfig(issuer.issuer, keys=keys, audience=AUD)
    with pytest.raises(ConfigurationError):
        JwtValidator([config, config])
    with pytest.raises(ConfigurationError):
        JwtValidator([config], audience=AUD)
    with pytest.raises(ConfigurationError):
        JwtValidator([])


def test_audience(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, audience=["api-a", AUD])
    assert validator.verify(issuer.mint(audience=["other", AUD]))
    rejects(validator, issuer.mint(audience="other"), ReasonCode.WRONG_AUDIENCE)
    rejects(validator, issuer.mint(audience=[]), ReasonCode.WRONG_AUDIENCE)
    rejects(validator, issuer.mint(audience=None), ReasonCode.WRONG_AUDIENCE)
    rejects(validator, issuer.mint(audience=AUD.upper()), ReasonCode.WRONG_AUDIENCE)
    rejects(validator, issuer.mint(audience=7), ReasonCode.INVALID_CLAIM)  # type: ignore[arg-type]


def test_client_ids_instead_of_or_besides_audience(issuer: TestIssuer, clock: FakeClock) -> None:
    by_client = make(issuer, clock, audience=None, client_ids=["app"])
    assert by_client.verify(issuer.mint({"client_id": "app"}, audience=None))
    rejects(by_client, issuer.mint({"client_id": "other"}), ReasonCode.WRONG_AUDIENCE)
    rejects(by_client, issuer.mint({"client_id": ["app"]}), ReasonCode.WRONG_AUDIENCE)
    either = make(issuer, clock, client_ids="app")
    assert either.verify(issuer.mint({"client_id": "app"}, audience="elsewhere"))
    assert either.verify(issuer.mint())


def test_audience_check_can_be_disabled_explicitly(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, audience=None, verify_audience=False)
    assert validator.verify(issuer.mint(audience="anything"))
    assert validator.verify(issuer.mint(audience=None))


def test_token_type(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, token_type="at+jwt")
    for typ in ("at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"):
        assert validator.verify(issuer.mint(headers={"typ": typ}))
    for typ in ("JWT", "jwt", "id+jwt", "application/at+jwt+x", "at+jwt/x", 1, None):
        rejects(validator, issuer.mint(headers={"typ": typ}), ReasonCode.WRONG_TOKEN_TYPE)
    either = make(issuer, clock, token_type=["at+jwt", "application/JWT"])
    assert either.verify(issuer.mint(headers={"typ": "JWT"}))


def test_required_equal_and_contained_claims(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(
        issuer,
        clock,
        required_claims=["jti", "tid"],
        claims_equal={"tenant": "acme", "email_verified": True, "level": 3},
        claims_contain={"amr": ["mfa", "pwd"], "roles": "reader"},
    )
    good = {"tenant": "acme", "email_verified": True, "level": 3, "amr": ["pwd", "mfa", "x"]}
    good["tid"] = "t-1"
    good["roles"] = ["reader"]
    assert validator.verify(issuer.mint(good))
    cases: list[tuple[dict[str, Any], list[str], ReasonCode]] = [
        ({}, ["jti"], ReasonCode.MISSING_CLAIM),
        ({"tid": None}, [], ReasonCode.MISSING_CLAIM),
        ({"jti": None}, [], ReasonCode.INVALID_CLAIM),  # RFC 7519: jti is a string
        ({"jti": 7}, [], ReasonCode.INVALID_CLAIM),
        ({}, ["tenant"], ReasonCode.MISSING_CLAIM),
        ({"tenant": "ACME"}, [], ReasonCode.INVALID_CLAIM),
        ({"email_verified": "true"}, [], ReasonCode.INVALID_CLAIM),
        ({"email_verified": 1}, [], ReasonCode.INVALID_CLAIM),
        ({"level": 3.0}, [], ReasonCode.INVALID_CLAIM),
        ({"level": True}, [], ReasonCode.INVALID_CLAIM),
        ({"amr": ["pwd"]}, [], ReasonCode.INVALID_CLAIM),
        ({"amr": "mfa pwd"}, [], ReasonCode.INVALID_CLAIM),
        ({"amr": [1]}, [], ReasonCode.INVALID_CLAIM),
        ({}, ["roles"], ReasonCode.MISSING_CLAIM),
    ]
    for override, omit, reason in cases:
        rejects(validator, issuer.mint({**good, **override}, omit=omit), reason)


def test_principal_claim(issuer: TestIssuer, clock: FakeClock) -> None:
    assert (
        make(issuer, clock, principal_claim="email")
        .verify(issuer.mint({"email": "a@b.c"}))
        .principal_id
        == "a@b.c"
    )
    validator = make(issuer, clock)
    rejects(validator, issuer.mint(subject=None), ReasonCode.MISSING_CLAIM)
    for sub in (42, "", ["a"], True):
        rejects(validator, issuer.mint({"sub": sub}), ReasonCode.INVALID_CLAIM)


# --- scopes and groups: 403 ---------------------------------------------------------------


def test_scopes_from_scope_and_scp(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    assert validator.verify(issuer.mint({"scope": " a  b "})).scopes == {"a", "b"}
    assert validator.verify(issuer.mint({"scp": ["c", "d"]})).scopes == {"c", "d"}
    assert validator.verify(issuer.mint({"scp": "e f"})).scopes == {"e", "f"}
    assert validator.verify(issuer.mint({"scope": "a", "scp": ["b"]})).scopes == {"a", "b"}
    for bad in ({"scope": ["a"]}, {"scope": 1}, {"scp": [1]}, {"scp": {"a": 1}}):
        rejects(validator, issuer.mint(bad), ReasonCode.INVALID_CLAIM)


def test_scope_requirements_are_forbidden_not_unauthorized(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    any_of = make(issuer, clock, scopes_any=["read", "admin"])
    assert any_of.verify(issuer.mint(scope="read"))
    rejects(any_of, issuer.mint(scope="write"), ReasonCode.INSUFFICIENT_SCOPE)
    rejects(any_of, issuer.mint(), ReasonCode.INSUFFICIENT_SCOPE)
    all_of = make(issuer, clock, scopes_all=["read", "write"])
    assert all_of.verify(issuer.mint(scope="write read extra"))
    rejects(all_of, issuer.mint(scope="read"), ReasonCode.INSUFFICIENT_SCOPE)
    # a bad signature is still 401, whatever the scopes say
    rejects(all_of, issuer.mint_broken(BrokenToken.BAD_SIGNATURE), ReasonCode.BAD_SIGNATURE)


def test_groups(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, groups_claim="cognito:groups", groups_any="admins")
    identity = validator.verify(issuer.mint({"cognito:groups": ["admins", "dev"]}))
    assert identity.groups == {"admins", "dev"}
    ops = make(issuer, clock, groups_claim="groups", groups_all="ops")
    assert ops.verify(issuer.mint({"groups": "ops"}))
    rejects(validator, issuer.mint({"cognito:groups": ["dev"]}), ReasonCode.INSUFFICIENT_GROUP)
    rejects(validator, issuer.mint({"groups": ["admins"]}), ReasonCode.INSUFFICIENT_GROUP)
    rejects(validator, issuer.mint({"cognito:groups": [1]}), ReasonCode.INVALID_CLAIM)
    both = make(issuer, clock, groups_claim="groups", groups_all=["a", "b"])
    rejects(both, issuer.mint({"groups": ["a"]}), ReasonCode.INSUFFICIENT_GROUP)


# --- custom checks ------------------------------------------------------------------------


def test_custom_checks_see_header_claims_and_key(issuer: TestIssuer, clock: FakeClock) -> None:
    seen: list[tuple[Mapping[str, Any], Mapping[str, Any], VerificationKey]] = []

    def record(header: Mapping[str, Any], claims: Mapping[str, Any], key: VerificationKey) -> None:
        seen.append((header, claims, key))
        if claims.get("tenant") == "blocked":
            raise Forbidden(ReasonCode.FORBIDDEN, "tenant blocked")

    validator = make(issuer, clock, checks=[record])
    validator.verify(issuer.mint({"tenant": "ok"}))
    header, claims, key = seen[0]
    assert header["kid"] == "rsa-1" and claims["tenant"] == "ok" and key.kid == "rsa-1"
    rejects(validator, issuer.mint({"tenant": "blocked"}), ReasonCode.FORBIDDEN)


# --- the verified-token cache -------------------------------------------------------------


def test_a_token_is_cached_at_its_second_verification(issuer: TestIssuer, clock: FakeClock) -> None:
    keys = CountingKeys(jwks_of(_RSA))
    validator = make(issuer, clock, keys=keys)
    token = issuer.mint()
    first = validator.verify(token)
    assert validator.cached_identity(token) is None  # seen once: only its hash is kept
    second = validator.verify(token)
    assert second is not first and second == first
    assert validator.verify(token) is second
    assert validator.verify("".join(token)) is second  # equal string, different object
    assert validator.cached_identity(token) is second
    assert keys.lookups == 2


def test_the_hashes_of_tokens_seen_once_are_bounded(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, cache_size=2)
    tokens = [issuer.mint() for _ in range(2 * SEEN_PER_ENTRY + 1)]
    for token in tokens:
        validator.verify(token)
        assert len(validator._seen) <= SEEN_PER_ENTRY * 2
    validator.verify(tokens[-1])  # its hash survived the clearing: cached now
    assert validator.cached_identity(tokens[-1]) is not None
    validator.verify(tokens[0])  # forgotten when the set was cleared: seen once more
    assert validator.cached_identity(tokens[0]) is None


def test_a_hit_evicted_by_another_thread_before_it_moves_still_answers(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    # A miss takes no lock; a hit moves its entry under the lock, and another thread may have
    # evicted it between the two: the answer stands (the entry was valid when read).
    validator = holding(token := issuer.mint(), make(issuer, clock))
    expected = validator.cached_identity(token)

    class EvictedOnMove(OrderedDict[str, Any]):
        def move_to_end(self, key: str, last: bool = True) -> None:
            self.pop(key)
            super().move_to_end(key, last)  # raises KeyError: gone

    validator._cache = EvictedOnMove(validator._cache)
    assert validator.verify(token) is expected
    assert validator.cached_identity(token) is None  # evicted: the next sighting verifies
    assert validator.verify(token) == expected


def test_cached_token_still_expires(issuer: TestIssuer, clock: FakeClock) -> None:
    token = issuer.mint(expires_in=60)
    validator = holding(token, make(issuer, clock))
    clock.advance(60 + DEFAULT_LEEWAY - 1)
    validator.verify(token)
    clock.advance(1)
    rejects(validator, token, ReasonCode.EXPIRED)
    rejects(validator, token, ReasonCode.EXPIRED)


def test_cached_token_honours_max_age(issuer: TestIssuer, clock: FakeClock) -> None:
    token = issuer.mint()
    validator = holding(token, make(issuer, clock, max_age=100))
    clock.advance(200)
    rejects(validator, token, ReasonCode.TOKEN_TOO_OLD)


def test_cached_token_is_dropped_when_its_key_leaves_the_jwks(
    issuer: TestIssuer, clock: FakeClock
) -> None:
    keys = CountingKeys(jwks_of(_RSA, _EC))
    token = issuer.mint()
    validator = holding(token, make(issuer, clock, keys=keys))
    keys.keys = StaticJwks(jwks_of(_EC))  # rotated out
    rejects(validator, token, ReasonCode.UNKNOWN_KEY)
    assert keys.lookups == 3


def test_custom_checks_run_again_on_cache_hits(issuer: TestIssuer, clock: FakeClock) -> None:
    revoked: set[str] = set()

    def not_revoked(_h: Mapping[str, Any], claims: Mapping[str, Any], _k: VerificationKey) -> None:
        if claims["jti"] in revoked:
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "revoked")

    token = issuer.mint()
    validator = holding(token, make(issuer, clock, checks=[not_revoked]))
    revoked.add(validator.verify(token).claims["jti"])
    rejects(validator, token, ReasonCode.INVALID_CLAIM)


def test_forbidden_and_failed_tokens_are_not_cached(issuer: TestIssuer, clock: FakeClock) -> None:
    keys = CountingKeys(jwks_of(_RSA))
    validator = make(issuer, clock, keys=keys, scopes_all="admin")
    token = issuer.mint(scope="read")
    for _ in range(3):  # a verified token is cached at its second verification: ask a third
        rejects(validator, token, ReasonCode.INSUFFICIENT_SCOPE)
    assert keys.lookups == 3


def test_cache_is_bounded_and_can_be_disabled(issuer: TestIssuer, clock: FakeClock) -> None:
    keys = CountingKeys(jwks_of(_RSA))
    validator = make(issuer, clock, keys=keys, cache_size=2)
    tokens = [issuer.mint() for _ in range(3)]
    for token in tokens * 2:  # each cached at its second verification
        validator.verify(token)
    validator.verify(tokens[2])
    validator.verify(tokens[1])
    assert keys.lookups == 6
    validator.verify(tokens[0])  # evicted (least recently used)
    assert keys.lookups == 7
    uncached = make(issuer, clock, keys=(keys := CountingKeys(jwks_of(_RSA))), cache_size=0)
    uncached.verify(tokens[0])
    uncached.verify(tokens[0])
    assert keys.lookups == 2


def test_prefetch_loads_each_key_source_once(issuer: TestIssuer, clock: FakeClock) -> None:
    with JwksServer(jwks_of(_RSA)) as server:
        validator = JwtValidator(
            issuers=[
                IssuerConfig(name, jwks_url=server.jwks_url, allow_http_loopback=True, audience=AUD)
                for name in ("https://a.test", "https://b.test")
            ],
            clock=clock,
        )
        assert server.fetch_count() == 0  # nothing fetched to configure
        validator.prefetch()
        assert server.fetch_count() == 1


# --- where the token comes from -----------------------------------------------------------


def test_token_from_a_rest_token_event(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    token = issuer.mint()
    for value in (f"Bearer {token}", f"bearer {token}", f"BEARER  {token}", token):
        assert validator.validate(parse_event(token_event("GET /pets", value))).principal_id
    assert reason_of(validator, token_event("GET /pets", f"Basic {token}")) is (
        ReasonCode.MALFORMED_TOKEN
    )
    strict = make(issuer, clock, allow_bare_token=False)
    assert reason_of(strict, token_event("GET /pets", token)) is ReasonCode.MALFORMED_TOKEN


def test_token_from_the_authorization_header(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock)
    token = issuer.mint()
    for event in (
        http_v2_event("GET /pets", headers={"Authorization": f"Bearer {token}"}),
        http_v1_event("GET /pets", headers={"authorization": f"Bearer {token}"}),
        request_event("GET /pets", headers={"AUTHORIZATION": f"Bearer {token}"}),
    ):
        assert validator.validate(parse_event(event)).principal_id == "user-1"
    missing = http_v2_event("GET /pets")
    assert reason_of(validator, missing) is ReasonCode.MISSING_CREDENTIAL


def test_token_from_another_header(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, header="X-Api-Token")
    token = issuer.mint()
    event = request_event("GET /pets", headers={"x-api-token": token, "Authorization": "Basic x"})
    assert validator.validate(parse_event(event)).principal_id == "user-1"
    assert validator.validate(parse_event(token_event("GET /pets", token))).principal_id
    only_authorization = request_event("GET /pets", headers={"Authorization": f"Bearer {token}"})
    assert reason_of(validator, only_authorization) is ReasonCode.MISSING_CREDENTIAL


def test_token_from_a_websocket_query_parameter(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = make(issuer, clock, query_parameter="access_token")
    token = issuer.mint()
    connect = websocket_connect_event(query={"access_token": token})
    assert validator.validate(parse_event(connect)).principal_id == "user-1"
    both_same = websocket_connect_event(
        query={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert validator.validate(parse_event(both_same)).principal_id == "user-1"
    conflicting = websocket_connect_event(
        query={"access_token": token}, headers={"Authorization": f"Bearer {issuer.mint()}"}
    )
    assert reason_of(validator, conflicting) is ReasonCode.AMBIGUOUS_CREDENTIAL
    twice = websocket_connect_event(query={"access_token": [token, issuer.mint()]})
    assert reason_of(validator, twice) is ReasonCode.AMBIGUOUS_CREDENTIAL
    # With two sources, a malformed one is malformed, not merely different from the other.
    for query, header in ((token, "Bearer abc!"), ("abc!", f"Bearer {token}")):
        odd = websocket_connect_event(
            query={"access_token": query}, headers={"Authorization": header}
        )
        assert reason_of(validator, odd) is ReasonCode.MALFORMED_TOKEN
    assert reason_of(validator, websocket_connect_event()) is ReasonCode.MISSING_CREDENTIAL
    # without the option, a query parameter is never read
    plain = make(issuer, clock)
    assert reason_of(plain, connect) is ReasonCode.MISSING_CREDENTIAL


def test_benchmark_smoke_run(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).parents[2] / "benchmarks" / "bench_jwt.py"
    spec = importlib.util.spec_from_file_location("bench_jwt", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_jwt"] = bench  # dataclasses look their module up while being built
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules["bench_jwt"]
    assert bench.main(["--quick"]) == 0
    table = capsys.readouterr().out
    assert "| JwtValidator, new RS256 token |" in table
    assert "| PyJWT PyJWKClient + decode |" in table
    assert table.count("| 1.00 |") == 2  # the two raw-verify floors


@pytest.mark.parametrize("max_age", [None, 100])
@pytest.mark.parametrize("offset", [-1.0, -1e-6, 0.0, 1e-6, 1.0])
def test_a_cache_hit_decides_time_exactly_as_a_fresh_verification(
    issuer: TestIssuer, clock: FakeClock, max_age: float | None, offset: float
) -> None:
    """Hits compare against a precomputed validity window; at and around each of its bounds
    (nbf, exp, max age) they must answer what a validator without a cache answers."""
    token = issuer.mint(not_before=10, issued_at=5, expires_in=300)  # offsets from NOW
    fresh = make(issuer, clock, max_age=max_age, cache_size=0)
    until = NOW + 300 + DEFAULT_LEEWAY if max_age is None else NOW + 5 + max_age + DEFAULT_LEEWAY
    for bound in (NOW + 10 - DEFAULT_LEEWAY, until):
        clock.now = NOW + 10
        cached = holding(token, make(issuer, clock, max_age=max_age))
        clock.now = bound + offset
        assert outcome(cached, token) == outcome(fresh, token), (bound, offset)


@pytest.mark.parametrize("offset", [-1.0, -1e-6, 0.0, 1e-6, 1.0])
def test_a_cache_hit_bounds_the_lifetime_of_a_token_without_iat_like_a_fresh_one(
    issuer: TestIssuer, clock: FakeClock, offset: float
) -> None:
    """Without ``iat``, ``max_lifetime`` bounds ``exp - now - leeway``: a clock set back after
    the token was cached must meet the same bound at a hit as at a fresh verification."""
    token = issuer.mint(expires_in=1000, omit=["iat"])
    clock.now = NOW + 500
    cached = holding(token, make(issuer, clock, max_lifetime=600))
    fresh = make(issuer, clock, max_lifetime=600, cache_size=0)
    clock.now = NOW + 1000 - DEFAULT_LEEWAY - 600 + offset  # the earliest accepted moment
    assert outcome(cached, token) == outcome(fresh, token)
