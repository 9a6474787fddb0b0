"""JWS signature verification with ``cryptography``, on already-parsed key objects.

Only asymmetric algorithms exist here: ``none`` and HMAC are not merely disallowed by
default, they cannot be verified at all, so no configuration or header can bring back
``alg: none`` or the RS256->HS256 key-confusion attack. Padding and hash objects are
immutable and built once, keeping the per-call overhead to one dict lookup and one
``isinstance`` on top of the raw verify.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from authorizers.errors import ReasonCode, Unauthorized
from authorizers.jwks.edwards import WeakKeyError, check_public_key
from authorizers.jwks.keys import MIN_RSA_BITS

if TYPE_CHECKING:  # EC and EdDSA load on first use: RSA-only functions never import them
    from authorizers.jwks.keys import PublicKey

    _Verify = Callable[[PublicKey, bytes, bytes], None]


#: Concrete types found to be ``rsa.RSAPublicKey``: an ABC ``isinstance`` runs Python code.
_RSA_TYPES: set[type] = set()


def _rsa(pad: padding.AsymmetricPadding, digest: hashes.HashAlgorithm) -> _Verify:
    def verify(key: PublicKey, data: bytes, signature: bytes) -> None:
        # Checked again here (not only when parsing JWKs): keys may come from elsewhere.
        if type(key) not in _RSA_TYPES:
            if not isinstance(key, rsa.RSAPublicKey):
                raise _unfit()
            _RSA_TYPES.add(type(key))
        rsa_key = cast("rsa.RSAPublicKey", key)
        if rsa_key.key_size < MIN_RSA_BITS:
            raise _unfit()
        rsa_key.verify(signature, data, pad, digest)

    return verify


def _pss(digest: hashes.HashAlgorithm) -> _Verify:
    # RFC 7518 §3.5: the salt is as long as the hash output.
    return _rsa(padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size), digest)


def _ecdsa(curve: str, digest: hashes.HashAlgorithm, size: int) -> _Verify:
    """``curve``: the ``cryptography`` class name. The EC module and ``ec.ECDSA()`` (which
    loads cryptography's OpenSSL backend module, ~10 ms of CPU) are loaded on first use:
    functions verifying only RSA never need them."""

    def verify(key: PublicKey, data: bytes, signature: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: PLC0415
            encode_dss_signature,
        )

        if not isinstance(key, ec.EllipticCurvePublicKey) or type(key.curve).__name__ != curve:
            raise _unfit()
        # JWS carries the raw r||s of exactly two field lengths (RFC 7518 §3.4), not DER.
        if len(signature) != 2 * size:
            raise InvalidSignature
        r = int.from_bytes(signature[:size], "big")
        s = int.from_bytes(signature[size:], "big")
        key.verify(encode_dss_signature(r, s), data, _ecdsa_algorithm(digest))

    return verify


_ECDSA: dict[str, object] = {}


def _ecdsa_algorithm(digest: hashes.HashAlgorithm) -> Any:
    """``ec.ECDSA(digest)``, built once per digest."""
    algorithm = _ECDSA.get(digest.name)
    if algorithm is None:
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

        algorithm = _ECDSA[digest.name] = ec.ECDSA(digest)
    return algorithm


def _eddsa(key: PublicKey, data: bytes, signature: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PublicKey,
    )

    if not isinstance(key, Ed25519PublicKey | Ed448PublicKey):
        raise _unfit()
    # Checked again here (~1 µs): a small-order key from elsewhere would verify forgeries.
    curve = "Ed25519" if isinstance(key, Ed25519PublicKey) else "Ed448"
    try:
        check_public_key(curve, key.public_bytes_raw())
    except WeakKeyError:
        raise _unfit() from None
    key.verify(signature, data)


def _unfit() -> Unauthorized:
    return Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "alg does not fit the key")


_VERIFIERS: dict[str, _Verify] = {
    "RS256": _rsa(padding.PKCS1v15(), hashes.SHA256()),
    "RS384": _rsa(padding.PKCS1v15(), hashes.SHA384()),
    "RS512": _rsa(padding.PKCS1v15(), hashes.SHA512()),
    "PS256": _pss(hashes.SHA256()),
    "PS384": _pss(hashes.SHA384()),
    "PS512": _pss(hashes.SHA512()),
    "ES256": _ecdsa("SECP256R1", hashes.SHA256(), 32),
    "ES384": _ecdsa("SECP384R1", hashes.SHA384(), 48),
    "ES512": _ecdsa("SECP521R1", hashes.SHA512(), 66),
    "EdDSA": _eddsa,
}

#: Every algorithm this package can verify (case-sensitive, as in the JWS ``alg`` header).
SUPPORTED_ALGORITHMS = frozenset(_VERIFIERS)


def verify_signature(alg: str, key: PublicKey, signing_input: bytes, signature: bytes) -> bool:
    """True if ``signature`` is valid for ``signing_input`` under ``alg`` and ``key``.

    Raises ``Unauthorized(disallowed_algorithm)`` if ``alg`` is unknown or does not fit the
    key (wrong key type, EC curve, or an RSA key that is too short).
    """
    verify = _VERIFIERS.get(alg)
    if verify is None:
        raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "unsupported alg")
    try:
        verify(key, signing_input, signature)
    except InvalidSignature:
        return False
    return True
