"""The shared DPoP replay store on DynamoDB (moto in server mode): one conditional put per proof,
an expired item no longer blocks, a fault fails closed."""

from __future__ import annotations

import pytest
from helpers import reason_of, unreachable_aws
from servers.moto import MotoServer

from authorizers._internal.event_parsing import parse_event
from authorizers.clock import FakeClock
from authorizers.errors import InfrastructureError, ReasonCode
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.dpop import DpopClient
from authorizers.testing.events import request_event
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.dpop_replay import DynamoDBReplayStore
from authorizers.validators.jwt import JwtValidator

TABLE = "dpop-proofs"
URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets/7"


def create_table(moto: MotoServer) -> None:
    dynamodb = moto.client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "proof_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "proof_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )


def test_two_instances_share_one_replay_store(moto_reset: MotoServer) -> None:
    create_table(moto_reset)
    clock = FakeClock(1_700_000_000)
    issuer, client = TestIssuer(clock=clock), DpopClient(clock=clock)

    def instance() -> DpopValidator:  # each with its own client, as separate Lambdas have
        tokens = JwtValidator(
            issuer=issuer.issuer,
            audience=issuer.audience,
            keys=StaticJwks(issuer.jwks),
            clock=clock,
        )
        store = DynamoDBReplayStore(TABLE, client=moto_reset.client("dynamodb"))
        return DpopValidator(tokens, replay=store, clock=clock)

    first, second = instance(), instance()
    token = issuer.mint({"cnf": client.cnf})
    event = request_event("GET /pets/7", headers=client.headers("GET", URL, token))
    first.validate(parse_event(event))
    assert reason_of(second, event) is ReasonCode.DPOP_REPLAY
    assert reason_of(first, event) is ReasonCode.DPOP_REPLAY
    fresh = request_event("GET /pets/7", headers=client.headers("GET", URL, token))
    second.validate(parse_event(fresh))
    items = moto_reset.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert len(items) == 2
    assert all(len(item["proof_id"]["S"]) == 64 for item in items)  # digests, not raw jti


def test_an_expired_item_does_not_block_its_key(moto_reset: MotoServer) -> None:
    create_table(moto_reset)
    store = DynamoDBReplayStore(TABLE, client=moto_reset.client("dynamodb"))
    assert store.first_use("k" * 64, 1_000, 900)
    assert not store.first_use("k" * 64, 1_100, 999)
    assert store.first_use("k" * 64, 2_000, 1_500)  # DynamoDB had not deleted it yet


def test_an_unreachable_store_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    store = DynamoDBReplayStore(TABLE, settings=unreachable_aws(monkeypatch))
    with pytest.raises(InfrastructureError) as caught:
        store.first_use("k" * 64, 1_000, 900)
    assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert "k" * 64 not in caught.value.detail
