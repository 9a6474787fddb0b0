"""CognitoValidator against real Cognito-shaped tokens from moto (server mode, 127.0.0.1).

moto signs ID and access tokens from ``AdminInitiateAuth`` with its key and serves the JWKS
locally, while ``iss`` names the real AWS host - so the validator is configured from the pool id
as in production, with only the JWKS URL overridden. moto cannot mint client-credentials (M2M)
tokens; those are minted locally with our own key, for a moto pool id.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import AuthorizerError, Forbidden, ReasonCode
from authorizers.testing.cognito import CognitoTestIssuer
from authorizers.validators.cognito import CognitoValidator

PASSWORD = "Corr3ct-Horse-Battery!"


@dataclass(frozen=True)
class Pool:
    pool_id: str
    client_id: str
    other_client_id: str
    jwks_url: str
    id_token: str
    access_token: str


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "==="))
    return decoded


def _make_pool(server: Any, register: Callable[..., Any], name: str) -> Pool:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName=name)["UserPool"]["Id"]
    flows = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=flows
    )["UserPoolClient"]["ClientId"]
    other_client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="other", ExplicitAuthFlows=flows
    )["UserPoolClient"]["ClientId"]
    username = f"alice-{uuid.uuid4().hex[:6]}"
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    for group in ("admins", "readers"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return Pool(
        pool_id=pool_id,
        client_id=client_id,
        other_client_id=other_client_id,
        jwks_url=server.cognito_jwks_url(pool_id),
        id_token=register(result["IdToken"], "moto ID token"),
        access_token=register(result["AccessToken"], "moto access token"),
    )


@pytest.fixture(scope="module")
def pool(moto_server: Any, register_secret: Callable[..., Any]) -> Pool:
    return _make_pool(moto_server, register_secret, f"pool-{uuid.uuid4().hex[:8]}")


def validator(pool: Pool, **options: Any) -> CognitoValidator:
    options.setdefault("client_ids", pool.client_id)
    return CognitoValidator(
        pool.pool_id, jwks_url=pool.jwks_url, allow_http_loopback=True, **options
    )


def reason(validator: CognitoValidator, token: str) -> ReasonCode:
    with pytest.raises(AuthorizerError) as caught:
        validator.verify(token)
    assert token not in str(caught.value)
    return caught.value.reason


def test_moto_id_token(pool: Pool) -> None:
    identity = validator(pool, token_use="id", groups_any="admins").verify(pool.id_token)
    claims = _claims(pool.id_token)
    assert identity.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"
    assert identity.principal_id == claims["sub"]
    assert identity.groups == {"admins", "readers"}
    assert identity.claims["cognito:username"].startswith("alice-")


def test_moto_access_token(pool: Pool) -> None:
    checked = validator(pool, scopes_all="aws.cognito.signin.user.admin", groups_all="readers")
    identity = checked.verify(pool.access_token)
    assert identity.scopes == {"aws.cognito.signin.user.admin"}
    assert identity.claims["client_id"] == pool.client_id
    with pytest.raises(Forbidden) as caught:
        validator(pool, groups_any="ops").verify(pool.access_token)
    assert caught.value.reason is ReasonCode.INSUFFICIENT_GROUP


def test_moto_tokens_rejected_for_the_right_reason(pool: Pool) -> None:
    assert reason(validator(pool, token_use="id"), pool.access_token) is ReasonCode.WRONG_TOKEN_USE
    assert reason(validator(pool), pool.id_token) is ReasonCode.WRONG_TOKEN_USE
    other_client = validator(pool, token_use="both", client_ids=pool.other_client_id)
    assert reason(other_client, pool.id_token) is ReasonCode.WRONG_AUDIENCE
    assert reason(other_client, pool.access_token) is ReasonCode.WRONG_AUDIENCE
    region, _, suffix = pool.pool_id.partition("_")
    other_pool = CognitoValidator(
        f"{region}_{suffix[::-1]}",
        pool.client_id,
        jwks_url=pool.jwks_url,
        allow_http_loopback=True,
    )
    assert reason(other_pool, pool.access_token) is ReasonCode.WRONG_ISSUER


def test_moto_tampered_and_expired_tokens(pool: Pool) -> None:
    header, payload, signature = pool.access_token.split(".")
    claims = _claims(pool.access_token)
    forged = {**claims, "cognito:groups": ["admins", "root"]}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{forged_payload}.{signature}"
    assert reason(validator(pool), tampered) is ReasonCode.BAD_SIGNATURE
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert reason(validator(pool), f"{header}.{payload}.{flipped}") is ReasonCode.BAD_SIGNATURE
    after_expiry = FakeClock(claims["exp"] + 31)
    assert reason(validator(pool, clock=after_expiry), pool.access_token) is ReasonCode.EXPIRED
    just_before = FakeClock(claims["exp"] + 29)  # within the 30 s leeway
    assert validator(pool, clock=just_before).verify(pool.access_token)


def test_several_moto_pools_in_one_validator(
    pool: Pool, moto_server: Any, register_secret: Callable[..., Any]
) -> None:
    second = _make_pool(moto_server, register_secret, f"second-{uuid.uuid4().hex[:8]}")
    both = CognitoValidator(
        [pool.pool_id, second.pool_id],
        [pool.client_id, second.client_id],
        token_use="both",
        jwks_url={pool.pool_id: pool.jwks_url, second.pool_id: second.jwks_url},
        allow_http_loopback=True,
    )
    assert str(both.verify(pool.id_token).issuer).endswith(pool.pool_id)
    assert str(both.verify(second.access_token).issuer).endswith(second.pool_id)
    # moto signs every pool with one key, so only the issuer keeps pools apart
    crossed = validator(second, token_use="both", client_ids=[pool.client_id, second.client_id])
    assert reason(crossed, pool.id_token) is ReasonCode.WRONG_ISSUER


def test_machine_to_machine_tokens_minted_locally(
    pool: Pool, register_secret: Callable[..., Any]
) -> None:
    m2m = CognitoTestIssuer(pool.pool_id, ("machine-client",))
    with m2m.serve() as server:
        checked = CognitoValidator(
            pool.pool_id,
            "machine-client",
            jwks_url=server.jwks_url,
            allow_http_loopback=True,
            scopes_any="https://api.example.com/read",
        )
        token = register_secret(m2m.m2m_token(), "locally minted M2M token")
        identity = checked.verify(token)
        assert identity.principal_id == "machine-client"
        assert identity.scopes == {"https://api.example.com/read"}
        write_only = register_secret(m2m.m2m_token(scopes=["https://api.example.com/write"]))
        with pytest.raises(Forbidden):
            checked.verify(write_only)
        # and a moto-signed token is not trusted under these locally published keys
        local_keys = CognitoValidator(
            pool.pool_id, pool.client_id, jwks_url=server.jwks_url, allow_http_loopback=True
        )
        assert reason(local_keys, pool.access_token) is ReasonCode.UNKNOWN_KEY
