"""API keys in SSM Parameter Store: one parameter per key under a path, read as a snapshot.

Layout: ``<path>/<sha256 hex>`` holds the key's JSON record (a ``SecureString`` is advised, a
``String`` works). One parameter per key keeps each record small (no 4 KB/8 KB map limit), lets
IAM and change history work per key, and makes rotation "put a parameter, delete a parameter".
The whole path is read with ``GetParametersByPath`` and kept for ``ttl`` seconds, so unknown keys
cost no calls (SSM's default throughput is low). Suits up to a few hundred keys; use DynamoDB
beyond that. Needs ``ssm:GetParametersByPath`` on the path (and ``kms:Decrypt`` for
SecureStrings under a customer-managed key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from authorizers._internal import strict_json
from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError
from authorizers.keystores._aws import AwsClientSettings, LazyClient
from authorizers.keystores.base import KeyRecord
from authorizers.keystores.snapshot import SnapshotKeyStore


class SsmKeyStore(SnapshotKeyStore):
    """Keys under ``path`` (e.g. ``/my-api/api-keys``), reloaded every ``ttl`` seconds."""

    def __init__(
        self,
        path: str,
        *,
        ttl: float = 300.0,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        monotonic: MonotonicClock = monotonic_clock,
        name: str | None = None,
    ) -> None:
        if not path.startswith("/") or path == "/":
            raise ConfigurationError("SsmKeyStore path must start with '/' and not be the root")
        self.path = path.rstrip("/")
        self._client = LazyClient("ssm", client, settings or AwsClientSettings())
        super().__init__(
            name or f"ssm:{self.path}",
            self._parameters,
            record=_json_record,
            noun="parameters",
            ttl=ttl,
            monotonic=monotonic,
        )

    def _parameters(self) -> Iterator[tuple[str, Any]]:
        paginator = self._client.get().get_paginator("get_parameters_by_path")
        pages = paginator.paginate(Path=self.path, Recursive=False, WithDecryption=True)
        for page in pages:
            for parameter in page.get("Parameters", []):
                yield parameter["Name"].rsplit("/", 1)[-1], parameter.get("Value")


def _json_record(value: Any) -> KeyRecord:
    if not isinstance(value, str):
        raise ValueError("parameter value is not text")
    try:  # strict: {"enabled": false, "enabled": true} or a NaN time is refused, not guessed
        data = strict_json.loads(value)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"not JSON: {error}") from None
    return KeyRecord.from_mapping(data)
