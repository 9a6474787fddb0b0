"""Client authentication for introspection: what each method puts on the wire, assertions
that verify with the client's public key (RS256 and ES256), and keys that cannot be used."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authorizers._internal.jws import parse_compact
from authorizers._internal.signature import verify_signature
from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.testing.signing_keys import SigningKey
from authorizers.validators.client_auth import (
    ASSERTION_TYPE,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
)

AUDIENCE = "https://idp.example.test"


def test_basic_form_encodes_id_and_secret() -> None:
    headers: dict[str, str] = {}
    form: dict[str, str] = {}
    ClientSecretBasic("api:1", "s&cr=t").apply(form, headers, AUDIENCE)
    assert form == {}
    decoded = base64.b64decode(headers["Authorization"].removeprefix("Basic ")).decode()
    assert decoded == "api%3A1:s%26cr%3Dt"  # RFC 6749 §2.3.1: form-encoded before Basic
    assert "s&cr=t" not in repr(ClientSecretBasic("api", "s&cr=t"))


def test_post_puts_the_credentials_in_the_form() -> None:
    form: dict[str, str] = {}
    ClientSecretPost("api", "secret").apply(form, {}, AUDIENCE)
    assert form == {"client_id": "api", "client_secret": "secret"}
    with pytest.raises(ConfigurationError):
        ClientSecretPost("api", "")


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_private_key_jwt_assertions_verify_and_are_fresh(alg: str, tmp_path: Path) -> None:
    key = SigningKey.generate(alg, "k1")
    (tmp_path / "key.pem").write_bytes(key.private_pem())
    clock = FakeClock()
    client = PrivateKeyJwt.from_file("api", tmp_path / "key.pem", kid="k1", clock=clock)
    assertions = []
    for _ in range(2):
        form: dict[str, str] = {}
        client.apply(form, {}, AUDIENCE)
        assert form["client_assertion_type"] == ASSERTION_TYPE and form["client_id"] == "api"
        assertions.append(parse_compact(form["client_assertion"]))
    for jws in assertions:
        assert jws.header == {"alg": alg, "typ": "JWT", "kid": "k1"}
        public = key.private_key.public_key()
        assert verify_signature(alg, public, jws.signing_input, jws.signature)  # type: ignore[arg-type]
        claims = jws.claims
        assert (claims["iss"], claims["sub"], claims["aud"]) == ("api", "api", AUDIENCE)
        assert claims["exp"] - claims["iat"] == 60 and claims["iat"] == int(clock.now)
    assert assertions[0].claims["jti"] != assertions[1].claims["jti"]  # never replayable


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    "pem",
    [
        lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        lambda: _pem(ec.generate_private_key(ec.SECP384R1())),
        lambda: b"not a key",
        lambda: (_ for _ in ()).throw(FileNotFoundError("gone")),
    ],
    ids=["rsa-1024", "p-384", "garbage", "unreadable"],
)
def test_unusable_keys_fail_closed_at_first_use(pem: object) -> None:
    client = PrivateKeyJwt("api", pem)  # type: ignore[arg-type]
    with pytest.raises(InfrastructureError) as raised:
        client.apply({}, {}, AUDIENCE)
    assert raised.value.reason is ReasonCode.INTROSPECTION_UNAVAILABLE
    assert "BEGIN" not in str(raised.value)
