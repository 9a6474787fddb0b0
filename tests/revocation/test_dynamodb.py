"""The DynamoDB revocation list against moto in server mode: entries written by
``authorizers revoke`` are honoured by a real JwtValidator; throttling (whole and partial),
a missing table and an unreachable endpoint fail closed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import create_key_table, unreachable_aws
from servers.moto import MotoServer

from authorizers.cli import main
from authorizers.clock import FakeClock
from authorizers.errors import InfrastructureError, ReasonCode, Unauthorized
from authorizers.jwks.sources import StaticJwks
from authorizers.revocation.check import RevocationCheck
from authorizers.revocation.dynamodb import DynamoDBRevocations
from authorizers.testing import TestIssuer
from authorizers.validators.jwt import IssuerConfig, JwtValidator

TABLE = "revocations"


@pytest.fixture
def table(moto_reset: MotoServer) -> Any:
    dynamodb = moto_reset.client("dynamodb")
    create_key_table(dynamodb, TABLE, hash_key="pk")
    dynamodb.update_time_to_live(
        TableName=TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    return dynamodb


def revoke(moto: MotoServer, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    argv = ["revoke", "--table", TABLE, *args, "--endpoint-url", moto.endpoint_url]
    assert main([*argv, "--region", moto.region]) == 0
    entry: dict[str, Any] = json.loads(capsys.readouterr().out)
    return entry


def validator(issuer: TestIssuer, store: DynamoDBRevocations, clock: FakeClock) -> JwtValidator:
    check = RevocationCheck(store, ttl=0)  # read the table on every request
    config = IssuerConfig(
        issuer.issuer, keys=StaticJwks(issuer.jwks), audience=issuer.audience, checks=[check]
    )
    return JwtValidator([config], clock=clock, cache_size=0)


def refused(validator: JwtValidator, token: str) -> ReasonCode:
    with pytest.raises(Unauthorized) as raised:
        validator.verify(token)
    return raised.value.reason


def test_entries_written_by_the_cli_revoke_tokens(
    table: Any, moto_reset: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    issuer = TestIssuer(clock=clock)
    check = validator(issuer, DynamoDBRevocations(TABLE, client=table), clock)
    stolen, family = issuer.mint({"jti": "stolen"}), issuer.mint({"origin_jti": "sign-in-7"})
    older = issuer.mint(subject="bob", issued_at=-7200)
    for token in (stolen, family, older):
        assert check.verify(token).principal_id
    entry = revoke(moto_reset, capsys, "--jti", "stolen", "--token-lifetime", "3600")
    assert entry["pk"] == "jti#stolen" and entry["expires_at"] > clock.now
    revoke(moto_reset, capsys, "--origin-jti", "sign-in-7")
    cutoff = revoke(moto_reset, capsys, "--subject", "bob", "--before", str(clock.now - 60))
    assert cutoff["expires_at"] == int(clock.now - 60 + 86_400)
    assert refused(check, stolen) is ReasonCode.TOKEN_REVOKED
    assert refused(check, family) is ReasonCode.TOKEN_REVOKED
    assert refused(check, older) is ReasonCode.TOKEN_REVOKED
    assert check.verify(issuer.mint(subject="bob")).principal_id == "bob"  # issued after
    item = table.get_item(TableName=TABLE, Key={"pk": {"S": "jti#stolen"}})["Item"]
    assert set(item) >= {"pk", "expires_at", "created_at"}  # the TTL attribute is set


def test_a_banned_subject_entry_has_no_ttl(
    table: Any, moto_reset: MotoServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert revoke(moto_reset, capsys, "--subject", "mallory")["expires_at"] is None
    found = DynamoDBRevocations(TABLE, client=table).find(["sub#mallory", "jti#other"])
    assert list(found) == ["sub#mallory"] and found["sub#mallory"].before is None


def test_cli_refuses_bad_input(moto_reset: MotoServer) -> None:
    base = ["revoke", "--table", TABLE, "--endpoint-url", moto_reset.endpoint_url]
    assert main([*base, "--jti", "j", "--before", "now"]) == 2
    assert main([*base, "--subject", "s", "--before", "yesterday"]) == 2
    assert main([*base, "--jti", "x" * 5000]) == 2
    assert main([*base, "--jti", "j"]) == 2  # no table yet: reported, not a traceback


def _store_error(store: DynamoDBRevocations) -> ReasonCode:
    with pytest.raises(InfrastructureError) as raised:
        store.find(["jti#j", "sub#alice"])
    return raised.value.reason


def test_missing_table_fails_closed(moto_reset: MotoServer) -> None:
    store = DynamoDBRevocations("no-such-table", client=moto_reset.client("dynamodb"))
    assert _store_error(store) is ReasonCode.STORE_UNAVAILABLE


def test_throttling_fails_closed(table: Any) -> None:
    def throttled(**_: Any) -> Any:
        from botocore.exceptions import ClientError  # noqa: PLC0415

        error = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
        raise ClientError({"Error": error}, "BatchGetItem")

    # hooks on this test's own client (the table fixture makes one per test): nothing to undo
    table.meta.events.register("before-call.dynamodb.BatchGetItem", throttled)
    assert _store_error(DynamoDBRevocations(TABLE, client=table)) is ReasonCode.STORE_UNAVAILABLE


def test_partly_throttled_batch_fails_closed(table: Any) -> None:
    """Under throttling BatchGetItem answers 200 with UnprocessedKeys: the keys it did not
    read may be revoked, so the answer is unknown."""

    def unprocessed(parsed: dict[str, Any], **_: Any) -> None:
        parsed["UnprocessedKeys"] = {TABLE: {"Keys": [{"pk": {"S": "sub#alice"}}]}}

    table.meta.events.register("after-call.dynamodb.BatchGetItem", unprocessed)
    assert _store_error(DynamoDBRevocations(TABLE, client=table)) is ReasonCode.STORE_UNAVAILABLE


def test_malformed_entry_fails_closed(table: Any) -> None:
    table.put_item(TableName=TABLE, Item={"pk": {"S": "jti#j"}, "before": {"S": "yesterday"}})
    assert _store_error(DynamoDBRevocations(TABLE, client=table)) is ReasonCode.STORE_UNAVAILABLE


def test_unreachable_endpoint_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    store = DynamoDBRevocations(TABLE, settings=unreachable_aws(monkeypatch))
    assert _store_error(store) is ReasonCode.STORE_UNAVAILABLE
