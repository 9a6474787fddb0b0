"""Small-order and non-canonical EdDSA public keys are refused when a JWK is parsed (issue 14.3).

A JWKS publishing the Ed25519 identity lets anyone forge: ``R = identity, S = 0`` verifies for
every message under OpenSSL. Each small-order point and each non-canonical encoding is listed
here explicitly (not derived from the code under test).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwks_support import jwks, public_jwk

from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.jwks.keys import parse_jwk, parse_jwks
from authorizers.jwks.sources import StaticJwks
from authorizers.validators._signature import verify_signature
from authorizers.validators.jwt import JwtValidator

P25519 = 2**255 - 19
P448 = 2**448 - 2**224 - 1
IDENTITY_25519 = bytes.fromhex("01" + "00" * 31)

#: The eight points of small order, canonically encoded (libsodium's blocklist, RFC 8032 form).
SMALL_ORDER_25519 = {
    "identity (order 1)": IDENTITY_25519,
    "y = -1 (order 2)": (P25519 - 1).to_bytes(32, "little"),
    "all-zero x: y = 0, +x (order 4)": bytes(32),
    "y = 0, -x (order 4)": bytes(31) + b"\x80",
    "order 8, +x": bytes.fromhex(
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"
    ),
    "order 8, -x": bytes.fromhex(
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"
    ),
    "order 8, other y, +x": bytes.fromhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"
    ),
    "order 8, other y, -x": bytes.fromhex(
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"
    ),
}
NON_CANONICAL_25519 = {
    "y = p (aliases y = 0)": P25519.to_bytes(32, "little"),
    "y = p + 1 (aliases the identity)": (P25519 + 1).to_bytes(32, "little"),
    "y = 2^255 - 1": (2**255 - 1).to_bytes(32, "little"),
    "y = p + 5, sign bit set": (P25519 + 5 + 2**255).to_bytes(32, "little"),
    "identity with the sign bit": bytes.fromhex("01" + "00" * 30 + "80"),
}
#: Ed448 (cofactor 4): the identity, (0, -1), and (+-1, 0).
SMALL_ORDER_448 = {
    "identity": (1).to_bytes(57, "little"),
    "y = -1": (P448 - 1).to_bytes(57, "little"),
    "y = 0, +x": bytes(57),
    "y = 0, -x": bytes(56) + b"\x80",
}
NON_CANONICAL_448 = {
    "y = p": P448.to_bytes(57, "little"),
    "y = p + 1": (P448 + 1).to_bytes(57, "little"),
    "stray bit in the last byte": (1 + 2**448).to_bytes(57, "little"),
    "identity with the sign bit": (1).to_bytes(56, "little") + b"\x80",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def okp(curve: str, x: bytes, kid: str = "weak") -> dict[str, Any]:
    return {"kty": "OKP", "crv": curve, "kid": kid, "x": b64(x)}


WEAK = [
    *(("Ed25519", x, f"Ed25519 {label}") for label, x in SMALL_ORDER_25519.items()),
    *(("Ed25519", x, f"Ed25519 {label}") for label, x in NON_CANONICAL_25519.items()),
    *(("Ed448", x, f"Ed448 {label}") for label, x in SMALL_ORDER_448.items()),
    *(("Ed448", x, f"Ed448 {label}") for label, x in NON_CANONICAL_448.items()),
]


@pytest.mark.parametrize(("curve", "x", "label"), WEAK, ids=[w[2] for w in WEAK])
def test_weak_eddsa_keys_are_refused(curve: str, x: bytes, label: str) -> None:
    with pytest.raises(ValueError, match=r"small order|canonical"):
        parse_jwk(okp(curve, x))


def test_a_weak_key_is_skipped_with_a_warning_and_its_neighbours_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="authorizers.jwks"):
        keys = parse_jwks(jwks(okp("Ed25519", bytes(32)), public_jwk("Ed25519", "good")))
    assert set(keys) == {"good"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("small order" in message for message in warnings)
    assert b64(bytes(32)) not in caplog.text


@pytest.mark.parametrize("curve", ["Ed25519", "Ed448"])
def test_real_keys_of_both_curves_still_parse(curve: str) -> None:
    assert parse_jwk(public_jwk(curve, "k")).crv == curve


def _forged_token(kid: str) -> str:
    """R = identity, S = 0: what verifies for any message under a small-order key."""
    header = b64(json.dumps({"alg": "EdDSA", "kid": kid}).encode())
    claims = {"iss": "https://idp.example", "aud": "api", "sub": "mallory", "exp": 2_000_000_000}
    payload = b64(json.dumps(claims).encode())
    return f"{header}.{payload}.{b64(IDENTITY_25519 + bytes(32))}"


def test_the_forged_signature_verifies_under_openssl_but_not_through_the_jwks() -> None:
    token = _forged_token("weak")
    signing_input, _, _ = token.rpartition(".")
    # the premise: OpenSSL itself accepts the forgery for the identity key
    Ed25519PublicKey.from_public_bytes(IDENTITY_25519).verify(
        IDENTITY_25519 + bytes(32), signing_input.encode()
    )
    validator = JwtValidator(
        issuer="https://idp.example",
        keys=StaticJwks(jwks(okp("Ed25519", IDENTITY_25519), public_jwk("Ed25519", "good"))),
        audience="api",
        algorithms=["EdDSA"],
        clock=lambda: 1_900_000_000.0,
    )
    with pytest.raises(Unauthorized) as refused:
        validator.verify(token)
    assert refused.value.reason is ReasonCode.UNKNOWN_KEY


def test_a_static_set_holding_only_a_weak_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no usable signature key"):
        StaticJwks(jwks(okp("Ed25519", IDENTITY_25519)))


@pytest.mark.parametrize(
    "x", [IDENTITY_25519, bytes(32), NON_CANONICAL_25519["y = p + 1 (aliases the identity)"]]
)
def test_a_weak_key_from_elsewhere_is_refused_at_verification_too(x: bytes) -> None:
    """Keys may come from a custom KeySource, not only from parsed JWKs."""
    key = Ed25519PublicKey.from_public_bytes(x)
    with pytest.raises(Unauthorized) as refused:
        verify_signature("EdDSA", key, b"any message", IDENTITY_25519 + bytes(32))
    assert refused.value.reason is ReasonCode.DISALLOWED_ALGORITHM
