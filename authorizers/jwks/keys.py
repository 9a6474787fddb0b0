"""Parsing JWKs into verification keys, and strict key selection.

A key is accepted only if it can do nothing but verify signatures of one asymmetric family:
``kty`` RSA (>= 2048 bits), EC (P-256/P-384/P-521) or OKP (Ed25519/Ed448); ``use`` absent or
``sig``; ``key_ops`` absent or containing ``verify``; ``alg``, when present, one of ours and of the
key's family. Symmetric (``oct``) keys, ``none`` and keys that publish private members are
refused, so RS256->HS256 confusion and "the IdP leaked its private key" never turn into trust.
Keys are built with ``cryptography`` directly: parsing happens once per key set, not per request.
"""

from __future__ import annotations

import base64
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import rsa

from authorizers.errors import ReasonCode, Unauthorized
from authorizers.jwks.edwards import WeakKeyError, check_public_key

if TYPE_CHECKING:  # EC and EdDSA load on first use: RSA-only functions never import them
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey


def __getattr__(name: str) -> Any:
    """``PublicKey`` at run time (it names the EC and EdDSA classes: built when asked for)."""
    if name == "PublicKey":
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
            Ed25519PublicKey,
        )

        return rsa.RSAPublicKey | ec.EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def log(level: str, message: str, *args: object) -> None:
    """Log to ``authorizers.jwks``. ``logging`` is imported by the first record that could be
    shown: while nothing imported it, nothing configured it, and a record below WARNING (the
    root logger's default level) would be dropped anyway - a cold start need not load it."""
    if "logging" not in sys.modules and level not in ("WARNING", "ERROR"):
        return
    import logging  # noqa: PLC0415 - see above

    logging.getLogger("authorizers.jwks").log(logging.getLevelName(level), message, *args)


#: Below this, RSA is breakable; above, one verify costs more than it is worth (DoS by the IdP).
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192
#: A kid longer than this is never published by a real IdP; refusing it keeps lookups and the
#: negative cache cheap when a token carries a huge attacker-chosen kid.
MAX_KID_LENGTH = 256
#: Real IdPs publish a handful of keys; the cap bounds parsing work on a hostile document.
MAX_KEYS = 100

RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALGORITHMS: Mapping[str, str] = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
OKP_ALGORITHMS: Mapping[str, frozenset[str]] = {"EdDSA": frozenset({"Ed25519", "Ed448"})}
SIGNING_ALGORITHMS = RSA_ALGORITHMS | EC_ALGORITHMS.keys() | OKP_ALGORITHMS.keys()

