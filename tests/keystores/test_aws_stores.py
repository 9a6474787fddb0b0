"""Key stores against real AWS APIs served by moto on 127.0.0.1: DynamoDB, Secrets Manager, SSM.

Each test creates its table, secret or parameters, then validates real keys end to end through
``ApiKeyValidator``. A store that cannot be reached must fail closed (``store_unavailable``),
never answer "unknown key".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest
from helpers import create_key_table, unreachable_aws
from servers.moto import MotoServer

from authorizers.arn import ApiArn
from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, InfrastructureError, ReasonCode, Unauthorized
from authorizers.keystores.aws import AwsClientSettings
from authorizers.keystores.base import KeyStore, hash_api_key, new_api_key
from authorizers.keystores.dynamodb import DynamoDBKeyStore
from authorizers.keystores.secrets_manager import SecretsManagerKeyStore
from authorizers.keystores.ssm import SsmKeyStore
from authorizers.request import AuthRequest, MultiMap, RequestKind
from authorizers.validators.api_key import ApiKeyValidator

NOW = 1_800_000_000.0
TABLE, SECRET_ID, PATH = "api-keys", "prod/api-keys", "/my-api/api-keys"
STORES = ("dynamodb", "secretsmanager", "ssm")


class Keys:
    """Fresh random keys per test, registered with the suite's redaction guard."""

    def __init__(self, register: Callable[..., object]) -> None:
        self.by_name: dict[str, str] = {}
        for name in ("good", "rotated", "disabled", "expired", "future", "malformed", "unknown"):
            key, _ = new_api_key(prefix=f"{name}_")
            self.by_name[name] = str(register(key, "API key"))

    def __getitem__(self, name: str) -> str:
        return self.by_name[name]

    def records(self) -> dict[str, dict[str, Any]]:
        """What an operator stores: hash -> record (JSON-able; DynamoDB gets its own types)."""
        return {
            hash_api_key(self["good"]): {
                "owner": "partner-a",
                "key_id": "k1",
                "plan": "gold",
                "scopes": ["orders:read"],
                "expires_at": NOW + 3600,
                "context": {"tier": 2},
            },
            hash_api_key(self["rotated"]): {"owner": "partner-a", "key_id": "k2"},
            hash_api_key(self["disabled"]): {"owner": "partner-b", "enabled": False},
            hash_api_key(self["expired"]): {"owner": "partner-c", "expires_at": NOW - 1},
            hash_api_key(self["future"]): {"owner": "partner-d", "not_before": NOW + 60},
            hash_api_key(self["malformed"]): {"owner": "partner-e", "enabled": "yes"},
        }

    def all(self) -> list[str]:
        return list(self.by_name.values())


@pytest.fixture
def keys(register_secret: Callable[..., object]) -> Keys:
    return Keys(register_secret)


def request(key: str) -> AuthRequest:
    return AuthRequest(
        kind=RequestKind.REST_REQUEST,
        arn=ApiArn.parse("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/orders"),
        headers=MultiMap({"x-api-key": (key,)}, case_insensitive=True),
    )


def dynamodb_item(key_hash: str, record: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"key_hash": {"S": key_hash}, "owner": {"S": record["owner"]}}
    for name, value in record.items():
        if name == "owner":
            continue
        if isinstance(value, bool) or name == "enabled":
            item[name] = {"BOOL": value} if isinstance(value, bool) else {"S": str(value)}
        elif isinstance(value, int | float):
            item[name] = {"N": str(value)}
        elif isinstance(value, list):
            item[name] = {"SS": value}
        elif isinstance(value, dict):
            item[name] = {"M": {k: {"N": str(v)} for k, v in value.items()}}
        else:
            item[name] = {"S": value}
    return item


def provision(kind: str, moto: MotoServer, records: Mapping[str, Mapping[str, Any]]) -> None:
    if kind == "dynamodb":
        items = (dynamodb_item(key_hash, record) for key_hash, record in records.items())
        create_key_table(moto.client("dynamodb"), TABLE, *items)
    elif kind == "secretsmanager":
        moto.client("secretsmanager").create_secret(
            Name=SECRET_ID, SecretString=json.dumps(records)
        )
    else:
        client = moto.client("ssm")
        for n, (key_hash, record) in enumerate(records.items()):
            client.put_parameter(
                Name=f"{PATH}/{key_hash}",
                Value=json.dumps(record),
                Type="SecureString" if n % 2 else "String",
            )


def make_store(
    kind: str, *, settings: AwsClientSettings | None = None, client: Any = None, **kw: Any
) -> KeyStore:
    if kind == "dynamodb":
        return DynamoDBKeyStore(TABLE, settings=settings, client=client)
    if kind == "secretsmanager":
        return SecretsManagerKeyStore(SECRET_ID, settings=settings, client=client, **kw)
    return SsmKeyStore(PATH, settings=settings, client=client, **kw)


