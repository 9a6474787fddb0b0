"""The two thumbprints sender-constrained tokens bind to (``cnf`` claim, RFC 7800).

- ``jkt``: the RFC 7638 SHA-256 thumbprint of a public JWK (DPoP, RFC 9449 §6.1);
- ``x5t#S256``: the SHA-256 of a DER certificate (mutual TLS, RFC 8705 §3.1).

Both are base64url without padding. Certificate parses are memoized (bounded): a client sends
the same certificate on every request, and parsing costs more than the rest of the check.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: RFC 7638 §3.2: the required public members per key type, and only those, are hashed.
_REQUIRED_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "RSA": ("e", "kty", "n"),
    "EC": ("crv", "kty", "x", "y"),
    "OKP": ("crv", "kty", "x"),
}
#: API Gateway passes certificates of a few KB; anything far larger is not one.
MAX_CERTIFICATE_PEM_BYTES = 64 * 1024
CERTIFICATE_CACHE_SIZE = 128


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of a public JWK; ``ValueError`` if a required member is missing."""
    members = _REQUIRED_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None:
        raise ValueError("JWK 'kty' has no thumbprint definition")
    values = {name: jwk.get(name) for name in members}
    if not all(isinstance(value, str) for value in values.values()):
        raise ValueError("JWK lacks a member its thumbprint needs")
    canonical = json.dumps(values, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@functools.lru_cache(maxsize=CERTIFICATE_CACHE_SIZE)
def certificate_thumbprint(pem: str) -> str:
    """``x5t#S256`` of a PEM certificate; ``ValueError`` if it is not exactly one certificate."""
    if len(pem) > MAX_CERTIFICATE_PEM_BYTES:
        raise ValueError("certificate PEM too large")
    data = pem.encode("ascii", errors="strict")
    if data.count(b"-----BEGIN CERTIFICATE-----") != 1:
        raise ValueError("not exactly one PEM certificate")
    # x509 costs ~30 ms to import: DPoP, nonces and clients use this module without it
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    der = x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return b64url(hashlib.sha256(der).digest())
