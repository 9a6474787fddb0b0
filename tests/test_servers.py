"""The local servers the integration tests rely on really work (moto, oidc-provider)."""

from __future__ import annotations

import os
from typing import Any

import boto3
import jwt
import pytest
import requests
from servers.moto import MotoServer
from servers.oidc_provider import OidcProvider

pytestmark = pytest.mark.integration


def _verified_claims(token: str, jwks: dict[str, Any], **expected: Any) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid]
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=["RS256", "ES256"],
        options={"require": ["exp", "iat"]},
        **expected,
    )
    return claims


def _cognito_user(cognito: Any, pool_id: str, register_secret: Any) -> str:
    password = register_secret("Correct-Horse-9-battery", "Cognito password")
    cognito.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password=password, Permanent=True
    )
    cognito.create_group(UserPoolId=pool_id, GroupName="readers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="readers")
    return str(password)


def test_moto_cognito_issues_tokens_that_verify_against_its_jwks(
    moto_reset: MotoServer, register_secret: Any
) -> None:
    cognito = moto_reset.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="people")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    password = _cognito_user(cognito, pool_id, register_secret)

    result = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": password},
    )["AuthenticationResult"]
    id_token = register_secret(result["IdToken"])
    access_token = register_secret(result["AccessToken"])

    jwks = requests.get(moto_reset.cognito_jwks_url(pool_id), timeout=5).json()
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    id_claims = _verified_claims(id_token, jwks, audience=client_id, issuer=issuer)
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:groups"] == ["readers"]
    access_claims = _verified_claims(access_token, jwks, issuer=issuer)
    assert (access_claims["token_use"], access_claims["client_id"]) == ("access", client_id)


def test_moto_reset_points_default_boto3_clients_at_the_server_and_forgets_state(
    moto_reset: MotoServer,
) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == moto_reset.endpoint_url
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    ssm = boto3.client("ssm")  # no endpoint, no credentials given: the environment decides
    ssm.put_parameter(Name="/authorizers/flag", Value="on", Type="String")
    assert ssm.get_parameter(Name="/authorizers/flag")["Parameter"]["Value"] == "on"

    moto_reset.reset()
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/authorizers/flag")


def test_oidc_provider_discovery_describes_the_local_issuer(oidc_provider: OidcProvider) -> None:
    discovery = oidc_provider.discovery()
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    assert discovery["issuer"] == oidc_provider.issuer
    assert discovery["jwks_uri"].startswith(oidc_provider.issuer)
    assert "client_credentials" in discovery["grant_types_supported"]
    assert {key["kty"] for key in oidc_provider.jwks()["keys"]} == {"RSA", "EC"}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_oidc_provider_client_credentials_gives_rfc9068_access_tokens(
    oidc_provider: OidcProvider, alg: str
) -> None:
    token = oidc_provider.token(scope="api:read", alg=alg)

    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["typ"]) == (alg, "at+jwt")
    claims = _verified_claims(
        token,
        oidc_provider.jwks(),
        audience=oidc_provider.api_audience,
        issuer=oidc_provider.issuer,
    )
    assert claims["scope"] == "api:read"
    assert claims["client_id"] == claims["sub"]


def test_oidc_provider_id_token_comes_from_the_authorization_code_flow(
    oidc_provider: OidcProvider,
) -> None:
    token = oidc_provider.id_token(alg="ES256", login="bob")

    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    claims = _verified_claims(
        token, oidc_provider.jwks(), audience="web-es256", issuer=oidc_provider.issuer
    )
    assert (claims["sub"], claims["email"]) == ("bob", "bob@example.com")


def test_oidc_provider_restart_rotates_keys_but_keeps_the_issuer(
    oidc_provider: OidcProvider,
) -> None:
    issuer, old_jwks = oidc_provider.issuer, oidc_provider.jwks()
    old_token = oidc_provider.token()

    oidc_provider.restart()

    new_jwks = oidc_provider.jwks()
    assert oidc_provider.issuer == issuer
    assert {k["kid"] for k in new_jwks["keys"]}.isdisjoint({k["kid"] for k in old_jwks["keys"]})
    assert jwt.get_unverified_header(oidc_provider.token())["kid"] in {
        k["kid"] for k in new_jwks["keys"]
    }
    with pytest.raises(KeyError):  # the old token's key is gone from the new JWKS
        _verified_claims(old_token, new_jwks)