@pytest.fixture
def moto(moto_reset: MotoServer) -> Iterator[MotoServer]:
    yield moto_reset


@pytest.mark.parametrize("kind", STORES)
def test_real_keys_validate_through_each_store(
    kind: str, moto: MotoServer, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="authorizers")
    provision(kind, moto, keys.records())
    settings = AwsClientSettings(endpoint_url=moto.endpoint_url, region_name=moto.region)
    validator = ApiKeyValidator(
        make_store(kind, settings=settings), usage_identifier=True, clock=FakeClock(NOW)
    )
    identity = validator.validate(request(keys["good"]))
    assert identity.principal_id == "partner-a"
    assert identity.scopes == {"orders:read"}
    assert dict(identity.context) == {"key_id": "k1", "plan": "gold", "tier": 2}
    assert identity.usage_identifier_key == keys["good"]
    assert validator.validate(request(keys["rotated"])).principal_id == "partner-a"
    expected = {
        "disabled": ReasonCode.DISABLED_API_KEY,
        "expired": ReasonCode.EXPIRED_API_KEY,
        "future": ReasonCode.API_KEY_NOT_YET_VALID,
        "unknown": ReasonCode.UNKNOWN_API_KEY,
    }
    for name, reason in expected.items():
        with pytest.raises(Unauthorized) as caught:
            validator.validate(request(keys[name]))
        assert caught.value.reason is reason, name
    # a record the store holds but we cannot trust fails closed, for that key only
    with pytest.raises(InfrastructureError) as broken:
        validator.validate(request(keys["malformed"]))
    assert broken.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert validator.validate(request(keys["good"]))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("authorizers"))
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for key in keys.all():
        assert key not in everything, [r.name for r in caplog.records if key in r.getMessage()]
        assert hash_api_key(key) not in ours  # only the SDK's wire log sends the hash


def test_dynamodb_types_custom_partition_key_and_injected_client(
    moto: MotoServer, keys: Keys
) -> None:
    client = moto.client("dynamodb")
    item = {
        "h": {"S": hash_api_key(keys["good"])},
        "owner": {"S": "svc"},
        "groups": {"L": [{"S": "ops"}]},
        "expires_at": {"S": "2030-01-01T00:00:00Z"},
        "context": {"M": {"ratio": {"N": "0.5"}, "tags": {"SS": ["a", "b"]}}},
        "description": {"S": "issued for the nightly batch"},
    }
    create_key_table(client, "keys2", item, hash_key="h")
    store = DynamoDBKeyStore("keys2", partition_key="h", consistent_read=True, client=client)
    record = store.lookup(hash_api_key(keys["good"]))
    assert record is not None
    assert record.groups == {"ops"} and record.expires_at == 1_893_456_000.0
    assert dict(record.context) == {"ratio": 0.5, "tags": ["a", "b"]}
    assert store.lookup(hash_api_key(keys["unknown"])) is None


def test_cached_dynamodb_store_answers_from_cache_then_sees_deletion(
    moto: MotoServer, keys: Keys
) -> None:
    provision("dynamodb", moto, keys.records())
    client = moto.client("dynamodb")
    monotonic = FakeClock(0.0)
    validator = ApiKeyValidator(
        DynamoDBKeyStore(TABLE, client=client), clock=FakeClock(NOW), monotonic=monotonic
    )
    assert validator.validate(request(keys["good"]))
    client.delete_item(TableName=TABLE, Key={"key_hash": {"S": hash_api_key(keys["good"])}})
    assert validator.validate(request(keys["good"]))  # cached for cache_ttl
    monotonic.advance(300)
    with pytest.raises(Unauthorized) as caught:
        validator.validate(request(keys["good"]))
    assert caught.value.reason is ReasonCode.UNKNOWN_API_KEY


