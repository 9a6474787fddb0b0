"""The keys of the security suite, generated once per run, and the names corpus recipes use.

Trusted keys are published by the configured issuers; the others exist to forge tokens: a
foreign key that reuses a trusted kid, and an attacker key that only the trap server (127.0.0.1)
publishes, also wrapped in a self-signed certificate for ``x5c`` headers.
"""

from __future__ import annotations

import base64
import datetime
import functools
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from authorizers.testing.events import REQUEST_TIME
from authorizers.testing.issuer import SigningKey

NOW = REQUEST_TIME  # the event factories' request time: token times and events agree
ISSUER = "https://issuer.example.test"
OTHER_ISSUER = "https://other-issuer.example.test"
AUDIENCE = "https://api.example.test"
POOL_ID = "us-east-1_Secur1ty"
POOL_ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
POOL_UPDATED_ISSUER = f"https://issuer-cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
CLIENT_ID = "1example23456789abcdefghij"
LEEWAY = 30  # the validator default (DEFAULT_LEEWAY); PyJWT gets the same
#: What the ``jwt`` profile accepts; PS256 is there so a PS256 header over an RS256 JWK is
#: refused by key binding, not merely by the allow-list.
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")

#: Recipe name -> (algorithm, kid). Generated on first use and kept for the run.
_SPECS: Mapping[str, tuple[str, str]] = {
    "rsa": ("RS256", "rsa-1"),
    "ec": ("ES256", "ec-1"),
    "ed": ("EdDSA", "ed-1"),
    "other": ("RS256", "other-rsa-1"),  # OTHER_ISSUER's key
    "foreign-rsa": ("RS256", "rsa-1"),  # never published, reuses the trusted kid
    "foreign-ec": ("ES256", "ec-1"),
    "attacker": ("RS256", "attacker-1"),  # published only by the trap server
    "cognito-access": ("RS256", "cognito-access-1"),
    "cognito-id": ("RS256", "cognito-id-1"),
    "cognito-foreign": ("RS256", "cognito-access-1"),
}
#: Small-order Ed25519 points published next to the real keys (a careless or hostile JWKS):
#: under OpenSSL, R = identity and S = 0 verifies for any message and the identity key.
WEAK = {
    "ed-small-order": {
        "kty": "OKP",
        "crv": "Ed25519",
        "kid": "ed-small-order",
        "x": "AQ" + "A" * 41,
    },
    "ed-zero-x": {"kty": "OKP", "crv": "Ed25519", "kid": "ed-zero-x", "x": "A" * 43},
}
TRUSTED = {ISSUER: ("rsa", "ec", "ed", *WEAK), OTHER_ISSUER: ("other",)}
POOL_KEYS = ("cognito-access", "cognito-id")


@functools.cache
def key(name: str) -> SigningKey:
    alg, kid = _SPECS[name]
    return SigningKey.generate(alg, kid)


def jwks(*names: str) -> dict[str, Any]:
    return {"keys": [WEAK[name] if name in WEAK else key(name).public_jwk for name in names]}


def public_der(name: str) -> bytes:
    return (
        key(name)
        .private_key.public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


@functools.cache
def attacker_certificate() -> str:
    """A self-signed certificate of the attacker key, base64 DER as in an ``x5c`` header."""
    private = key("attacker").private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer.example.test")])
    start = datetime.datetime.fromtimestamp(NOW, tz=datetime.UTC) - datetime.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .sign(private, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def private_pems() -> tuple[str, ...]:
    """Every private key of the suite as PEM, for the redaction guard."""
    return tuple(key(name).private_pem().decode() for name in _SPECS)
