"""HMAC shared secrets by key id: what :class:`~authorizers.validators.hmac_signature.
HmacSignatureValidator` verifies with, from configuration or one Secrets Manager secret.

A key store like the API-key stores beside it: the validator asks ``secret_for(key_id)`` and
never learns where the secret lives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from authorizers import _setting_checks as checks
from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError
from authorizers.keystores.aws import AwsClientSettings
from authorizers.keystores.secrets_manager import SecretJsonMap
from authorizers.keystores.snapshot import EntrySnapshot

MIN_SECRET_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


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
            if principal is not None:
                checks.name(principal, "'principal'")
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
            check_key_id(key_id)
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


def check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise ConfigurationError("HMAC key ids are 1-128 characters of [A-Za-z0-9._:/+=@-]")
    return key_id
