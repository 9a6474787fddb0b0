"""Signing keys for the test issuer: generated or loaded keys, their public JWKs and RFC 7638
thumbprints, and compact JWS signing with any algorithm a key can do - or cannot, on purpose.

Signing is done with ``cryptography`` rather than PyJWT, because the deliberately broken
tokens (``alg: none``, HS256 keyed with the public key, a foreign key under a known ``kid``)
are exactly what a JWT library refuses to produce - and tests of a verifier need them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384}
_HASHES["512"] = hashes.SHA512
_CURVES: dict[str, tuple[str, type[ec.EllipticCurve], int]] = {
    "ES256": ("P-256", ec.SECP256R1, 32),
    "ES384": ("P-384", ec.SECP384R1, 48),
    "ES512": ("P-521", ec.SECP521R1, 66),
}
DEFAULT_ALG = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}
KEY_TYPES = tuple(DEFAULT_ALG)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int, length: int | None = None) -> str:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return b64url(value.to_bytes(size, "big"))


def key_type_of(alg: str) -> str:
    if alg[:2] in ("RS", "PS"):
        return "RSA"
    if alg in _CURVES:
        return "EC"
    if alg == "EdDSA":
        return "OKP"
    raise ValueError(f"unsupported signing algorithm {alg!r}")


def generate_key(alg: str) -> PrivateKey:
    """A fresh private key fit for ``alg`` (RSA-2048, the EC curve the alg names, Ed25519)."""
    key_type = key_type_of(alg)
    if key_type == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "EC":
        return ec.generate_private_key(_CURVES[alg][1]())
    return ed25519.Ed25519PrivateKey.generate()


def load_private_key(pem: bytes) -> PrivateKey:
    """Load an unencrypted PEM private key (RSA, EC P-256/384/521 or Ed25519)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, PrivateKey):
        raise ValueError("only RSA, EC and Ed25519 private keys are supported")
    return key


def default_alg_for(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        for alg, (_, curve, _) in _CURVES.items():
            if isinstance(key.curve, curve):
                return alg
        raise ValueError(f"unsupported EC curve {key.curve.name}")
    return "EdDSA"


def public_jwk_members(key: PrivateKey) -> dict[str, str]:
    """The RFC 7638 required members of the public JWK (what the thumbprint hashes)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        return {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        point = key.public_key().public_numbers()
        crv, _, size = _CURVES[default_alg_for(key)]
        return {"crv": crv, "kty": "EC", "x": _int_b64(point.x, size), "y": _int_b64(point.y, size)}
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}


def thumbprint(key: PrivateKey) -> str:
    """RFC 7638 JWK thumbprint: a stable ``kid`` for a key, the same on every run."""
    canonical = json.dumps(public_jwk_members(key), separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One private key with the ``kid`` and algorithm it is published under."""

    kid: str
    alg: str
    private_key: PrivateKey

    @classmethod
    def generate(cls, alg: str, kid: str | None = None) -> SigningKey:
        key = generate_key(alg)
        return cls(kid or thumbprint(key), alg, key)

    @property
    def public_jwk(self) -> dict[str, str]:
        return {
            **public_jwk_members(self.private_key),
            "kid": self.kid,
            "alg": self.alg,
            "use": "sig",
        }

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, signing_input: bytes, alg: str | None = None) -> bytes:
        """Sign under ``alg`` (default: the key's own); mismatches are allowed on purpose."""
        alg = alg or self.alg
        key = self.private_key
        digest = _HASHES.get(alg[-3:])
        if isinstance(key, rsa.RSAPrivateKey) and digest and alg.startswith("RS"):
            return key.sign(signing_input, padding.PKCS1v15(), digest())
        if isinstance(key, rsa.RSAPrivateKey) and digest and alg.startswith("PS"):
            pss = padding.PSS(mgf=padding.MGF1(digest()), salt_length=padding.PSS.DIGEST_LENGTH)
            return key.sign(signing_input, pss, digest())
        if isinstance(key, ec.EllipticCurvePrivateKey) and digest and alg.startswith("ES"):
            r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest())))
            size = (key.curve.key_size + 7) // 8
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
        if isinstance(key, ed25519.Ed25519PrivateKey) and alg == "EdDSA":
            return key.sign(signing_input)
        raise ValueError(f"a {type(key).__name__} cannot sign {alg}")


def encode_jws(header: Mapping[str, Any], claims: Mapping[str, Any], sign: Any) -> str:
    """Compact JWS: ``sign(signing_input) -> bytes`` produces the signature."""
    segments = [
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    ]
    signing_input = ".".join(segments).encode("ascii")
    return f"{signing_input.decode()}.{b64url(sign(signing_input))}"
