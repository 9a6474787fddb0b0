"""Hardened compact-JWS parsing and per-algorithm signature verification."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from authorizers.errors import ReasonCode, Unauthorized
from authorizers.validators._jws import (
    DEFAULT_MAX_TOKEN_BYTES,
    MAX_JSON_DEPTH,
    decode_segment,
    parse_compact,
)
from authorizers.validators._signature import SUPPORTED_ALGORITHMS, verify_signature


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_of(header: bytes | str, payload: bytes | str, signature: bytes = b"sig") -> str:
    h = header.encode() if isinstance(header, str) else header
    p = payload.encode() if isinstance(payload, str) else payload
    return f"{b64(h)}.{b64(p)}.{b64(signature)}"


GOOD = token_of('{"alg":"RS256","kid":"k1"}', '{"sub":"alice","exp":1}', b"\x01\x02\x03")


def assert_malformed(token: object, **kwargs: int) -> Unauthorized:
    with pytest.raises(Unauthorized) as caught:
        parse_compact(token, **kwargs)
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN
    if isinstance(token, str) and len(token) > 8:
        assert token not in str(caught.value)
        assert token[-8:] not in str(caught.value)
    return caught.value


# --- parsing ---------------------------------------------------------------------------


def test_parses_header_claims_signing_input_and_signature() -> None:
    parsed = parse_compact(GOOD)
    assert parsed.header == {"alg": "RS256", "kid": "k1"}
    assert parsed.claims == {"sub": "alice", "exp": 1}
    assert parsed.signing_input == GOOD.rsplit(".", 1)[0].encode()
    assert parsed.signature == b"\x01\x02\x03"


def test_empty_signature_segment_is_syntactically_valid() -> None:
    # alg/signature policy belongs to the validator, which reports disallowed_algorithm.
    parsed = parse_compact(GOOD.rsplit(".", 1)[0] + ".")
    assert parsed.signature == b""


@pytest.mark.parametrize("token", [None, b"a.b.c", 12, ["a", "b", "c"], {"t": 1}])
def test_non_strings_are_malformed(token: object) -> None:
    assert_malformed(token)


def test_size_cap_default_and_configurable() -> None:
    big = token_of('{"alg":"RS256"}', json.dumps({"x": "a" * DEFAULT_MAX_TOKEN_BYTES}))
    assert_malformed(big)
    parse_compact(big, max_bytes=len(big))
    assert_malformed(GOOD, max_bytes=len(GOOD) - 1)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        GOOD.rsplit(".", 1)[0],  # two segments
        GOOD + ".AAAA",  # four segments
        GOOD + ".AAAA.AAAA",  # five segments: JWE compact serialization
        "." + GOOD.split(".", 1)[1],  # empty header
        GOOD.split(".")[0] + ".." + GOOD.split(".")[2],  # empty payload
        GOOD + "=",  # padding
        GOOD.replace(".", "=.", 1),
        GOOD.replace("e", "+", 1),  # standard base64 alphabet
        GOOD + "/",
        " " + GOOD,
        GOOD + "\n",
        GOOD.replace(".", " .", 1),
        GOOD.replace("e", "\u0435", 1),  # Cyrillic look-alike
        '{"alg":"RS256"}.{}.sig',  # JSON serialization is not compact
    ],
)
def test_shapes_outside_compact_serialization_are_malformed(token: str) -> None:
    assert_malformed(token)


def test_length_one_modulo_four_is_malformed() -> None:
    header, payload, _ = GOOD.split(".")
    assert_malformed(f"{header}.{payload}.AAAAA")
    assert_malformed(f"{header}A.{payload}.AAAA" if len(header) % 4 == 0 else f"A.{payload}.AA")


def test_non_canonical_trailing_bits_are_malformed() -> None:
    # "AQ" decodes to 0x01; "AR" decodes to 0x01 too, with a stray low bit set.
    header, payload, _ = GOOD.split(".")
    assert parse_compact(f"{header}.{payload}.AQ").signature == b"\x01"
    assert_malformed(f"{header}.{payload}.AR")
    assert parse_compact(f"{header}.{payload}.AAE").signature == b"\x00\x01"
    assert_malformed(f"{header}.{payload}.AAF")


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        ('["alg"]', "{}"),
        ('"RS256"', "{}"),
        ("1", "{}"),
        ("null", "{}"),
        ('{"alg":"RS256"}', "[]"),
        ('{"alg":"RS256"}', '"claims"'),
        ('{"alg":"RS256"}', "{"),
        ('{"alg":"RS256"}', ""),
        ('{"alg":"RS256","alg":"none"}', "{}"),  # duplicate header key
        ('{"alg":"RS256"}', '{"sub":"a","sub":"b"}'),
        ('{"alg":"RS256"}', '{"x":{"k":1,"k":2}}'),  # nested duplicate
        ('{"alg":"RS256"}', '{"exp":NaN}'),
        ('{"alg":"RS256"}', '{"exp":Infinity}'),
        ('{"alg":"RS256"}', '{"exp":-Infinity}'),
        ('{"alg":"RS256"}', '{"exp":' + "9" * 5000 + "}"),  # int(str) digit limit
        ('{"alg":"RS256"}', '{"sub":"a"} trailing'),
        ('{"alg":"RS256"}', "\ufeff{}"),  # BOM
    ],
)
def test_non_object_or_ambiguous_json_is_malformed(header: str, payload: str) -> None:
    assert_malformed(token_of(header, payload))


def test_json_must_be_utf8() -> None:
    assert_malformed(token_of(b'{"alg":"RS256"}', b'{"sub":"\xff"}'))
    assert_malformed(token_of('{"alg":"RS256"}'.encode("utf-16"), b"{}"))
    assert_malformed(token_of('{"alg":"RS256"}'.encode("utf-32-le"), b"{}"))


def test_nesting_is_capped() -> None:
    def nested(depth: int) -> str:
        return '{"a":' + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "}"

    parse_compact(token_of('{"alg":"RS256"}', nested(MAX_JSON_DEPTH)))
    assert_malformed(token_of('{"alg":"RS256"}', nested(MAX_JSON_DEPTH + 1)))
    # far deeper than the interpreter's recursion limit: still a clean rejection
    assert_malformed(token_of('{"alg":"RS256"}', nested(5000)), max_bytes=1 << 20)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    parsed = parse_compact(token_of('{"alg":"RS256"}', json.dumps({"s": "[{" * 100})))
    assert parsed.claims["s"] == "[{" * 100


@settings(deadline=None)
@given(st.text(alphabet="ABCDEFabcdef0189-_=+/.\n ", max_size=40))
def test_segment_decoding_accepts_exactly_canonical_base64url(segment: str) -> None:
    header, payload, _ = GOOD.split(".")
    try:
        parsed = parse_compact(f"{header}.{payload}.{segment}")
    except Unauthorized as error:
        assert error.reason is ReasonCode.MALFORMED_TOKEN
        canonical = False
    else:
        assert b64(parsed.signature) == segment
        canonical = True
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        expected = False
    else:
        expected = b64(decoded) == segment and "=" not in segment
    assert canonical == expected


@settings(deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_escapes_as_another_exception(text: str) -> None:
    try:
        parse_compact(text)
    except Unauthorized as error:
        assert error.reason is ReasonCode.MALFORMED_TOKEN


@settings(deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=8),
            lambda inner: st.lists(inner, max_size=3),
            max_leaves=6,
        ),
        max_size=6,
    )
)
def test_round_trips_any_json_object(claims: dict[str, object]) -> None:
    parsed = parse_compact(token_of('{"alg":"ES256"}', json.dumps(claims)))
    assert parsed.claims == claims


def test_decode_segment_is_usable_alone() -> None:
    assert decode_segment(b64(b"hello"), "x") == b"hello"


# --- signatures -------------------------------------------------------------------------

RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
P256 = ec.generate_private_key(ec.SECP256R1())
P384 = ec.generate_private_key(ec.SECP384R1())
P521 = ec.generate_private_key(ec.SECP521R1())
ED25519 = ed25519.Ed25519PrivateKey.generate()
ED448 = ed448.Ed448PrivateKey.generate()

SIGNERS = {
    "RS256": RSA,
    "RS384": RSA,
    "RS512": RSA,
    "PS256": RSA,
    "PS384": RSA,
    "PS512": RSA,
    "ES256": P256,
    "ES384": P384,
    "ES512": P521,
}


def signed(alg: str, key: object) -> tuple[bytes, bytes]:
    token = jwt.encode({"sub": "alice"}, key, algorithm=alg)  # type: ignore[arg-type]
    parsed = parse_compact(token)
    return parsed.signing_input, parsed.signature


def test_supported_algorithms_are_asymmetric_only() -> None:
    assert {"RS256", "PS256", "ES256", "ES512", "EdDSA"} <= SUPPORTED_ALGORITHMS
    assert not {a for a in SUPPORTED_ALGORITHMS if a.startswith("HS") or a.lower() == "none"}


@pytest.mark.parametrize("alg", sorted(SIGNERS))
def test_each_algorithm_verifies_and_rejects_tampering(alg: str) -> None:
    private = SIGNERS[alg]
    data, signature = signed(alg, private)
    public = private.public_key()
    assert verify_signature(alg, public, data, signature)
    assert not verify_signature(alg, public, data + b"x", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_signature(alg, public, data, flipped)
    assert not verify_signature(alg, public, data, b"")


@pytest.mark.parametrize("private", [ED25519, ED448])
def test_eddsa_both_curves(private: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) -> None:
    data = b"header.payload"
    signature = private.sign(data)
    assert verify_signature("EdDSA", private.public_key(), data, signature)
    assert not verify_signature("EdDSA", private.public_key(), data + b"!", signature)


def test_ecdsa_wants_raw_r_s_of_exact_length() -> None:
    data, raw = signed("ES256", P256)
    der = P256.sign(data, ec.ECDSA(hashes.SHA256()))  # valid, but DER-encoded
    assert len(decode_dss_signature(der)) == 2
    assert not verify_signature("ES256", P256.public_key(), data, der)
    assert not verify_signature("ES256", P256.public_key(), data, raw + b"\x00")
    assert not verify_signature("ES256", P256.public_key(), data, raw[:-1])
    assert not verify_signature("ES256", P256.public_key(), data, b"\x00" + raw[:-1])


@pytest.mark.parametrize(
    ("alg", "key"),
    [
        ("RS256", P256.public_key()),
        ("PS256", ED25519.public_key()),
        ("ES256", RSA.public_key()),
        ("ES256", P384.public_key()),  # wrong curve
        ("ES384", P256.public_key()),
        ("ES512", P384.public_key()),
        ("EdDSA", RSA.public_key()),
        ("EdDSA", P256.public_key()),
    ],
)
def test_algorithm_that_does_not_fit_the_key_is_disallowed(alg: str, key: object) -> None:
    with pytest.raises(Unauthorized) as caught:
        verify_signature(alg, key, b"data", b"\x00" * 64)  # type: ignore[arg-type]
    assert caught.value.reason is ReasonCode.DISALLOWED_ALGORITHM


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_short_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    data, signature = signed("RS256", weak)
    with pytest.raises(Unauthorized) as caught:
        verify_signature("RS256", weak.public_key(), data, signature)
    assert caught.value.reason is ReasonCode.DISALLOWED_ALGORITHM


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "HS256", "HS512", "rs256", "RSA", ""])
def test_none_hmac_and_wrong_case_cannot_be_verified(alg: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        verify_signature(alg, RSA.public_key(), b"data", b"")
    assert caught.value.reason is ReasonCode.DISALLOWED_ALGORITHM


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "crit": ["exp"]},
        {"alg": "RS256", "crit": []},
        {"alg": "RS256", "crit": "b64"},
        {"alg": "RS256", "crit": [1]},
        {"alg": "RS256", "crit": ["b64"], "b64": False},
        {"alg": "RS256", "crit": ["b64"]},  # listed but absent
        {"alg": "RS256", "b64": False},
        {"alg": "RS256", "b64": "false"},
        {"alg": "RS256", "b64": 0},
        {"alg": "RS256", "kid": 7},
        {"alg": "RS256", "kid": ["k1"]},
        {"alg": "RS256", "kid": None},
    ],
)
def test_processing_header_members_are_checked(header: dict[str, object]) -> None:
    assert_malformed(token_of(json.dumps(header), "{}"))


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "crit": ["b64"], "b64": True},
        {"alg": "RS256", "b64": True},
        {"alg": "RS256", "jku": "http://127.0.0.1:1/jwks", "x5u": "http://127.0.0.1:1/x5u"},
    ],
)
def test_harmless_header_members_pass(header: dict[str, object]) -> None:
    assert parse_compact(token_of(json.dumps(header), "{}")).header == header
