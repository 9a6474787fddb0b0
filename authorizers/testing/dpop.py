"""A DPoP client for tests (RFC 9449): a proof key, its ``cnf`` binding, and proofs per request.

``client = DpopClient()``; mint the access token with ``claims={"cnf": client.cnf}``; send
``client.headers("GET", url, token)``. ``proof_parts`` gives the header and claims unsigned,
so a test can break exactly one thing (sign with ``none`` or HMAC, another ``htu``, an old
``iat``) and sign with :func:`~authorizers.testing.signing_keys.encode_jws` itself.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import Any

from authorizers.clock import Clock, system_clock
from authorizers.testing.signing_keys import (
    SigningKey,
    b64url,
    encode_jws,
    public_jwk_members,
    thumbprint,
)


class DpopClient:
    """One client's DPoP key (``alg``: ES256 by default) and proofs made with it."""

    def __init__(
        self, alg: str = "ES256", *, key: SigningKey | None = None, clock: Clock = system_clock
    ) -> None:
        self.key = key or SigningKey.generate(alg, kid="dpop")
        self.clock = clock

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK the proofs carry (no ``kid``, ``alg`` or private members)."""
        return public_jwk_members(self.key.private_key)

    @property
    def jkt(self) -> str:
        """RFC 7638 thumbprint of the key: the ``cnf.jkt`` of tokens bound to it."""
        return thumbprint(self.key.private_key)

    @property
    def cnf(self) -> dict[str, str]:
        return {"jkt": self.jkt}

    def proof_parts(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat_offset: float = 0,
        jti: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The proof's header and claims, not signed."""
        header = {"typ": "dpop+jwt", "alg": self.key.alg, "jwk": self.jwk}
        claims: dict[str, Any] = {
            "jti": jti or uuid.uuid4().hex,
            "htm": method,
            "htu": url,
            "iat": int(self.clock() + iat_offset),
        }
        if access_token is not None:
            digest = hashlib.sha256(access_token.encode("ascii")).digest()
            claims["ath"] = b64url(digest)
        if nonce is not None:
            claims["nonce"] = nonce
        return header, claims

    def sign(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
        return encode_jws(header, claims, lambda data: self.key.sign(data, header.get("alg")))

    def proof(self, method: str, url: str, **options: Any) -> str:
        """A valid proof for ``method`` on ``url``; ``options`` as for :meth:`proof_parts`."""
        return self.sign(*self.proof_parts(method, url, **options))

    def headers(self, method: str, url: str, access_token: str, **options: Any) -> dict[str, str]:
        """``Authorization: DPoP <token>`` and a fresh ``DPoP`` proof for one request."""
        proof = self.proof(method, url, access_token=access_token, **options)
        return {"Authorization": f"DPoP {access_token}", "DPoP": proof}
