"""HMAC-SHA256 request signatures with a shared secret, selected by key id (rotation).

The client signs a canonical string built from the key id, a timestamp, the method, the path,
chosen query parameters and chosen headers (see :meth:`SignatureScheme.canonical_string` and
``docs/api-keys-and-request-rules.md``). A Lambda authorizer never sees the request body, so the
body cannot be signed here. Signatures are compared in constant time; a timestamp outside
``max_skew`` is refused (this narrows replay, it does not prevent it within the window).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from authorizers._internal.validator_parts import NamedValidator, refuse_token_event
from authorizers.clock import Clock, MonotonicClock, monotonic_clock, system_clock
from authorizers.errors import (
    ConfigurationError,
    ReasonCode,
    Unauthorized,
)
from authorizers.identity import Identity
from authorizers.keystores._aws import AwsClientSettings
from authorizers.keystores.secrets_manager import SecretJsonMap
from authorizers.keystores.snapshot import EntrySnapshot
from authorizers.request import AuthRequest
from authorizers.validators.hmac_canonical import (
    ALGORITHM,
    ALGORITHM_V2,
    TIMESTAMP,
    SignatureScheme,
    Values,
)

__all__ = [
    "ALGORITHM",
    "ALGORITHM_V2",
    "MIN_SECRET_BYTES",
    "HmacKey",
    "HmacSecrets",
    "HmacSignatureValidator",
    "SecretsManagerHmacSecrets",
    "SignatureScheme",
    "StaticHmacSecrets",
    "Values",
    "sign_request",
]

MIN_SECRET_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_BAD = ReasonCode.BAD_REQUEST_SIGNATURE


@dataclass(frozen=True, slots=True, repr=False)
class HmacKey:
    """One shared secret; ``principal`` names the caller (default: the key id). Several key ids
    may share a principal, which is how a client rotates without changing identity."""

    secret: bytes
    principal: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(f"an HMAC secret must be at least {MIN_SECRET_BYTES} bytes")

    def __repr__(self) -> str:
        return f"HmacKey(principal={self.principal!r})"  # never the secret

    @classmethod
    def parse(cls, value: str | bytes | HmacKey | Mapping[str, Any]) -> HmacKey:
        """From config: the secret as text (UTF-8) or bytes, or ``{"secret", "principal"}``."""
        if isinstance(value, HmacKey):
            return value
        if isinstance(value, Mapping):
            principal = value.get("principal")
            if principal is not None and (not isinstance(principal, str) or not principal):
                raise ConfigurationError("'principal' must be a non-empty string")
            return cls(_secret_bytes(value.get("secret")), principal)
        return cls(_secret_bytes(value))


def _secret_bytes(value: object) -> bytes:
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:  # its message would quote the secret's character
            raise ConfigurationError("an HMAC secret must be valid Unicode text") from None
    if isinstance(value, bytes):
        return value
    raise ConfigurationError("an HMAC secret must be a string or bytes")


class HmacSecrets(Protocol):
    """Finds the secret for a key id; ``None`` if unknown, ``InfrastructureError`` on a fault."""

    def secret_for(self, key_id: str) -> HmacKey | None: ...


class StaticHmacSecrets:
    """Secrets from configuration (e.g. an environment variable filled from a secret store)."""

    def __init__(self, secrets: Mapping[str, str | bytes | HmacKey | Mapping[str, Any]]) -> None:
        if not secrets:
            raise ConfigurationError("at least one HMAC key is required")
        for key_id in secrets:
            _check_key_id(key_id)
        self._keys = {key_id: HmacKey.parse(value) for key_id, value in secrets.items()}

    def secret_for(self, key_id: str) -> HmacKey | None:
        return self._keys.get(key_id)


class SecretsManagerHmacSecrets:
    """One Secrets Manager secret holding ``{"<key id>": "<secret>" | {"secret", "principal"}}``,
    reloaded every ``ttl`` seconds. A malformed entry fails closed for its own key id only."""

    def __init__(
        self,
        secret_id: str,
        *,
        ttl: float = 300.0,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        monotonic: MonotonicClock = monotonic_clock,
    ) -> None:
        secret = SecretJsonMap(secret_id, client=client, settings=settings)
        self._keys = EntrySnapshot(
            f"secretsmanager:{secret_id}",
            lambda: secret.load().items(),
            HmacKey.parse,
            ttl=ttl,
            monotonic=monotonic,
        )

    def secret_for(self, key_id: str) -> HmacKey | None:
        return self._keys.get(key_id)


def _check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise ConfigurationError("HMAC key ids are 1-128 characters of [A-Za-z0-9._:/+=@-]")
    return key_id


def sign_request(
    secret: str | bytes,
    key_id: str,
    method: str,
    path: str,
    *,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    scheme: SignatureScheme | None = None,
    timestamp: int | None = None,
    api_id: str | None = None,
    stage: str | None = None,
) -> dict[str, str]:
    """The headers a client adds to sign a request (key id, timestamp, signature).

    ``path`` is the path below the stage, as in the method ARN (``/pets/1``); ``api_id`` and
    ``stage`` (required by version 2, the default) name the API stage the request is for.
    Pass the same ``scheme`` the authorizer uses; ``timestamp`` defaults to now.
    """
    scheme = scheme or SignatureScheme()
    stamp = int(time.time()) if timestamp is None else timestamp
    canonical = scheme.canonical_string(
        key_id=_check_key_id(key_id),
        timestamp=stamp,
        method=method,
        path=path,
        headers=headers,
        query=query,
        api_id=api_id,
        stage=stage,
    )
    return {
        scheme.key_id_header: key_id,
        scheme.timestamp_header: str(stamp),
        scheme.signature_header: scheme.signature(HmacKey.parse(secret).secret, canonical),
    }


class HmacSignatureValidator(NamedValidator):
    """Verifies a signature made with :func:`sign_request` (or any client following the docs).

    Per request: the signature binds one method, path, query and time window, so the
    Authorizer refuses a result TTL above 0 and allows only the signed method ARN.
    """

    per_request = True

    def __init__(
        self,
        secrets: HmacSecrets | Mapping[str, str | bytes | HmacKey | Mapping[str, Any]],
        *,
        scheme: SignatureScheme | None = None,
        signed_headers: Iterable[str] = (),
        signed_query: Iterable[str] = (),
        max_skew: float = 300.0,
        clock: Clock = system_clock,
        name: str = "hmac_signature",
    ) -> None:
        if isinstance(secrets, Mapping):
            secrets = StaticHmacSecrets(secrets)
        if scheme is not None and (signed_headers or signed_query):
            raise ConfigurationError("give either a scheme or signed_headers/signed_query")
        self.secrets = secrets
        self.scheme = scheme or SignatureScheme(tuple(signed_headers), tuple(signed_query))
        if max_skew <= 0:
            raise ConfigurationError("max_skew must be positive")
        self.max_skew = max_skew
        self._clock = clock
        super().__init__(name)

    def validate(self, request: AuthRequest) -> Identity:
        refuse_token_event(
            request,
            "HmacSignatureValidator needs a REQUEST authorizer: a TOKEN event carries one "
            "header only",
        )
        scheme = self.scheme
        sent = [
            request.header(h)
            for h in (scheme.key_id_header, scheme.timestamp_header, scheme.signature_header)
        ]
        key_id, stamp, signature = sent
        if key_id is None or stamp is None or signature is None:
            raise Unauthorized(ReasonCode.MISSING_CREDENTIAL, "request signature headers missing")
        if not _KEY_ID.fullmatch(key_id) or not TIMESTAMP.fullmatch(stamp):
            raise Unauthorized(_BAD, "malformed signature key id or timestamp")
        if not _SIGNATURE.fullmatch(signature):
            raise Unauthorized(_BAD, "signature is not 64 hex characters")
        if abs(self._clock() - int(stamp)) > self.max_skew:
            raise Unauthorized(ReasonCode.STALE_REQUEST_SIGNATURE, "timestamp outside max skew")
        key = self.secrets.secret_for(key_id)
        if key is None:
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, f"unknown signing key id {key_id!r}")
        try:
            canonical = scheme.canonical_request(request, key_id=key_id, timestamp=stamp)
        except ValueError as error:  # e.g. a signed parameter sent twice (version 2)
            raise Unauthorized(_BAD, str(error)) from None
        expected = scheme.signature(key.secret, canonical)
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            raise Unauthorized(_BAD, "request signature does not verify")
        return Identity(
            principal_id=key.principal or key_id,
            validator=self._name,
            claims={"key_id": key_id},
        )
