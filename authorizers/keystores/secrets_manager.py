"""Key maps in AWS Secrets Manager: one secret holds a JSON object of many entries.

Used for API keys (key hash -> record, :class:`SecretsManagerKeyStore`) and for HMAC signing
secrets (key id -> secret, see ``validators/hmac_signature.py``). The whole secret is read at
once and kept as a snapshot (see ``snapshot.py``); needs ``secretsmanager:GetSecretValue`` on
the secret (and ``kms:Decrypt`` if it uses a customer-managed key).
"""

from __future__ import annotations

from typing import Any

from authorizers._internal import strict_json
from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError
from authorizers.keystores._aws import AwsClientSettings, LazyClient
from authorizers.keystores.snapshot import SnapshotKeyStore


class SecretJsonMap:
    """Reads one secret whose ``SecretString`` is a JSON object."""

    def __init__(
        self,
        secret_id: str,
        *,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        version_stage: str = "AWSCURRENT",
    ) -> None:
        if not secret_id:
            raise ConfigurationError("a Secrets Manager secret id or ARN is required")
        self.secret_id = secret_id
        self.version_stage = version_stage
        self._client = LazyClient("secretsmanager", client, settings or AwsClientSettings())

    def load(self) -> dict[str, Any]:
        response = self._client.get().get_secret_value(
            SecretId=self.secret_id, VersionStage=self.version_stage
        )
        text = response.get("SecretString")
        if not isinstance(text, str):
            raise ValueError("secret has no SecretString (binary secrets are not supported)")
        data = strict_json.loads(text)  # a duplicate entry or a NaN time fails closed
        if not isinstance(data, dict):
            raise ValueError("secret is not a JSON object")
        return data


class SecretsManagerKeyStore(SnapshotKeyStore):
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
        secret = SecretJsonMap(secret_id, client=client, settings=settings)
        super().__init__(
            name or f"secretsmanager:{secret_id}",
            lambda: secret.load().items(),
            ttl=ttl,
            monotonic=monotonic,
        )
