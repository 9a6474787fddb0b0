"""boto3 clients for the AWS-backed stores, created at first use with short timeouts.

boto3 costs ~330 ms to import, so it is imported here lazily, never at module import: an
authorizer that only verifies JWTs never pays for it. A client can be injected instead (tests,
custom sessions, cross-account roles).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from authorizers._extras import require_extra


@dataclass(frozen=True, slots=True)
class AwsClientSettings:
    """How to reach the service. Timeouts are short on purpose: an authorizer has at most 10-30 s
    and a slow store should fail closed quickly rather than hold the request."""

    region_name: str | None = None
    endpoint_url: str | None = None
    connect_timeout: float = 1.0
    read_timeout: float = 2.0
    max_attempts: int = 2


class LazyClient:
    """Holds an injected client, or builds one from settings on first ``get()``."""

    def __init__(self, service: str, client: Any | None, settings: AwsClientSettings) -> None:
        if client is None:  # without boto3 every request would fail closed: say so at build
            require_extra("boto3", "aws", f"an AWS {service} store")
        self._service = service
        self._client = client
        self._settings = settings
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return self._client

    def _build(self) -> Any:
        import boto3  # noqa: PLC0415 - deferred on purpose, see module docstring
        from botocore.config import Config  # noqa: PLC0415

        settings = self._settings
        config = Config(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            retries={"max_attempts": settings.max_attempts, "mode": "standard"},
        )
        return boto3.client(
            self._service,  # type: ignore[call-overload]
            region_name=settings.region_name,
            endpoint_url=settings.endpoint_url,
            config=config,
        )


class DynamoDBTable:
    """What every DynamoDB-backed store holds: the table, its partition key, the read mode and a
    lazily built client (one place, so the key, revocation and DPoP replay stores cannot drift
    apart)."""

    #: The partition key a table of this kind has unless ``partition_key`` says otherwise.
    default_partition_key: ClassVar[str]

    def __init__(
        self,
        table_name: str,
        *,
        partition_key: str | None = None,
        consistent_read: bool = False,
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
        name: str | None = None,
    ) -> None:
        if partition_key is None:
            partition_key = self.default_partition_key
        if not table_name or not partition_key:
            from authorizers.errors import ConfigurationError  # noqa: PLC0415

            kind = type(self).__name__
            raise ConfigurationError(f"{kind} needs a table name and a partition key")
        self.table_name = table_name
        self.partition_key = partition_key
        self.consistent_read = consistent_read
        self._client = LazyClient("dynamodb", client, settings or AwsClientSettings())
        self._name = name or f"dynamodb:{table_name}"

    @property
    def name(self) -> str:
        return self._name
