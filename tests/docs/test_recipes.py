"""The composition recipes of docs/recipes.md, end to end: event -> handler -> response ->
what API Gateway would do (the simulator). Each recipe runs twice: its JSON configuration as
written in the doc, and its Python form; both must decide alike. The only changes to what
the doc shows: key sets served on 127.0.0.1, stores in moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import doc_example, named
from helpers import create_key_table, key_item, served

from authorizers import (
    AllOf,
    AnyOf,
    ApiKeyValidator,
    Authorizer,
    CognitoValidator,
    JwtValidator,
    OidcValidator,
    RequestValidator,
)
from authorizers.config import build_authorizer, load_config, substitute_environment
from authorizers.jwks import StaticJwks
from authorizers.jwks.cache import JwksCache
from authorizers.keystores.base import hash_api_key, new_api_key
from authorizers.keystores.dynamodb import DynamoDBKeyStore
from authorizers.keystores.ssm import SsmKeyStore
from authorizers.rules import AccessRules, allow_route, predicate, scopes_any
from authorizers.testing import (
    CognitoTestIssuer,
    JwksServer,
    TestIssuer,
    assert_allows,
    assert_context,
    assert_denies,
    assert_unauthorized,
    call_handler,
    request_event,
    simulate,
    token_event,
    websocket_connect_event,
)
from authorizers.validators.api_key import ApiKeyLocation

FORMS = ["config", "python"]


def recipe(name: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The recipe's document as the handler reads it, its variables taken from ``environ``."""
    env = {"AUTHORIZER_CONFIG": json.dumps(doc_example(name, "recipes.md")), **(environ or {})}
    document, _ = load_config(env)
    return dict(substitute_environment(document, env))


def status(authorizer: Authorizer, event: dict[str, Any]) -> int:
    return simulate(call_handler(authorizer.handler, event), event).status


def jwt_served(document: dict[str, Any], server: JwksServer) -> dict[str, Any]:
    served(document["validators"][0]["issuers"][0], server.jwks_url)
    return document


# -- 1. JWT or API key --------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_jwt_or_api_key(
    form: str,
    moto_reset: Any,
    login_issuer: TestIssuer,
    login_jwks: JwksServer,
    register_secret: Callable[..., Any],
) -> None:
    key = register_secret(new_api_key("etl_")[0])
    create_key_table(
        moto_reset.client("dynamodb"), "recipe-keys", key_item(key, "etl", "reports:write")
    )
    if form == "config":
        document = recipe("jwt-or-api-key", {"API_KEY_TABLE": "recipe-keys"})
        authorizer = build_authorizer(jwt_served(document, login_jwks))
    else:
        authorizer = Authorizer(
            AnyOf(
                JwtValidator(
                    issuer=login_issuer.issuer,
                    keys=StaticJwks(login_issuer.jwks),
                    audience=login_issuer.audience,
                ),
                ApiKeyValidator(
                    DynamoDBKeyStore("recipe-keys"),
                    location=ApiKeyLocation.authorization("ApiKey"),
                    usage_identifier=True,
                ),
            ),
            rules=AccessRules(
                allow_route("GET", "/reports/{id}"),
                allow_route("POST", "/reports", requires=scopes_any("reports:write")),
            ),
        )
    person = token_event("GET /reports/1", f"Bearer {register_secret(login_issuer.mint())}")
    response = authorizer.handler(person, None)
    assert_allows(response, person, "GET /reports/2")
    assert_denies(response, "POST /reports")  # no reports:write scope in the token
    machine = token_event("POST /reports", f"ApiKey {key}")
    response = authorizer.handler(machine, None)
    assert (response["principalId"], response["usageIdentifierKey"]) == ("etl", key)
    assert_allows(response, machine, "GET /reports/3")
    for credential in ("ApiKey not-a-key", "Bearer not.a.token", "Basic dTpw", ""):
        assert_unauthorized(authorizer.handler, token_event("GET /reports/1", credential))


# -- 2. API key and a source-IP allow-list ------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_api_key_and_source_ip(
    form: str, moto_reset: Any, register_secret: Callable[..., Any]
) -> None:
    key = register_secret(new_api_key("partner_")[0])
    moto_reset.client("ssm").put_parameter(
        Name=f"/orders-api/api-keys/{hash_api_key(key)}",
        Value=json.dumps({"owner": "partner-a", "expires_at": "2099-01-01T00:00:00Z"}),
        Type="SecureString",
    )
    if form == "config":
        authorizer = build_authorizer(recipe("api-key-and-ip"))
    else:
        authorizer = Authorizer(
            AllOf(
                ApiKeyValidator(SsmKeyStore("/orders-api/api-keys", ttl=300)),
                RequestValidator(allow_cidrs=["198.51.100.0/24", "2001:db8:1234::/48"]),
            ),
            on_infrastructure_error="deny",
        )

    def event(source_ip: str, api_key: str = key) -> dict[str, Any]:
        return request_event("GET /orders", headers={"x-api-key": api_key}, source_ip=source_ip)

    allowed = event("2001:db8:1234::9")
    response = authorizer.handler(allowed, None)
    assert response["principalId"] == "partner-a"  # the key's owner, not the request rule's
    assert_allows(response, allowed, "DELETE /orders/1")
    assert [status(authorizer, e) for e in (event("203.0.113.9"), event("198.51.100.9", "x"))] == [
        401,
        401,
    ]


