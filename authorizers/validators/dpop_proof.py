"""Checking one DPoP proof JWT (RFC 9449 §4.3) with the framework's own JWS parser and verifier.

The proof is attacker-controlled like any token: the size-capped, single-regex parser of
:mod:`authorizers._internal.jws` reads it, :func:`~authorizers.jwks.keys.parse_jwk` builds the
key from its ``jwk`` header (so the same key rules apply: no private members, no symmetric
keys, RSA >= 2048 bits, curve bound to ``alg``) and
:func:`~authorizers._internal.signature.verify_signature` checks it - ``none`` and HMAC cannot
be verified there at all. Every failure is ``Unauthorized(invalid_dpop_proof)``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from authorizers._internal.jws import parse_compact
from authorizers._internal.request_url import normalize_url
from authorizers._internal.signature import verify_signature
from authorizers._internal.thumbprints import b64url, jwk_thumbprint
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.jwks.keys import SIGNING_ALGORITHMS, VerificationKey, parse_jwk

#: Proofs carry a public key and a few claims: 1-2 KB with RSA-4096.
MAX_PROOF_BYTES = 8 * 1024
MAX_JTI_LENGTH = 256
PROOF_KEY_CACHE_SIZE = 256
_TYP = "dpop+jwt"


class ProofKey(NamedTuple):
    key: VerificationKey
    jkt: str


class Proof(NamedTuple):
    """A proof whose signature, ``typ``, ``htm``, ``htu``, ``iat`` and ``ath`` checked out."""

    jkt: str
    jti: str
    iat: float
    nonce: Any


def invalid(detail: str) -> Unauthorized:
    return Unauthorized(ReasonCode.INVALID_DPOP_PROOF, detail)


def access_token_hash(token: str) -> str:
    """``ath``: base64url SHA-256 of the ASCII access token (RFC 9449 §4.2)."""
    return b64url(hashlib.sha256(token.encode("ascii")).digest())


@functools.lru_cache(maxsize=PROOF_KEY_CACHE_SIZE)
def _proof_key(canonical_jwk: str) -> ProofKey:
    """A client proves with one key for many requests: parse it once (bounded cache)."""
    jwk = json.loads(canonical_jwk)
    try:
        key = parse_jwk({**jwk, "kid": "dpop"})  # kid: only parse_jwk's lookup-key rule
        return ProofKey(key, jwk_thumbprint(jwk))
    except (ValueError, TypeError, KeyError):
        raise invalid("proof 'jwk' is not an accepted public key") from None


class ProofRules(NamedTuple):
    """What a proof must satisfy, fixed at build time."""

    algorithms: frozenset[str]
    max_age: float
    leeway: float

    @classmethod
    def build(cls, algorithms: tuple[str, ...], max_age: float, leeway: float) -> ProofRules:
        from authorizers.errors import ConfigurationError  # noqa: PLC0415 - build time only

        unknown = set(algorithms) - SIGNING_ALGORITHMS
        if not algorithms or unknown:
            raise ConfigurationError(
                f"DPoP algorithms must be asymmetric JWS algorithms: {unknown}"
            )
        if not 0 < max_age <= 3600 or not 0 <= leeway <= 300:
            raise ConfigurationError("DPoP max_age must be in (0, 3600] s, leeway in [0, 300] s")
        return cls(frozenset(algorithms), max_age, leeway)

    def check(self, proof: str, *, method: str, url: str, token: str, now: float) -> Proof:
        """The verified proof for a call of ``method`` on ``url`` (normalized) with ``token``."""
        try:
            jws = parse_compact(proof, max_bytes=MAX_PROOF_BYTES)
        except Unauthorized as error:  # the proof's own reason, not the access token's
            raise invalid(f"proof: {error.detail}") from None
        header, claims = jws.header, jws.claims
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower() != _TYP:
            raise invalid("proof 'typ' is not dpop+jwt")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise invalid("proof 'alg' is not allowed")
        jwk = header.get("jwk")
        if not isinstance(jwk, Mapping):
            raise invalid("proof has no 'jwk' header")
        proof_key = _proof_key(json.dumps(dict(jwk), sort_keys=True, separators=(",", ":")))
        if not proof_key.key.fits(alg):
            raise invalid("proof 'alg' does not fit its key")
        if not verify_signature(alg, proof_key.key.public_key, jws.signing_input, jws.signature):
            raise invalid("proof signature does not verify")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH:
            raise invalid("proof 'jti' missing or not a short string")
        if claims.get("htm") != method:
            raise invalid("proof 'htm' is not the request method")
        htu = claims.get("htu")
        if not isinstance(htu, str) or normalize_url(htu) != url:
            raise invalid("proof 'htu' is not the request URL")
        iat = claims.get("iat")
        if isinstance(iat, bool) or not isinstance(iat, int | float):
            raise invalid("proof 'iat' missing or not a number")
        if iat > now + self.leeway:
            raise invalid("proof 'iat' is in the future")
        if iat < now - self.max_age - self.leeway:
            raise invalid("proof 'iat' is too old")
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(
            ath.encode(), access_token_hash(token).encode()
        ):
            raise invalid("proof 'ath' is not the hash of the access token")
        return Proof(proof_key.jkt, jti, float(iat), claims.get("nonce"))