#: JWK curve -> (``cryptography`` curve class name, coordinate bytes).
_CURVES: Mapping[str, tuple[str, int]] = {
    "P-256": ("SECP256R1", 32),
    "P-384": ("SECP384R1", 48),
    "P-521": ("SECP521R1", 66),
}
_OKP_CURVES = frozenset({"Ed25519", "Ed448"})
#: RFC 7518 private members (RSA, EC/OKP ``d``, ``oct`` ``k``): their presence means the
#: publisher leaked a private key, and such a key must not be trusted.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class PrivateKeyPublishedError(ValueError):
    """A JWK Set carried private members: the key is skipped and the operator is warned."""


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One parsed public key. ``alg`` is the JWK's own ``alg`` (``None`` if it names none)."""

    kid: str
    kty: str
    alg: str | None
    crv: str | None
    public_key: PublicKey

    def fits(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` may be verified with this key (case-sensitive)."""
        if self.alg is not None and self.alg != alg:
            return False
        if self.kty == "RSA":
            return alg in RSA_ALGORITHMS
        if self.kty == "EC":
            return EC_ALGORITHMS.get(alg) == self.crv
        if self.kty == "OKP":
            return self.crv in OKP_ALGORITHMS.get(alg, ())
        return False


def select_key(candidates: Sequence[VerificationKey], alg: str) -> VerificationKey:
    """The first candidate (document order) that fits ``alg``.

    Several keys may share a kid (e.g. an RSA and an EC key during a migration); keeping them
    all and picking by fit is deterministic and never lets one shadow another.
    """
    for key in candidates:
        if key.fits(alg):
            return key
    raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "no key with this kid fits the alg")


def _decode(jwk: Mapping[str, Any], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise ValueError(f"member {member!r} is not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _rsa_key(jwk: Mapping[str, Any]) -> PublicKey:
    n = int.from_bytes(_decode(jwk, "n"), "big")
    e = int.from_bytes(_decode(jwk, "e"), "big")
    if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
        raise ValueError(f"RSA modulus of {n.bit_length()} bits is outside the accepted range")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _ec_key(jwk: Mapping[str, Any]) -> PublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415 - on first use

    curve, size = _CURVES[jwk["crv"]]
    x, y = _decode(jwk, "x"), _decode(jwk, "y")
    if len(x) != size or len(y) != size:  # RFC 7518 6.2.1.2: full-size coordinates
        raise ValueError("EC coordinates do not match the curve size")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), getattr(ec, curve)()
    )
    return numbers.public_key()  # refuses points that are not on the curve


def _okp_key(jwk: Mapping[str, Any]) -> PublicKey:
    x = _decode(jwk, "x")
    check_public_key(jwk["crv"], x)  # small-order keys let anyone forge (see edwards.py)
    if jwk["crv"] == "Ed25519":
        from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: PLC0415

        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    from cryptography.hazmat.primitives.asymmetric import ed448  # noqa: PLC0415

    return ed448.Ed448PublicKey.from_public_bytes(x)


def _check_usage(jwk: Mapping[str, Any]) -> None:
    if "use" in jwk and jwk["use"] != "sig":
        raise ValueError("key 'use' is not 'sig'")
    if "key_ops" in jwk:
        ops = jwk["key_ops"]
        if not isinstance(ops, list) or "verify" not in ops:
            raise ValueError("key 'key_ops' does not contain 'verify'")


def parse_jwk(jwk: Mapping[str, Any]) -> VerificationKey:
    """Parse one JWK into a :class:`VerificationKey`; raises ``ValueError`` on any unfit key.

    Messages name the member that is wrong, never its value.
    """
    if not isinstance(jwk, Mapping):
        raise ValueError("JWK is not an object")
    kid, kty, alg, crv = jwk.get("kid"), jwk.get("kty"), jwk.get("alg"), jwk.get("crv")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
        raise ValueError(f"JWK lacks a usable 'kid' (a string of 1-{MAX_KID_LENGTH} characters)")
    if _PRIVATE_MEMBERS.intersection(jwk):
        raise PrivateKeyPublishedError("JWK publishes private key material")
    _check_usage(jwk)
    if alg is not None and (not isinstance(alg, str) or alg not in SIGNING_ALGORITHMS):
        raise ValueError("JWK 'alg' is not an accepted signature algorithm")
    if crv is not None and not isinstance(crv, str):
        raise ValueError("JWK 'crv' is not a string")
    if kty == "RSA":
        public_key, crv = _rsa_key(jwk), None
    elif kty == "EC" and crv in _CURVES:
        public_key = _ec_key(jwk)
    elif kty == "OKP" and crv in _OKP_CURVES:
        public_key = _okp_key(jwk)
    else:
        raise ValueError("JWK 'kty'/'crv' is not an accepted signature key type")
    key = VerificationKey(kid=kid, kty=kty, alg=alg, crv=crv, public_key=public_key)
    if alg is not None and not key.fits(alg):
        raise ValueError("JWK 'alg' does not match its key type")
    return key


def parse_jwks(
    doc: Any,
    *,
    parse: Callable[[Mapping[str, Any]], VerificationKey] = parse_jwk,
    max_keys: int = MAX_KEYS,
) -> dict[str, tuple[VerificationKey, ...]]:
    """Parse a JWK Set into keys by kid, in document order; each unfit key is skipped alone.

    Raises ``ValueError`` only if ``doc`` is not a JWK Set (``{"keys": [...]}``). ``parse`` lets
    a cache reuse keys it parsed before.
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
        raise ValueError('not a JWK Set: expected an object with a "keys" array')
    entries: list[Any] = doc["keys"]
    if len(entries) > max_keys:
        log("WARNING", "JWK Set has %d keys; only the first %d are used", len(entries), max_keys)
    keys: dict[str, tuple[VerificationKey, ...]] = {}
    for index, jwk in enumerate(entries[:max_keys]):
        try:
            key = parse(jwk)
        except (ValueError, TypeError, KeyError) as error:
            alarming = isinstance(error, PrivateKeyPublishedError | WeakKeyError)
            log("WARNING" if alarming else "DEBUG", "JWK #%d skipped: %s", index, error)
            continue
        keys[key.kid] = (*keys.get(key.kid, ()), key)
    return keys