@pytest.mark.parametrize("kind", ["secretsmanager", "ssm"])
def test_snapshot_stores_reload_after_ttl_and_ignore_misnamed_entries(
    kind: str,
    moto: MotoServer,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
    register_secret: Callable[..., object],
) -> None:
    caplog.set_level(logging.WARNING)
    pasted = str(register_secret("plaintext-key-pasted-by-mistake-123", "API key"))
    records: dict[str, Any] = keys.records() | {pasted: {"owner": "oops"}}
    provision(kind, moto, records)
    monotonic = FakeClock(0.0)
    store = make_store(kind, client=moto.client(kind), monotonic=monotonic, ttl=60)
    validator = ApiKeyValidator(store, clock=FakeClock(NOW))
    assert validator.validate(request(keys["good"]))
    assert "not named by a SHA-256 hex digest" in caplog.text and pasted not in caplog.text
    new_key = str(register_secret(new_api_key()[0], "API key"))
    if kind == "secretsmanager":
        moto.client(kind).put_secret_value(
            SecretId=SECRET_ID, SecretString=json.dumps({hash_api_key(new_key): {"owner": "n"}})
        )
    else:
        ssm = moto.client("ssm")
        ssm.delete_parameter(Name=f"{PATH}/{hash_api_key(keys['good'])}")
        ssm.put_parameter(
            Name=f"{PATH}/{hash_api_key(new_key)}", Value='{"owner": "n"}', Type="String"
        )
    with pytest.raises(Unauthorized):  # not yet: the snapshot is fresh
        validator.validate(request(new_key))
    monotonic.advance(60)
    assert validator.validate(request(new_key)).principal_id == "n"
    with pytest.raises(Unauthorized) as caught:
        validator.validate(request(keys["good"]))
    assert caught.value.reason is ReasonCode.UNKNOWN_API_KEY


def test_ssm_store_pages_through_many_parameters_and_skips_nested_ones(
    moto: MotoServer, register_secret: Callable[..., object]
) -> None:
    ssm = moto.client("ssm")
    issued = [str(register_secret(new_api_key()[0], "API key")) for _ in range(23)]
    for n, key in enumerate(issued):
        ssm.put_parameter(
            Name=f"{PATH}/{hash_api_key(key)}", Value=json.dumps({"owner": f"o{n}"}), Type="String"
        )
    nested = str(register_secret(new_api_key()[0], "API key"))
    ssm.put_parameter(
        Name=f"{PATH}/nested/{hash_api_key(nested)}", Value='{"owner": "x"}', Type="String"
    )
    ssm.put_parameter(Name=f"{PATH}/{hash_api_key('bad')}", Value="{not json", Type="String")
    validator = ApiKeyValidator(SsmKeyStore(PATH + "/", client=ssm), clock=FakeClock(NOW))
    assert [validator.validate(request(k)).principal_id for k in issued] == [
        f"o{n}" for n in range(23)
    ]
    with pytest.raises(Unauthorized):
        validator.validate(request(nested))
    with pytest.raises(InfrastructureError, match="not JSON"):
        SsmKeyStore(PATH, client=ssm).lookup(hash_api_key("bad"))


@pytest.mark.parametrize("kind", STORES)
def test_missing_table_or_secret_fails_closed_but_an_empty_path_is_empty(
    kind: str, moto: MotoServer, keys: Keys
) -> None:
    validator = ApiKeyValidator(make_store(kind, client=moto.client(kind)), clock=FakeClock(NOW))
    if kind == "ssm":  # no parameters under the path: a valid answer, no key is known
        with pytest.raises(Unauthorized) as unknown:
            validator.validate(request(keys["good"]))
        assert unknown.value.reason is ReasonCode.UNKNOWN_API_KEY
        return
    with pytest.raises(InfrastructureError) as caught:
        validator.validate(request(keys["good"]))
    assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert hash_api_key(keys["good"]) not in str(caught.value)


@pytest.mark.parametrize("kind", STORES)
def test_store_down_fails_closed_quickly(
    kind: str, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = unreachable_aws(monkeypatch)
    validator = ApiKeyValidator(make_store(kind, settings=settings), clock=FakeClock(NOW))
    started = time.monotonic()
    for _ in range(2):  # the failure is not cached as "unknown": it fails closed every time
        with pytest.raises(InfrastructureError) as caught:
            validator.validate(request(keys["good"]))
        assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert time.monotonic() - started < 5
    assert "EndpointConnectionError" in caught.value.detail or "cooling down" in caught.value.detail


def test_decimal_context_values_from_dynamodb_are_plain_json_numbers(
    moto: MotoServer, keys: Keys
) -> None:
    provision("dynamodb", moto, keys.records())
    record = DynamoDBKeyStore(TABLE, client=moto.client("dynamodb")).lookup(
        hash_api_key(keys["good"])
    )
    assert record is not None
    assert not any(isinstance(v, Decimal) for v in record.context.values())
    assert json.dumps(dict(record.context)) == '{"tier": 2}'


def test_without_boto3_a_store_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util  # noqa: PLC0415

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "boto3" else real(name, *a)
    )
    for build in (
        lambda: DynamoDBKeyStore("api-keys"),
        lambda: SsmKeyStore("/api/keys"),
        lambda: SecretsManagerKeyStore("api-keys"),
    ):
        with pytest.raises(ConfigurationError, match=r"pip install 'authorizers\[aws\]'"):
            build()
    DynamoDBKeyStore("api-keys", client=object())  # an injected client needs no boto3
