"""Key parsing and strict selection (authorizers.jwks.keys, StaticJwks)."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import jwt
import pytest
from jwks_support import jwks, private_key, public_jwk

from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.jwks.keys import (
    MAX_KID_LENGTH,
    VerificationKey,
    parse_jwk,
    parse_jwks,
    select_key,
)
from authorizers.jwks.sources import StaticJwks

ALL_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
ALL_ALGS += ["EdDSA", "HS256", "none", "rs256", "ES256K"]
FITS = {
    "RSA": {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
    "P-256": {"ES256"},
    "P-384": {"ES384"},
    "P-521": {"ES512"},
    "Ed25519": {"EdDSA"},
    "Ed448": {"EdDSA"},
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("kind", sorted(FITS))
def test_each_key_type_fits_exactly_its_algorithms(kind: str) -> None:
    key = parse_jwk(public_jwk(kind, "k1"))
    assert key.kid == "k1" and key.alg is None
    assert {alg for alg in ALL_ALGS if key.fits(alg)} == FITS[kind]


@pytest.mark.parametrize(
    ("kind", "alg"),
    [
        ("RSA", "RS256"),
        ("RSA", "PS512"),
        ("P-256", "ES256"),
        ("P-384", "ES384"),
        ("P-521", "ES512"),
        ("Ed25519", "EdDSA"),
        ("Ed448", "EdDSA"),
    ],
)
def test_parsed_key_verifies_a_real_signature(kind: str, alg: str, register_secret: Any) -> None:
    token = register_secret(
        jwt.encode({"sub": "u"}, private_key(kind), algorithm=alg, headers={"kid": "k"})
    )
    key = select_key(parse_jwks(jwks(public_jwk(kind, "k")))["k"], alg)
    assert jwt.decode(token, key.public_key, algorithms=[alg]) == {"sub": "u"}
    other = parse_jwk(public_jwk(kind, "k", index=1))  # a different key of the same type
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other.public_key, algorithms=[alg])


def test_jwk_alg_must_equal_the_header_alg_case_sensitively() -> None:
    key = parse_jwk(public_jwk("RSA", "k", alg="RS256"))
    assert key.fits("RS256")
    assert not key.fits("RS384") and not key.fits("PS256") and not key.fits("rs256")


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"kid": None}, "no kid"),
        ({"kid": ""}, "empty kid"),
        ({"kid": 7}, "kid not a string"),
        ({"kid": "k" * (MAX_KID_LENGTH + 1)}, "kid too long"),
        ({"use": "enc"}, "encryption key"),
        ({"use": None, "key_ops": ["encrypt"]}, "key_ops without verify"),
        ({"key_ops": "verify"}, "key_ops not a list"),
        ({"alg": "HS256"}, "HMAC alg on an RSA key"),
        ({"alg": "none"}, "alg none"),
        ({"alg": "RSA-OAEP"}, "encryption alg"),
        ({"alg": "ES256"}, "alg of another family"),
        ({"alg": ["RS256"]}, "alg not a string"),
        ({"kty": "oct"}, "symmetric kty"),
        ({"kty": "rsa"}, "kty is case-sensitive"),
        ({"n": "not base64url!"}, "bad base64url"),
        ({"n": "AQAB="}, "padding is not base64url"),
        ({"e": None}, "missing exponent"),
    ],
)
def test_unfit_rsa_keys_are_refused(members: dict[str, Any], why: str) -> None:
    with pytest.raises(ValueError):
        parse_jwk(public_jwk("RSA", "k", **members))


def test_key_ops_with_verify_and_use_sig_are_accepted() -> None:
    assert parse_jwk(public_jwk("RSA", "k", use="sig", key_ops=["verify"])).kid == "k"


@pytest.mark.parametrize("bits", [1024, 2047])
def test_rsa_below_2048_bits_is_refused(bits: int) -> None:
    jwk = public_jwk("RSA1024", "weak")
    if bits == 2047:  # a modulus one bit short of 2048
        n = int.from_bytes(base64.urlsafe_b64decode(public_jwk("RSA", "k")["n"] + "=="), "big")
        jwk["n"] = b64((n >> 1).to_bytes(256, "big").lstrip(b"\0"))
    with pytest.raises(ValueError, match="outside the accepted range"):
        parse_jwk(jwk)


def test_rsa_3072_is_accepted() -> None:
    assert parse_jwk(public_jwk("RSA3072", "k")).fits("RS256")


@pytest.mark.parametrize(
    ("kind", "members"),
    [
        ("P-256", {"crv": "P-384"}),  # coordinates of the wrong size for the curve
        ("P-256", {"crv": "secp256k1"}),
        ("P-256", {"y": b64(b"\x01" * 32)}),  # not on the curve
        ("P-256", {"x": b64(b"\x01" * 31)}),  # short coordinate
        ("P-256", {"alg": "ES384"}),
        ("Ed25519", {"crv": "X25519"}),  # key agreement, not signatures
        ("Ed25519", {"x": b64(b"\x01" * 31)}),
        ("Ed25519", {"crv": "Ed448"}),
        ("Ed25519", {"crv": None}),
    ],
)
def test_unfit_ec_and_okp_keys_are_refused(kind: str, members: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        parse_jwk(public_jwk(kind, "k", **members))


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
def test_keys_publishing_private_members_are_refused(member: str) -> None:
    with pytest.raises(ValueError, match="private key material"):
        parse_jwk(public_jwk("RSA", "k", **{member: "AQAB"}))


def test_private_jwk_is_skipped_with_a_warning_that_never_shows_the_secret(
    register_secret: Any, caplog: pytest.LogCaptureFixture
) -> None:
    private_numbers = private_key("P-256", 3).private_numbers()  # type: ignore[union-attr]
    d = register_secret(b64(private_numbers.private_value.to_bytes(32, "big")), "EC private d")
    leaked = public_jwk("P-256", "leaked", index=3, d=d)
    with caplog.at_level(logging.DEBUG, logger="authorizers.jwks"):
        keys = parse_jwks(jwks(leaked, public_jwk("P-256", "ok")))
    assert set(keys) == {"ok"}
    assert any(r.levelno == logging.WARNING and "private" in r.getMessage() for r in caplog.records)
    assert d not in caplog.text


def test_bad_keys_are_skipped_one_by_one() -> None:
    doc = jwks(
        public_jwk("RSA", "good-rsa"),
        {"kty": "oct", "kid": "hmac", "k": b64(b"secret-secret-secret")},
        {"kty": "none", "kid": "none"},
        public_jwk("RSA1024", "weak"),
        public_jwk("P-256", "enc", use="enc"),
        public_jwk("P-256", "good-ec"),
    )
    doc["keys"][2:2] = ["not an object", 42, None, ["list"]]
    assert set(parse_jwks(doc)) == {"good-rsa", "good-ec"}


@pytest.mark.parametrize("doc", [None, [], "keys", {"keys": {}}, {"keys": "x"}, {"jwks": []}])
def test_a_document_that_is_not_a_jwk_set_is_an_error(doc: Any) -> None:
    with pytest.raises(ValueError, match="not a JWK Set"):
        parse_jwks(doc)


def test_empty_jwk_set_is_valid_and_holds_nothing() -> None:
    assert parse_jwks({"keys": []}) == {}


def test_only_the_first_max_keys_entries_are_parsed() -> None:
    doc = jwks(*(public_jwk("Ed25519", f"k{i}") for i in range(5)))
    assert list(parse_jwks(doc, max_keys=3)) == ["k0", "k1", "k2"]


def test_duplicate_kids_keep_every_candidate_in_document_order() -> None:
    doc = jwks(
        public_jwk("P-256", "dup"),
        public_jwk("RSA", "dup", alg="RS512"),
        public_jwk("RSA", "dup", index=1),
        public_jwk("Ed25519", "dup"),
    )
    candidates = parse_jwks(doc)["dup"]
    assert [key.kty for key in candidates] == ["EC", "RSA", "RSA", "OKP"]
    assert select_key(candidates, "ES256") is candidates[0]
    assert select_key(candidates, "RS512") is candidates[1]  # first fitting in document order
    assert select_key(candidates, "RS256") is candidates[2]  # candidates[1] is bound to RS512
    assert select_key(candidates, "EdDSA") is candidates[3]
    with pytest.raises(Unauthorized) as raised:
        select_key(candidates, "ES384")
    assert raised.value.reason is ReasonCode.DISALLOWED_ALGORITHM


def test_verification_key_is_immutable() -> None:
    key = parse_jwk(public_jwk("Ed25519", "k"))
    with pytest.raises(AttributeError):
        key.kid = "other"  # type: ignore[misc]
    assert isinstance(key, VerificationKey)


class TestStaticJwks:
    def test_selects_keys_and_reports_reasons(self) -> None:
        source = StaticJwks(jwks(public_jwk("RSA", "r"), public_jwk("P-256", "e")))
        assert source.kids == {"r", "e"}
        assert source.get_key("r", "PS256").kty == "RSA"
        with pytest.raises(Unauthorized) as unknown:
            source.get_key("missing", "RS256")
        assert unknown.value.reason is ReasonCode.UNKNOWN_KEY
        for alg in ("ES256", "HS256", "none"):
            with pytest.raises(Unauthorized) as disallowed:
                source.get_key("r", alg)
            assert disallowed.value.reason is ReasonCode.DISALLOWED_ALGORITHM

    def test_is_current_and_prefetch(self) -> None:
        source = StaticJwks(jwks(public_jwk("RSA", "r")))
        source.prefetch()
        assert source.is_current(source.get_key("r", "RS256"))
        assert not source.is_current(parse_jwk(public_jwk("RSA", "r", index=1)))

    @pytest.mark.parametrize(
        "doc", [{"keys": []}, {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}, {}]
    )
    def test_no_usable_key_is_a_configuration_error(self, doc: Any) -> None:
        with pytest.raises(ConfigurationError):
            StaticJwks(doc)

    def test_from_file(self, tmp_path: Any) -> None:
        path = tmp_path / "jwks.json"
        path.write_text(json.dumps(jwks(public_jwk("Ed448", "ed"))))
        assert StaticJwks.from_file(path).get_key("ed", "EdDSA").crv == "Ed448"
        path.write_text("<html>")
        with pytest.raises(ConfigurationError, match="not valid JSON"):
            StaticJwks.from_file(path)
        with pytest.raises(ConfigurationError):
            StaticJwks.from_file(tmp_path / "missing.json")
