"""The TOKEN authorizer sample, against a local Cognito-shaped issuer whose keys are served on
127.0.0.1, and against a plain JWT issuer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from authorizers.testing import (
    BrokenToken,
    CognitoTestIssuer,
    JwksServer,
    TestIssuer,
    assert_allows,
    assert_context,
    assert_denies,
    assert_unauthorized,
    token_event,
)

POOL_ID = "eu-west-1_Sample1"
CLIENT_ID = "sampleclient0123456789abcd"


@pytest.fixture(scope="module")
def pool() -> Iterator[CognitoTestIssuer]:
    issuer = CognitoTestIssuer(POOL_ID, client_ids=[CLIENT_ID, "otherclient0123456789abcde"])
    with issuer.serve():
        yield issuer


@pytest.fixture
def app(load_app, pool):
    assert pool.server is not None
    return load_app(
        USER_POOL_ID=POOL_ID,
        APP_CLIENT_IDS=f" {CLIENT_ID} ",
        JWKS_URL=pool.server.jwks_url,
        ISSUER=None,
        AUDIENCE=None,
        RESULT_TTL_SECONDS=None,
    )


def bearer(token: str) -> str:
    return f"Bearer {token}"


def test_an_access_token_gets_a_policy_for_every_route_it_may_use(app, pool):
    event = token_event("GET /whoami", bearer(pool.access_token("alice")))
    response = app.handler(event, None)
    # API Gateway caches this policy for the token: it must already cover the other routes.
    assert_allows(response, event, "GET /pets/7")
    assert_denies(response, "POST /pets", "DELETE /admin/users/1")
    assert_context(response, {"username": "alice"}, request=event)


def test_scopes_and_groups_open_more_routes(app, pool):
    token = pool.access_token("root", scopes=["pets/write"], groups=["admins", "staff"])
    event = token_event("POST /pets", bearer(token))
    response = app.handler(event, None)
    assert_allows(response, event, "GET /whoami", "DELETE /admin/users/1")
    assert_context(response, {"username": "root", "groups": "admins,staff"}, request=event)


def test_a_route_the_caller_may_not_use_is_a_403(app, pool):
    event = token_event("DELETE /admin/users/1", bearer(pool.access_token("alice")))
    response = app.handler(event, None)
    # Still the caller's whole policy: cached for the token, it must keep allowing the rest.
    assert_denies(response, event)
    assert_allows(response, "GET /whoami")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda pool: pool.id_token("alice"), id="id-token"),
        pytest.param(
            lambda pool: pool.access_token(client_id="otherclient0123456789abcde"),
            id="other-app-client",
        ),
        *[
            pytest.param(lambda pool, k=kind: pool.access_token(broken=k), id=kind.value)
            for kind in BrokenToken
        ],
    ],
)
def test_other_tokens_get_a_401(app, pool, token):
    assert_unauthorized(app.handler, token_event("GET /whoami", bearer(token(pool))))


def test_another_authorization_scheme_is_a_401(app, pool):
    assert_unauthorized(app.handler, token_event("GET /whoami", f"Basic {pool.access_token()}"))


def test_any_jwt_issuer_without_a_user_pool(load_app):
    issuer = TestIssuer(audience="https://api.example.com")
    with JwksServer(issuer.jwks) as server:
        app = load_app(
            USER_POOL_ID=None,
            ISSUER=issuer.issuer,
            AUDIENCE="https://api.example.com",
            JWKS_URL=server.jwks_url,
            RESULT_TTL_SECONDS="60",
        )
        event = token_event("GET /pets/1", bearer(issuer.mint(scope="pets/write")))
        response = app.handler(event, None)
    assert_allows(response, event, "POST /pets")
    assert_context(response, {"scope": "pets/write"}, request=event)


def test_a_revoked_token_is_a_401_when_a_revocation_table_is_set(load_app, pool):
    import base64  # noqa: PLC0415
    import json  # noqa: PLC0415

    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    stolen, kept = pool.access_token("alice"), pool.access_token("bob")
    payload = stolen.split(".")[1]
    jti = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]
    with pytest.MonkeyPatch.context() as env, mock_aws():
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        boto3.client("dynamodb").create_table(
            TableName="revocations",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("dynamodb").put_item(TableName="revocations", Item={"pk": {"S": f"jti#{jti}"}})
        assert pool.server is not None
        app = load_app(
            USER_POOL_ID=POOL_ID,
            APP_CLIENT_IDS=CLIENT_ID,
            JWKS_URL=pool.server.jwks_url,
            REVOCATION_TABLE="revocations",
        )
        assert_unauthorized(app.handler, token_event("GET /whoami", bearer(stolen)))
        event = token_event("GET /whoami", bearer(kept))
        assert_allows(app.handler(event, None), event)