def test_api_key_and_source_ip_while_ssm_is_down(
    moto_reset: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    authorizer = build_authorizer(recipe("api-key-and-ip"))
    assert (
        status(
            authorizer, request_event("GET /", headers={"x-api-key": "k"}, source_ip="198.51.100.1")
        )
        == 403
    )


# -- 3. Cognito token and a tenant header ---------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[CognitoTestIssuer]:
    issuer = CognitoTestIssuer("eu-central-1_Tenants", client_ids=["tenantsclient0123456789abc"])
    with issuer.serve():
        yield issuer


def same_tenant(identity: Any, request: Any) -> bool:
    tenant = identity.claims.get("custom:tenant")
    return isinstance(tenant, str) and request.header("x-tenant-id") == tenant


@pytest.mark.parametrize("form", FORMS)
def test_cognito_token_and_tenant_header(form: str, pool: CognitoTestIssuer) -> None:
    assert pool.server is not None
    if form == "config":
        document = recipe(
            "cognito-tenant",
            {"USER_POOL_ID": pool.user_pool_id, "APP_CLIENT_ID": pool.client_ids[0]},
        )
        document["validators"][0].update(jwks_url=pool.server.jwks_url, allow_http_loopback=True)
        authorizer = build_authorizer(document)
    else:
        authorizer = Authorizer(
            CognitoValidator(
                pool.user_pool_id,
                pool.client_ids[0],
                token_use="id",
                context_claims={"custom:tenant": "tenant", "email": "email"},
                jwks_url=pool.server.jwks_url,
                allow_http_loopback=True,
            ),
            rules=AccessRules(allow_route("ANY", "/{proxy+}", requires=predicate(same_tenant))),
        )
    token = pool.id_token("ann", claims={"custom:tenant": "acme"})

    def event(tenant: str | None, credential: str = token) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {credential}", "x-tenant-id": tenant}
        return request_event("PUT /projects/7", headers=headers)

    ours = event("acme")
    response = authorizer.handler(ours, None)
    assert_allows(response, ours)
    assert_context(response, {"tenant": "acme", "email": "ann@example.com"}, request=ours)
    assert [status(authorizer, event(tenant)) for tenant in ("globex", "ACME", None)] == [403] * 3
    access_token = pool.access_token("ann", claims={"custom:tenant": "acme"})
    assert status(authorizer, event("acme", access_token)) == 401  # token_use: id


# -- 4. WebSocket $connect, token in the query string -------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_websocket_token_in_the_query_string(
    form: str, login_issuer: TestIssuer, login_jwks: JwksServer
) -> None:
    chat = TestIssuer(login_issuer.issuer, audience="chat")
    chat.key = login_issuer.key  # the same served key, tokens for the chat audience
    if form == "config":
        authorizer = build_authorizer(jwt_served(recipe("websocket-query-token"), login_jwks))
    else:
        authorizer = Authorizer(
            JwtValidator(
                issuer=login_issuer.issuer,
                keys=StaticJwks(login_issuer.jwks),
                audience="chat",
                query_parameter="token",
                context_claims={"sub": "user"},
            ),
            rules=AccessRules(allow_route("*", "$connect")),
            result_ttl_seconds=0,
        )
    event = websocket_connect_event(query={"token": chat.mint(subject="zoe")})
    response = authorizer.handler(event, None)
    assert_allows(response, event)
    assert_context(response, {"principalId": "zoe", "user": "zoe"}, request=event, exact=True)
    assert_unauthorized(authorizer.handler, websocket_connect_event())
    assert_unauthorized(
        authorizer.handler,
        websocket_connect_event(query={"token": login_issuer.mint()}),  # wrong aud
    )


# -- 5. the Python options: the documented blocks run as written --------------------------------


def python_example(name: str) -> str:
    """The Python block marked ``<!-- example: name -->`` in docs/recipes.md."""
    block = named(name, "docs/recipes.md")
    assert block.lang == "python", f"example {name!r} is not Python"
    return block.code


def test_python_oidc_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs as written; only ``prefetch`` (the one network call) is recorded instead."""
    prefetched: list[OidcValidator] = []
    monkeypatch.setattr(OidcValidator, "prefetch", lambda self: prefetched.append(self))  # noqa: PLW0108 - binds self
    namespace: dict[str, Any] = {}
    exec(compile(python_example("python-oidc"), "recipes.md", "exec"), namespace)
    validator = namespace["validator"]
    assert prefetched == [validator]
    assert validator.issuers == ("https://login.example.com/",)
    assert_unauthorized(namespace["handler"], token_event("GET /pets/1", ""))


def test_python_snapshot_example_starts_without_a_fetch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pool = CognitoTestIssuer("eu-west-1_AbCdEf123", ["4h3q9examplec1ient1d"])
    (tmp_path / "jwks.json").write_text(json.dumps(pool.jwks))
    monkeypatch.chdir(tmp_path)  # the function's package: LAMBDA_TASK_ROOT

    def no_fetch(cache: JwksCache) -> None:
        raise AssertionError(f"fetched {cache.url}: the snapshot should have served")

    monkeypatch.setattr(JwksCache, "_fetch", no_fetch)  # and nothing leaves 127.0.0.1
    namespace: dict[str, Any] = {}
    exec(compile(python_example("python-snapshot"), "recipes.md", "exec"), namespace)
    event = token_event("GET /pets", f"Bearer {pool.access_token()}")
    assert_allows(call_handler(namespace["handler"], event), event)
