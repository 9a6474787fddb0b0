"""API keys in a DynamoDB table: one item per key, the key hash as partition key.

Suits any number of keys and per-key changes (disable, expire, delete) without redeploying.
Needs ``dynamodb:GetItem`` on the table. Lookups are cached by ``ApiKeyValidator``.
"""

from __future__ import annotations

from authorizers.errors import InfrastructureError, ReasonCode
from authorizers.keystores.aws import DynamoDBTable
from authorizers.keystores.base import (
    KeyRecord,
    malformed_record,
    require_key_hash,
    store_unavailable,
)


class DynamoDBKeyStore(DynamoDBTable):
    """``GetItem`` by key hash. ``client`` (a boto3 DynamoDB client) or ``settings`` say how to
    reach the table; ``consistent_read`` makes a just-disabled key fail at once (2x read cost)."""

    default_partition_key = "key_hash"

    def lookup(self, key_hash: str) -> KeyRecord | None:
        require_key_hash(key_hash)
        try:
            response = self._client.get().get_item(
                TableName=self.table_name,
                Key={self.partition_key: {"S": key_hash}},
                ConsistentRead=self.consistent_read,
            )
            item = response.get("Item")
            if item is None:
                return None
            from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 - lazy boto3

            deserializer = TypeDeserializer()
            data = {k: deserializer.deserialize(v) for k, v in item.items()}
        except InfrastructureError:
            raise
        except Exception as error:  # botocore errors, timeouts, bad item types: fail closed
            if _is_schema_mismatch(error):
                raise InfrastructureError(
                    ReasonCode.STORE_UNAVAILABLE,
                    f"{self._name}: the table's key does not match partition_key "
                    f"{self.partition_key!r} (a string attribute); give the name of the "
                    "table's partition key, and no sort key",
                ) from None
            raise store_unavailable(self._name, error) from None
        data.pop(self.partition_key, None)
        try:
            return KeyRecord.from_mapping(data)
        except ValueError as error:
            raise malformed_record(self._name, error) from None


def _is_schema_mismatch(error: Exception) -> bool:
    """DynamoDB's answer to a ``Key`` naming another attribute (or type) than the table's key,
    or a table that also has a sort key. Only our test of AWS's fixed text - the message itself
    is never logged (SDK messages can echo request values)."""
    response = getattr(error, "response", None)
    details = response.get("Error", {}) if isinstance(response, dict) else {}
    return details.get("Code") == "ValidationException" and "key element does not match" in str(
        details.get("Message", "")
    )
