"""How an introspecting client authenticates to the provider (RFC 6749 §2.3, RFC 7523).

``client_secret_basic`` and ``client_secret_post`` send a shared secret; ``private_key_jwt``
signs a short-lived assertion (``iss`` = ``sub`` = client id, ``aud`` = the issuer, a fresh
``jti``) with a private key read from a PEM file or an AWS Secrets Manager secret on first
use - never at import, and never logged. A key that cannot be read is an
``InfrastructureError``: the request fails closed.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote_plus

from authorizers import _setting_checks as checks
from authorizers.clock import Clock, system_clock
from authorizers.errors import InfrastructureError, ReasonCode
from authorizers.validators._thumbprints import b64url

if TYPE_CHECKING:
    from authorizers.keystores.aws import AwsClientSettings

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60


class ClientAuth(Protocol):
    """Adds the client's credentials to an outgoing form and its headers."""

    client_id: str

    def apply(
        self, form: MutableMapping[str, str], headers: MutableMapping[str, str], audience: str
    ) -> None: ...


class ClientSecretBasic:
    """HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1)."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = checks.name(client_id, "client_id")
        pair = f"{quote_plus(client_id)}:{quote_plus(checks.name(client_secret, 'client_secret'))}"
        self._header = "Basic " + base64.b64encode(pair.encode()).decode()

    def apply(
        self, form: MutableMapping[str, str], headers: MutableMapping[str, str], audience: str
    ) -> None:
        headers["Authorization"] = self._header

    def __repr__(self) -> str:  # never the secret
        return f"ClientSecretBasic({self.client_id!r})"


class ClientSecretPost:
    """The id and secret as form fields."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = checks.name(client_id, "client_id")
        self._secret = checks.name(client_secret, "client_secret")

    def apply(
        self, form: MutableMapping[str, str], headers: MutableMapping[str, str], audience: str
    ) -> None:
        form["client_id"] = self.client_id
        form["client_secret"] = self._secret

    def __repr__(self) -> str:
        return f"ClientSecretPost({self.client_id!r})"


class PrivateKeyJwt:
    """A signed client assertion per request (RS256 for an RSA key, ES256 for P-256).

    ``load_pem`` returns the PEM private key; it runs once, on first use. Build one with
    :meth:`from_file` or :meth:`from_secrets_manager`.
    """

    def __init__(
        self,
        client_id: str,
        load_pem: Callable[[], bytes],
        *,
        kid: str | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.client_id = checks.name(client_id, "client_id")
        self.kid = kid
        self._load_pem = load_pem
        self._clock = clock
        self._signer: tuple[str, Callable[[bytes], bytes]] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls, client_id: str, path: str | os.PathLike[str], **options: Any
    ) -> PrivateKeyJwt:
        return cls(client_id, Path(path).read_bytes, **options)

    @classmethod
    def from_secrets_manager(
        cls,
        client_id: str,
        secret_id: str,
        *,
        settings: AwsClientSettings | None = None,
        client: Any | None = None,
        **options: Any,
    ) -> PrivateKeyJwt:
        """The PEM is the secret's ``SecretString``."""
        from authorizers.keystores.aws import AwsClientSettings, LazyClient  # noqa: PLC0415

        aws = LazyClient("secretsmanager", client, settings or AwsClientSettings())

        def load() -> bytes:
            text = aws.get().get_secret_value(SecretId=secret_id).get("SecretString")
            if not isinstance(text, str):
                raise ValueError("secret has no SecretString")
            return text.encode()

        return cls(client_id, load, **options)

    def apply(
        self, form: MutableMapping[str, str], headers: MutableMapping[str, str], audience: str
    ) -> None:
        alg, sign = self._loaded()
        now = int(self._clock())
        header = {"alg": alg, "typ": "JWT", **({"kid": self.kid} if self.kid else {})}
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode()
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = f"{signing_input.decode()}.{b64url(sign(signing_input))}"
        form["client_id"] = self.client_id

    def _loaded(self) -> tuple[str, Callable[[bytes], bytes]]:
        signer = self._signer
        if signer is None:
            with self._lock:
                if self._signer is None:
                    try:
                        self._signer = _signer_for(self._load_pem())
                    except Exception as error:  # missing file, secret down, not a key
                        raise InfrastructureError(
                            ReasonCode.INTROSPECTION_UNAVAILABLE,
                            f"client key for {self.client_id} unavailable ({type(error).__name__})",
                        ) from None
                signer = self._signer
        return signer

    def __repr__(self) -> str:
        return f"PrivateKeyJwt({self.client_id!r})"


def _signer_for(pem: bytes) -> tuple[str, Callable[[bytes], bytes]]:
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415 - lazy
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: PLC0415
        decode_dss_signature,
    )

    key = serialization.load_pem_private_key(pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        rsa_key = key
        return "RS256", lambda data: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        ec_key = key

        def sign(data: bytes) -> bytes:
            r, s = decode_dss_signature(ec_key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

        return "ES256", sign
    raise ValueError("the client key must be RSA (2048+ bits) or EC P-256")


def _b64_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())
