"""boto3 clients for the AWS-backed stores, created at first use with short timeouts.

boto3 costs ~330 ms to import, so it is imported here lazily, never at module import: an
authorizer that only verifies JWTs never pays for it. A client can be injected instead (tests,
custom sessions, cross-account roles).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


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
