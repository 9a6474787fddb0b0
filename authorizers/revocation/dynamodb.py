"""A revocation list in a DynamoDB table: one item per entry, ``pk`` = ``<kind>#<value>``.

Items carry ``expires_at`` (epoch seconds), the table's TTL attribute: DynamoDB deletes an
entry once the tokens it revokes have expired anyway, so the table never grows without bound.
Subject entries may carry ``before`` (epoch seconds). Up to three keys per token are read in
one ``BatchGetItem``; needs ``dynamodb:BatchGetItem`` (reading) and ``dynamodb:PutItem``
(``authorizers revoke``). Throttled, missing or unreadable: ``store_unavailable``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from authorizers.keystores.aws import DynamoDBTable
from authorizers.keystores.base import malformed_record, store_unavailable
from authorizers.revocation.base import Revocation

DEFAULT_PARTITION_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"


class DynamoDBRevocations(DynamoDBTable):
    """``BatchGetItem`` by entry key; ``consistent_read`` sees a just-written entry at once."""

    default_partition_key = DEFAULT_PARTITION_KEY

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]:
        pk = self.partition_key
        request = {
            self.table_name: {
                "Keys": [{pk: {"S": key}} for key in dict.fromkeys(keys)],
                "ConsistentRead": self.consistent_read,
                "ProjectionExpression": "#k, #b, #t",
                "ExpressionAttributeNames": {"#k": pk, "#b": "before", "#t": TTL_ATTRIBUTE},
            }
        }
        try:
            response = self._client.get().batch_get_item(RequestItems=request)
            if response.get("UnprocessedKeys"):  # throttled part-way: the answer is unknown
                raise RuntimeError("UnprocessedKeys")
            items = response.get("Responses", {}).get(self.table_name, [])
            found = {item[pk]["S"]: item for item in items}
        except Exception as error:  # botocore errors, timeouts, odd shapes: fail closed
            raise store_unavailable(self._name, error) from None
        try:
            return {key: Revocation.from_mapping(_plain(item)) for key, item in found.items()}
        except ValueError as error:
            raise malformed_record(self._name, error) from None

    def put(
        self, key: str, *, expires_at: float | None, before: float | None = None, **extra: str
    ) -> None:
        """Write one entry (the ``authorizers revoke`` command). ``extra``: informational
        string attributes (``reason``, ``created_by``)."""
        item: dict[str, Any] = {self.partition_key: {"S": key}}
        item["created_at"] = {"N": str(int(time.time()))}
        if expires_at is not None:
            item[TTL_ATTRIBUTE] = {"N": str(int(expires_at))}
        if before is not None:
            item["before"] = {"N": repr(float(before))}
        item.update({name: {"S": value} for name, value in extra.items() if value})
        self._client.get().put_item(TableName=self.table_name, Item=item)


def _plain(item: Mapping[str, Any]) -> dict[str, object]:
    """``{"before": {"N": "1.5"}}`` -> ``{"before": 1.5}``; other types are refused."""
    values: dict[str, object] = {}
    for name in ("before", TTL_ATTRIBUTE):
        if name in item:
            typed = item[name]
            if not isinstance(typed, Mapping) or set(typed) != {"N"}:
                raise ValueError(f"{name!r} must be a number")
            values[name] = float(typed["N"])
    return values
