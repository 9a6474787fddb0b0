"""API-key records: non-finite times and duplicate members are refused (issue 14.5).

A NaN ``expires_at`` compares false with every clock reading, so the key never expired; in
``{"enabled": false, "enabled": true}`` the last member won. Records are now parsed with the
strict JSON the configuration uses, and every store fails closed on such a record. The stores
run against moto on 127.0.0.1.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import create_key_table
from servers.moto import MotoServer

from authorizers.errors import InfrastructureError, ReasonCode
from authorizers.keystores.base import KeyRecord, hash_api_key
from authorizers.keystores.dynamodb import DynamoDBKeyStore
from authorizers.keystores.secrets_manager import SecretsManagerKeyStore
from authorizers.keystores.ssm import SsmKeyStore

KEY_HASH = hash_api_key("k-strict-records")
NON_FINITE = ["nan", "NaN", "inf", "Infinity", "-Infinity", float("nan"), float("inf")]
NON_FINITE += [Decimal("NaN"), Decimal("Infinity"), Decimal("sNaN")]
FULLWIDTH = "".join(chr(0xFF10 + int(digit)) for digit in "1700000000")
NOT_EPOCH_TEXT = ["1_700_000_000", FULLWIDTH, " 1700000000", "1e3", "0x10"]


@pytest.mark.parametrize("value", NON_FINITE + NOT_EPOCH_TEXT, ids=repr)
@pytest.mark.parametrize("field", ["expires_at", "not_before"])
def test_record_times_must_be_finite_epoch_seconds(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        KeyRecord.from_mapping({"owner": "o", field: value})


def test_plain_and_iso_times_still_parse() -> None:
    record = KeyRecord.from_mapping(
        {"owner": "o", "not_before": "1700000000.5", "expires_at": "2030-01-01T00:00:00Z"}
    )
    assert record.not_before == 1_700_000_000.5
    assert record.expires_at == 1_893_456_000.0


DUPLICATE = '{"owner": "o", "enabled": false, "enabled": true}'
NAN_TIME = '{"owner": "o", "expires_at": NaN}'


@pytest.mark.parametrize("record", [DUPLICATE, NAN_TIME], ids=["duplicate", "NaN"])
def test_ssm_refuses_a_record_that_is_not_strict_json(moto_reset: MotoServer, record: str) -> None:
    moto_reset.client("ssm").put_parameter(Name=f"/strict/{KEY_HASH}", Value=record, Type="String")
    store = SsmKeyStore("/strict", client=moto_reset.client("ssm"))
    with pytest.raises(InfrastructureError) as refused:
        store.lookup(KEY_HASH)
    assert refused.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert "malformed record" in refused.value.detail


@pytest.mark.parametrize("record", [DUPLICATE, NAN_TIME], ids=["duplicate", "NaN"])
def test_secrets_manager_refuses_a_secret_that_is_not_strict_json(
    moto_reset: MotoServer, record: str
) -> None:
    client = moto_reset.client("secretsmanager")
    client.create_secret(Name="strict", SecretString=f'{{"{KEY_HASH}": {record}}}')
    store = SecretsManagerKeyStore("strict", client=client)
    with pytest.raises(InfrastructureError) as refused:
        store.lookup(KEY_HASH)
    assert refused.value.reason is ReasonCode.STORE_UNAVAILABLE


def test_secrets_manager_refuses_a_key_listed_twice(moto_reset: MotoServer) -> None:
    client = moto_reset.client("secretsmanager")
    text = f'{{"{KEY_HASH}": {{"owner": "a"}}, "{KEY_HASH}": {{"owner": "b"}}}}'
    client.create_secret(Name="twice", SecretString=text)
    with pytest.raises(InfrastructureError):
        SecretsManagerKeyStore("twice", client=client).lookup(KEY_HASH)


@pytest.mark.parametrize("value", ["nan", "Infinity", "-inf"])
def test_dynamodb_refuses_a_non_finite_time_string(moto_reset: MotoServer, value: str) -> None:
    client = moto_reset.client("dynamodb")
    item = {"key_hash": {"S": KEY_HASH}, "owner": {"S": "o"}, "expires_at": {"S": value}}
    create_key_table(client, "strict-keys", item)
    with pytest.raises(InfrastructureError) as refused:
        DynamoDBKeyStore("strict-keys", client=client).lookup(KEY_HASH)
    assert "expires_at" in refused.value.detail
