"""Where DPoP proof ids (``jti``) are remembered, so each proof is accepted once (RFC 9449 §11.1).

A proof is only valid within its ``iat`` window, so an id needs remembering only until the
window has passed. :class:`MemoryReplayStore` holds ids for one Lambda instance (bounded: when
full of live ids it refuses new ones rather than forget one early); :class:`DynamoDBReplayStore`
shares them between all instances with one conditional ``PutItem`` and DynamoDB TTL. A store
that cannot answer fails closed (``InfrastructureError(store_unavailable)``).

Keys are fixed-size digests made by the validator (never a raw ``jti``): bounded memory and
item size whatever a client sends.
"""

from __future__ import annotations

import heapq
import threading
from typing import Any, Protocol

from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.keystores.aws import AwsClientSettings, DynamoDBTable
from authorizers.keystores.base import store_unavailable

#: Ids one instance remembers at most: ~240 bytes each (measured: 100,000 take 23 MiB). A
#: Lambda instance serves one request at a time; 20,000 live ids within a 70 s proof window
#: is ~285 requests per second per instance, far above what one instance serves.
DEFAULT_MAX_ENTRIES = 20_000


class ReplayStore(Protocol):
    """``first_use(key, expires_at, now)``: True the first time ``key`` is seen before
    ``expires_at`` (epoch seconds), False for a replay; raises ``InfrastructureError``."""

    def first_use(self, key: str, expires_at: float, now: float) -> bool: ...


class MemoryReplayStore:
    """Ids seen by this instance. Thread-safe; an id is dropped once expired, whatever order ids
    arrived in (clients choose ``iat``): a heap by expiry finds the expired ones."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ConfigurationError("max_entries must be at least 1")
        self._max = max_entries
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []  # a heap
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def first_use(self, key: str, expires_at: float, now: float) -> bool:
        with self._lock:
            by_expiry, expiry = self._by_expiry, self._expiry
            while by_expiry and by_expiry[0][0] <= now:
                expired, old = heapq.heappop(by_expiry)
                if expiry.get(old) == expired:  # not since seen again with a later expiry
                    del expiry[old]
            known = expiry.get(key)
            if known is not None and known > now:
                return False
            if len(expiry) >= self._max:  # forgetting a live id would allow its replay
                raise InfrastructureError(
                    ReasonCode.STORE_UNAVAILABLE, "DPoP replay store is full of live proof ids"
                )
            expiry[key] = expires_at
            heapq.heappush(by_expiry, (expires_at, key))
            return True


class DynamoDBReplayStore(DynamoDBTable):
    """One item per proof id: ``PutItem`` succeeds only if no live item has the key.

    The table: partition key ``partition_key`` (string), TTL enabled on ``ttl_attribute``.
    DynamoDB deletes expired items lazily (up to days later), so the condition also accepts an
    item whose expiry has passed. Needs ``dynamodb:PutItem`` on the table.
    """

    default_partition_key = "proof_id"

    def __init__(
        self,
        table_name: str,
        *,
        partition_key: str = default_partition_key,
        ttl_attribute: str = "expires_at",
        client: Any | None = None,
        settings: AwsClientSettings | None = None,
    ) -> None:
        if not ttl_attribute:
            raise ConfigurationError("DynamoDBReplayStore needs a TTL attribute")
        super().__init__(table_name, partition_key=partition_key, client=client, settings=settings)
        self.ttl_attribute = ttl_attribute

    def first_use(self, key: str, expires_at: float, now: float) -> bool:
        try:
            self._client.get().put_item(
                TableName=self.table_name,
                Item={
                    self.partition_key: {"S": key},
                    self.ttl_attribute: {"N": str(int(expires_at) + 1)},
                },
                ConditionExpression="attribute_not_exists(#key) OR #expires < :now",
                ExpressionAttributeNames={
                    "#key": self.partition_key,
                    "#expires": self.ttl_attribute,
                },
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except Exception as error:  # botocore errors, timeouts: fail closed
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                return False
            raise store_unavailable(self._name, error) from None
        return True
