"""Key-store mistakes are diagnosed (issue 16): a DynamoDB table whose key is not named
``partition_key`` says so, and a record without ``owner`` is reported as missing ``owner`` by
every store. Stores run against moto in server mode on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import create_key_table
from servers.moto import MotoServer

from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode
from authorizers.keystores.base import KeyRecord, hash_api_key
from authorizers.keystores.dynamodb import DynamoDBKeyStore
from authorizers.keystores.secrets_manager import SecretsManagerKeyStore
from authorizers.keystores.ssm import SsmKeyStore
from authorizers.keystores.static import StaticKeyStore

KEY_HASH = hash_api_key("pk_mistakes_example")


def test_a_table_keyed_by_another_name_says_so(moto_reset: MotoServer) -> None:
    client = moto_reset.client("dynamodb")
    item = {"id": {"S": KEY_HASH}, "owner": {"S": "partner"}}
    create_key_table(client, "keys-by-id", item, hash_key="id")
    store = DynamoDBKeyStore("keys-by-id", client=client)  # partition_key defaults to key_hash
    with pytest.raises(InfrastructureError) as refused:
        store.lookup(KEY_HASH)
    assert refused.value.reason is ReasonCode.STORE_UNAVAILABLE
    detail = refused.value.detail
    assert "partition_key" in detail and "'key_hash'" in detail, detail
    assert KEY_HASH not in detail
    assert DynamoDBKeyStore("keys-by-id", partition_key="id", client=client).lookup(KEY_HASH)


def test_missing_owner_is_named() -> None:
    with pytest.raises(ValueError, match="'owner' is missing"):
        KeyRecord.from_mapping({"key_id": "k1"})
    with pytest.raises(ValueError, match="'owner' must be a non-empty string"):
        KeyRecord.from_mapping({"owner": ""})
    with pytest.raises(ConfigurationError, match="'owner' is missing"):
        StaticKeyStore({KEY_HASH: {"scopes": ["read"]}})


def _dynamodb(moto: MotoServer, record: dict[str, Any]) -> DynamoDBKeyStore:
    client = moto.client("dynamodb")
    item = {"key_hash": {"S": KEY_HASH}} | {k: {"S": v} for k, v in record.items()}
    create_key_table(client, "no-owner", item)
    return DynamoDBKeyStore("no-owner", client=client)


def _secrets_manager(moto: MotoServer, record: dict[str, Any]) -> SecretsManagerKeyStore:
    client = moto.client("secretsmanager")
    client.create_secret(Name="no-owner", SecretString=json.dumps({KEY_HASH: record}))
    return SecretsManagerKeyStore("no-owner", client=client)


def _ssm(moto: MotoServer, record: dict[str, Any]) -> SsmKeyStore:
    client = moto.client("ssm")
    client.put_parameter(Name=f"/no-owner/{KEY_HASH}", Value=json.dumps(record), Type="String")
    return SsmKeyStore("/no-owner", client=client)


@pytest.mark.parametrize("make", [_dynamodb, _secrets_manager, _ssm], ids=lambda f: f.__name__)
def test_every_store_reports_a_missing_owner(moto_reset: MotoServer, make: Any) -> None:
    store = make(moto_reset, {"key_id": "k1"})
    with pytest.raises(InfrastructureError) as refused:
        store.lookup(KEY_HASH)
    assert "'owner' is missing" in refused.value.detail, refused.value.detail
