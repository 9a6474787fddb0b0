"""Key maps in AWS Secrets Manager: one secret holds a JSON object of many entries.

Used for API keys (key hash -> record, :class:`SecretsManagerKeyStore`) and for HMAC signing
secrets (key id -> secret, see ``validators/hmac_signature.py``). The whole secret is read at
once and kept as a snapshot (see ``snapshot.py``); needs ``secretsmanager:GetSecretValue`` on
the secret (and ``kms:Decrypt`` if it uses a customer-managed key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, InfrastructureError
from authorizers.keystores._aws import AwsClientSettings, LazyClient
from authorizers.keystores.base import (
    KeyRecord,
    SelfCachingStore,
    is_key_hash,
    malformed_record,
)
from authorizers.keystores.snapshot import Snapshot

T = TypeVar("T")
_log = logging.getLogger(__name__)


class SecretJsonMap(Generic[T]):
    """Reads one secret whose ``SecretString`` is a JSON object and converts each entry."""

    def __init__(
        self,
        secret_id: str,
        convert: Callable[[str, Any], T],
        *,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        version_stage: str = "AWSCURRENT",
    ) -> None:
        if not secret_id:
            raise ConfigurationError("a Secrets Manager secret id or ARN is required")
        self.secret_id = secret_id
        self.version_stage = version_stage
        self._convert = convert
        self._client = LazyClient("secretsmanager", client, settings or AwsClientSettings())

    def load(self) -> dict[str, T]:
        response = self._client.get().get_secret_value(
            SecretId=self.secret_id, VersionStage=self.version_stage
        )
        text = response.get("SecretString")
        if not isinstance(text, str):
            raise ValueError("secret has no SecretString (binary secrets are not supported)")
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("secret is not a JSON object")
        return {name: self._convert(name, value) for name, value in data.items()}


class SecretsManagerKeyStore(SelfCachingStore):
    """API keys as ``{"<sha256 hex>": {<record>}, ...}`` in one secret, reloaded every ``ttl``
    seconds. Rotation = add the new hash, hand out the key, later remove the old hash."""

    def __init__(
        self,
        secret_id: str,
        *,
        ttl: float = 300.0,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        monotonic: MonotonicClock = monotonic_clock,
        name: str | None = None,
    ) -> None:
        self._name = name or f"secretsmanager:{secret_id}"
        self._secret = SecretJsonMap(secret_id, self._record, client=client, settings=settings)
        self._snapshot: Snapshot[KeyRecord | InfrastructureError] = Snapshot(
            self._name, self._load, ttl=ttl, monotonic=monotonic
        )

    @property
    def name(self) -> str:
        return self._name

    def lookup(self, key_hash: str) -> KeyRecord | None:
        found = self._snapshot.get(key_hash)
        if isinstance(found, InfrastructureError):
            raise found
        return found

    def _load(self) -> dict[str, KeyRecord | InfrastructureError]:
        entries = self._secret.load()
        misnamed = [name for name in entries if not is_key_hash(name)]
        if misnamed:  # never log the names: they may be plaintext keys pasted by mistake
            _log.warning(
                "%s: %d entries are not named by a SHA-256 hex digest and are ignored",
                self._name,
                len(misnamed),
            )
        return {name: entry for name, entry in entries.items() if is_key_hash(name)}

    def _record(self, key_hash: str, value: Any) -> KeyRecord | InfrastructureError:
        """A malformed entry fails closed for its own key only, not for every key."""
        try:
            return KeyRecord.from_mapping(value)
        except ValueError as error:
            return malformed_record(self._name, error)
