"""Refusing weak EdDSA public keys: small-order points and non-canonical encodings.

OpenSSL (and so ``cryptography``) verifies against any 32/57-byte string. A JWKS that publishes
a point of small order - the identity, an all-zero ``x`` - lets anyone forge a token: with the
identity as public key, the signature ``R = identity, S = 0`` verifies for every message. A
non-canonical encoding (``y >= p``, or ``x = 0`` with the sign bit set) names the same point
as a canonical one and is never produced by an honest key generator. Both are refused when
the JWK is parsed (RFC 8032 §5.1.3/§5.2.3 decoding, plus the small-order blocklist that
libsodium and "Taming the many EdDSAs" use). Pure integer arithmetic: no curve operations.
"""

from __future__ import annotations


class WeakKeyError(ValueError):
    """A published key anyone could forge signatures for: skipped, and the operator warned."""


_P25519 = 2**255 - 19
_P448 = 2**448 - 2**224 - 1
#: ``y`` of the two points of order 8 (the other two are their negations, same ``y``).
_Y8 = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826

#: The ``y`` coordinates of every point of small order. Ed25519 (cofactor 8): the identity
#: (0, 1), (0, -1) of order 2, (±sqrt(-1), 0) of order 4, and four points of order 8.
#: Ed448 (cofactor 4): (0, 1), (0, -1) and (±1, 0).
SMALL_ORDER_Y = {
    "Ed25519": frozenset({1, _P25519 - 1, 0, _Y8, _P25519 - _Y8}),
    "Ed448": frozenset({1, _P448 - 1, 0}),
}
_FIELD = {"Ed25519": (_P25519, 32), "Ed448": (_P448, 57)}


def check_public_key(curve: str, data: bytes) -> None:
    """Raise :class:`WeakKeyError` unless ``data`` canonically encodes a point outside the small-
    order subgroup of ``curve`` (``Ed25519`` or ``Ed448``). Messages never quote the key."""
    prime, size = _FIELD[curve]
    if len(data) != size:
        raise WeakKeyError(f"{curve} public key is not {size} bytes")
    number = int.from_bytes(data, "little")
    sign = number >> (8 * size - 1)
    y = number & ((1 << (8 * size - 1)) - 1)
    if curve == "Ed448" and y >> 448:  # bits 448-454 of the last byte are always zero
        raise WeakKeyError("Ed448 public key is not canonically encoded")
    if y >= prime or (sign and y in (1, prime - 1)):  # x = 0 has no negative form
        raise WeakKeyError(f"{curve} public key is not canonically encoded")
    if y in SMALL_ORDER_Y[curve]:
        raise WeakKeyError(f"{curve} public key is a point of small order")
