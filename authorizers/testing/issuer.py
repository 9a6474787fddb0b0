"""A local token issuer for tests: real keys, real signatures, realistic claims, and the
broken tokens a verifier must refuse. Keys and signing live in ``signing_keys.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from types import EllipsisType
from typing import TYPE_CHECKING, Any

from authorizers.clock import Clock, system_clock
from authorizers.testing.signing_keys import (
    DEFAULT_ALG,
    KEY_TYPES,
    PrivateKey,
    SigningKey,
    b64url,
    default_alg_for,
    encode_jws,
    generate_key,
    key_type_of,
    load_private_key,
    public_jwk_members,
    thumbprint,
)

if TYPE_CHECKING:
    from authorizers.testing.jwks_server import JwksServer

__all__ = [  # the key helpers are re-exported: tests and the CLI import them from here
    "DEFAULT_AUDIENCE",
    "DEFAULT_ISSUER",
    "DEFAULT_SUBJECT",
    "KEY_TYPES",
    "BrokenToken",
    "PrivateKey",
    "SigningKey",
    "TestIssuer",
    "b64url",
    "encode_jws",
    "generate_key",
    "load_private_key",
    "public_jwk_members",
    "thumbprint",
]

DEFAULT_ISSUER = "https://issuer.example.test"
DEFAULT_AUDIENCE = "https://api.example.test"
DEFAULT_SUBJECT = "user-1"


class BrokenToken(StrEnum):
    """Tokens a verifier must reject; ``pytest.mark.parametrize("kind", list(BrokenToken))``."""

    WRONG_ALG = "wrong_alg"  # header alg differs from the key's published alg
    ALG_NONE = "alg_none"  # unsigned
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BAD_SIGNATURE = "bad_signature"  # one signature byte flipped
    MISSING_KID = "missing_kid"
    FOREIGN_KEY = "foreign_key"  # another key, published kid
    HS256_WITH_PUBLIC_KEY = "hs256_with_public_key"  # RFC 8725 §2.1 key confusion


class TestIssuer:
    """Mints signed JWTs and publishes the matching JWK Set.

    ``mint()`` fills ``iss``, ``sub``, ``aud``, ``iat``, ``exp``, ``jti`` and the ``kid``/``alg``
    header; ``rotate()`` switches to a new key; ``serve()`` publishes the keys over HTTP.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        issuer: str = DEFAULT_ISSUER,
        *,
        key_type: str | None = None,
        alg: str | None = None,
        audience: str | list[str] | None = DEFAULT_AUDIENCE,
        private_key: PrivateKey | None = None,
        kid: str | None = None,
        typ: str | None = "JWT",
        clock: Clock = system_clock,
    ) -> None:
        if private_key is not None:
            alg = alg or default_alg_for(private_key)
        elif alg is None:
            alg = DEFAULT_ALG.get((key_type or "RSA").upper())
            if alg is None:
                raise ValueError(f"key_type must be RSA, EC or OKP, not {key_type!r}")
        if key_type is not None and key_type_of(alg) != key_type.upper():
            raise ValueError(f"algorithm {alg} does not fit key type {key_type}")
        self.issuer = issuer
        self.audience = audience
        self.typ = typ
        self.clock = clock
        if private_key is None:
            self.key = SigningKey.generate(alg, kid)
        else:
            self.key = SigningKey(kid or thumbprint(private_key), alg, private_key)
        self.retired_keys: list[SigningKey] = []
        self.server: JwksServer | None = None  # set while serve() runs

    @property
    def alg(self) -> str:
        return self.key.alg

    @property
    def kid(self) -> str:
        return self.key.kid

    @property
    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set: the current key first, then keys kept by ``rotate()``."""
        return {"keys": [key.public_jwk for key in (self.key, *self.retired_keys)]}

    def rotate(self, *, keep_old: bool = True, kid: str | None = None) -> SigningKey:
        """Sign with a new key from now on; the old one stays published if ``keep_old``."""
        if keep_old:
            self.retired_keys.insert(0, self.key)
        self.key = SigningKey.generate(self.alg, kid)
        if self.server is not None:  # a served issuer publishes its new keys at once
            self.server.set_jwks(self.jwks)
        return self.key

    def claims(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        subject: str | None = DEFAULT_SUBJECT,
        audience: str | list[str] | EllipsisType | None = ...,  # ...: the issuer's default
        scope: str | Iterable[str] | None = None,
        expires_in: float | None = 3600,
        not_before: float | None = None,
        issued_at: float | None = None,
        omit: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The payload ``mint()`` signs. Times are offsets in seconds from the clock's now;
        ``None`` leaves ``exp``/``nbf`` out (``iat`` is always set: ``omit=["iat"]`` drops it);
        ``claims`` override everything; ``omit`` drops names."""
        now = int(self.clock())
        payload: dict[str, Any] = {"iss": self.issuer}
        if subject is not None:
            payload["sub"] = subject
        aud = self.audience if isinstance(audience, EllipsisType) else audience
        if aud is not None:
            payload["aud"] = aud
        payload["iat"] = now + int(issued_at or 0)
        if expires_in is not None:
            payload["exp"] = now + int(expires_in)
        if not_before is not None:
            payload["nbf"] = now + int(not_before)
        payload["jti"] = uuid.uuid4().hex
        if scope is not None:
            payload["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        payload.update(claims or {})
        for name in omit:
            payload.pop(name, None)
        return payload

    def header(self, headers: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``alg``, ``kid`` and ``typ``, then ``headers``; a ``None`` value removes a member."""
        header: dict[str, Any] = {"alg": self.alg, "kid": self.kid}
        if self.typ is not None:
            header["typ"] = self.typ
        header.update(headers or {})
        return {name: value for name, value in header.items() if value is not None}

    def mint(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> str:
        """A valid token; ``options`` are those of :meth:`claims` (subject, audience, scope,
        expires_in, not_before, issued_at, omit)."""
        header = self.header(headers)
        return encode_jws(header, self.claims(claims, **options), self._signer(header["alg"]))

    def _signer(self, alg: str, key: SigningKey | None = None) -> Any:
        signing_key = key or self.key
        return lambda data: signing_key.sign(data, alg)

    def mint_broken(
        self,
        kind: BrokenToken | str,
        claims: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> str:
        """A token that is valid in every respect except ``kind``."""
        kind = BrokenToken(kind)
        if kind is BrokenToken.EXPIRED:
            options = {**options, "expires_in": -60, "issued_at": -3660}
        elif kind is BrokenToken.NOT_YET_VALID:
            options = {**options, "not_before": 600}
        payload = self.claims(claims, **options)
        header = self.header(headers)
        sign = self._signer(header["alg"])
        if kind is BrokenToken.WRONG_ALG:
            header["alg"] = self._other_alg()
            if self.alg != "EdDSA":  # an Ed25519 key signs nothing else: keep its signature
                sign = self._signer(header["alg"])
        elif kind is BrokenToken.ALG_NONE:
            header["alg"] = "none"
            sign = lambda _data: b""  # noqa: E731
        elif kind is BrokenToken.MISSING_KID:
            header.pop("kid")
        elif kind is BrokenToken.FOREIGN_KEY:
            sign = self._signer(self.alg, SigningKey.generate(self.alg, self.kid))
        elif kind is BrokenToken.HS256_WITH_PUBLIC_KEY:
            header["alg"] = "HS256"
            secret = self.key.public_pem()
            sign = lambda data: hmac.new(secret, data, hashlib.sha256).digest()  # noqa: E731
        token = encode_jws(header, payload, sign)
        if kind is BrokenToken.BAD_SIGNATURE:
            signing_input, _, signature = token.rpartition(".")
            raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
            raw[len(raw) // 2] ^= 0x01
            token = f"{signing_input}.{b64url(bytes(raw))}"
        return token

    def _other_alg(self) -> str:
        """An algorithm other than the key's published one (the same family where possible)."""
        swaps = {"RS256": "PS256", "ES256": "ES384", "ES384": "ES256", "ES512": "ES256"}
        return swaps.get(self.alg, "ES256" if self.alg == "EdDSA" else "RS256")

    @contextmanager
    def serve(self, **server_options: Any) -> Iterator[JwksServer]:
        """Serve the JWKS and an OIDC discovery document on 127.0.0.1.

        While served, ``self.issuer`` is the server's URL, so minted tokens match the
        discovery document's ``issuer``, and ``rotate()`` republishes at once; both are
        restored afterwards.
        """
        from authorizers.testing.jwks_server import JwksServer  # noqa: PLC0415 - lazy

        previous = self.issuer
        with JwksServer(self.jwks, **server_options) as server:
            self.issuer, self.server = server.url, server
            try:
                yield server
            finally:
                self.issuer, self.server = previous, None
