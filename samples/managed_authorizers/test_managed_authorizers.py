"""The sample template under the local gateway: real HTTP requests, tokens minted over HTTP
by two local identity providers (a generic OpenID provider and a Cognito user pool)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from authorizers.local.gateway import LocalGateway, RequestRecord
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template
from authorizers.testing.idp import LocalIdp

TEMPLATE = Path(__file__).parent / "template.yaml"
POOL = "us-east-1_Sample1"


@pytest.fixture(scope="module")
def oidc() -> Iterator[LocalIdp]:
    with LocalIdp() as idp:
        yield idp


@pytest.fixture(scope="module")
def pool() -> Iterator[LocalIdp]:
    with LocalIdp(user_pool_id=POOL, client_ids=["web-client"]) as idp:
        yield idp


class Api:
    def __init__(self, oidc: LocalIdp, overrides: dict[str, str]) -> None:
        template = load_template(TEMPLATE, parameter_overrides={"Issuer": oidc.iss})
        self.records: list[RequestRecord] = []
        gateway = LocalGateway(template, on_record=self.records.append, jwks_overrides=overrides)
        self.server = LocalServer(gateway).start()
        self.session = requests.Session()

    def get(self, path: str, token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.session.get(self.server.url + path, headers=headers, timeout=10)

    def close(self) -> None:
        self.session.close()
        self.server.stop()


@pytest.fixture(scope="module")
def api(oidc: LocalIdp, pool: LocalIdp) -> Iterator[Api]:
    served = Api(oidc, {POOL: pool.jwks_url})
    yield served
    served.close()


def mint(idp: LocalIdp, **query: str) -> str:
    """A token from the IdP's /mint endpoint, over HTTP as a developer would get one."""
    response = requests.get(idp.mint_url, params=query, timeout=10)
    assert response.status_code == 200, response.text
    return response.text.strip()


def passed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    authorizer: dict[str, Any] = json.loads(response.text)["authorizer"]
    return authorizer


# -- HTTP API JWT authorizer ----------------------------------------------------------------


def test_http_jwt_passes_claims_and_scopes_to_the_integration(api, oidc):
    token = mint(oidc, sub="alice", scope="pets:read other")
    jwt = passed(api.get("/HttpApi/pets", token))["jwt"]
    assert jwt["claims"]["sub"] == "alice"
    assert jwt["claims"]["iss"] == oidc.iss
    assert jwt["claims"]["exp"].isdigit()  # claim values arrive as strings
    assert sorted(jwt["scopes"]) == ["other", "pets:read"]


def test_http_jwt_missing_or_invalid_token_is_401(api, oidc):
    broken = ("bad_signature", "expired", "alg_none", "hs256_with_public_key")
    tokens = [None, "not-a-jwt", mint(oidc, aud="https://other.example")]
    for token in tokens + [mint(oidc, broken=kind) for kind in broken]:
        response = api.get("/HttpApi/me", token)
        assert response.status_code == 401, token
        assert response.json() == {"message": "Unauthorized"}
        assert response.headers["www-authenticate"].startswith('Bearer scope="" error=')


def test_http_jwt_route_scopes_refuse_with_403(api, oidc):
    response = api.get("/HttpApi/pets", mint(oidc, scope="pets:write"))
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}
    assert api.records[-1].reason == "the token has none of the route's scopes"
    assert passed(api.get("/HttpApi/me", mint(oidc)))["jwt"]["scopes"] is None


# -- REST JWT authorizer --------------------------------------------------------------------


def test_rest_jwt_checks_required_claims_then_method_scopes(api, oidc):
    good = mint(oidc, scope="reports:read", claims='{"tenant": "acme"}')
    assert passed(api.get("/JwtRestApi/reports", good))["claims"]["tenant"] == "acme"
    wrong_tenant = mint(oidc, scope="reports:read", claims='{"tenant": "evil"}')
    for token in (None, mint(oidc, scope="reports:read"), wrong_tenant):
        assert api.get("/JwtRestApi/reports", token).status_code == 401
    no_scope = mint(oidc, scope="pets:read", claims='{"tenant": "acme"}')
    assert api.get("/JwtRestApi/reports", no_scope).status_code == 403


# -- REST Cognito user pools authorizer -----------------------------------------------------


def test_cognito_method_without_scopes_takes_id_tokens(api, pool):
    claims = passed(api.get("/RestApi/profile", mint(pool, token_use="id", sub="bob")))["claims"]
    assert claims["cognito:username"] == "bob" and claims["token_use"] == "id"
    assert api.get("/RestApi/profile", mint(pool, token_use="access")).status_code == 401


def test_cognito_method_with_scopes_takes_access_tokens_holding_one(api, pool):
    token = mint(pool, token_use="access", scope="orders/read")
    assert passed(api.get("/RestApi/orders", token))["claims"]["scope"] == "orders/read"
    # wrong scope, ID token: API Gateway answers 401 for both (contract reference §9)
    assert api.get("/RestApi/orders", mint(pool, scope="orders/write")).status_code == 401
    assert api.get("/RestApi/orders", mint(pool, token_use="id")).status_code == 401


def test_cognito_refuses_tokens_of_another_issuer(api, oidc):
    assert api.get("/RestApi/profile", mint(oidc)).status_code == 401


def test_an_unmapped_user_pool_fails_closed_saying_how_to_map_it(oidc):
    unmapped = Api(oidc, {})
    try:
        response = unmapped.get("/RestApi/profile", "x.y.z")
        assert response.status_code == 500
        assert "--jwks-override" in unmapped.records[-1].reason
    finally:
        unmapped.close()


# -- the Lambda authorizer next to them -----------------------------------------------------


def test_the_lambda_authorizer_route(api, oidc):
    allowed = passed(api.get("/RestApi/lambda", mint(oidc, sub="carol", scope="lambda:call")))
    assert allowed["principalId"] == "carol"
    assert api.get("/RestApi/lambda", mint(oidc, scope="pets:read")).status_code == 403
    assert api.get("/RestApi/lambda").status_code == 401
