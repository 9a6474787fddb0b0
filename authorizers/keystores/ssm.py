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

import json
import logging
from typing import Any

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError, InfrastructureError
from authorizers.keystores._aws import AwsClientSettings, LazyClient
from authorizers.keystores.base import KeyRecord, SelfCachingStore, is_key_hash, malformed_record
from authorizers.keystores.snapshot import Snapshot

_log = logging.getLogger(__name__)


class SsmKeyStore(SelfCachingStore):
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
        self._name = name or f"ssm:{self.path}"
        self._client = LazyClient("ssm", client, settings or AwsClientSettings())
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
        paginator = self._client.get().get_paginator("get_parameters_by_path")
        records: dict[str, KeyRecord | InfrastructureError] = {}
        misnamed = 0
        pages = paginator.paginate(Path=self.path, Recursive=False, WithDecryption=True)
        for page in pages:
            for parameter in page.get("Parameters", []):
                key_hash = parameter["Name"].rsplit("/", 1)[-1]
                if not is_key_hash(key_hash):
                    misnamed += 1
                    continue
                records[key_hash] = self._record(parameter.get("Value"))
        if misnamed:  # never log the names: they may be plaintext keys pasted by mistake
            _log.warning(
                "%s: %d parameters are not named by a SHA-256 hex digest and are ignored",
                self._name,
                misnamed,
            )
        return records

    def _record(self, value: Any) -> KeyRecord | InfrastructureError:
        """A malformed parameter fails closed for its own key only."""
        try:
            return KeyRecord.from_mapping(json.loads(value))
        except (TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
            detail = error if not isinstance(error, json.JSONDecodeError) else "not JSON"
            return malformed_record(self._name, ValueError(str(detail)))
