"""Recipes 7-9 of docs/recipes.md, end to end and in both forms (the JSON as written, and the
Python form): a revocation list in DynamoDB (moto), opaque tokens introspected at a real
OpenID provider (node oidc-provider) with a client key in Secrets Manager (moto), and a JWT
that must also be active at the provider (a loopback introspection endpoint). The only
changes to what the doc shows: servers on 127.0.0.1."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest
from helpers import create_key_table, doc_example
from servers.moto import MotoServer

from authorizers import (
    AllOf,
    Authorizer,
    ClientSecretBasic,
    CognitoValidator,
    DynamoDBRevocations,
    IntrospectionValidator,
    OidcValidator,
    PrivateKeyJwt,
    RevocationCheck,
)
from authorizers.cli import main
from authorizers.config import build_authorizer, load_config
from authorizers.rules import AccessRules, allow_route
from authorizers.testing import (
    CognitoTestIssuer,
    TestIssuer,
    call_handler,
    simulate,
    token_event,
)

FORMS = ["config", "python"]
TABLE = "revoked-tokens"


def recipe(name: str, environ: dict[str, str]) -> dict[str, Any]:
    """The documented configuration as written: ``${NAME}`` is left for ``build_authorizer``."""
    document, _ = load_config(
        {"AUTHORIZER_CONFIG": json.dumps(doc_example(name, "recipes.md")), **environ}
    )
    return document


def status(authorizer: Authorizer, token: str) -> int:
    event = token_event("GET /orders/1", f"Bearer {token}")
    return simulate(call_handler(authorizer.handler, event), event).status


# -- 7. revoke a stolen token -----------------------------------------------------------------


@pytest.fixture(scope="module")
def pool() -> Iterator[CognitoTestIssuer]:
    issuer = CognitoTestIssuer("eu-central-1_Revoke", client_ids=["revokeclient0123456789abcd"])
    with issuer.serve():
        yield issuer


def revocation_authorizer(form: str, pool: CognitoTestIssuer) -> Authorizer:
    assert pool.server is not None
    served = {"jwks_url": pool.server.jwks_url, "allow_http_loopback": True}
    if form == "config":
        environ = {
            "USER_POOL_ID": pool.user_pool_id,
            "APP_CLIENT_ID": pool.client_ids[0],
            "REVOCATION_TABLE": TABLE,
        }
        document = recipe("revoke-stolen-token", environ)
        document["validators"][0].update(served)
        return build_authorizer(document, environ=environ)
    revocation = RevocationCheck(DynamoDBRevocations(TABLE), ttl=10)
    return Authorizer(
        CognitoValidator(pool.user_pool_id, [pool.client_ids[0]], checks=[revocation], **served),
        rules=AccessRules(allow_route("ANY", "/{proxy+}")),
        result_ttl_seconds=60,
    )


@pytest.mark.parametrize("form", FORMS)
def test_revoke_a_stolen_token(
    form: str,
    pool: CognitoTestIssuer,
    moto_reset: MotoServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_key_table(moto_reset.client("dynamodb"), TABLE, hash_key="pk")
    stolen = pool.access_token("alice", claims={"origin_jti": "sign-in-1"})
    same_sign_in = pool.access_token("alice", claims={"origin_jti": "sign-in-1"})
    other_sign_in = pool.access_token("alice", claims={"origin_jti": "sign-in-2"})
    bob = pool.access_token("bob")
    assert status(revocation_authorizer(form, pool), stolen) == 200

    def revoke(*args: str) -> None:
        argv = ["revoke", "--table", TABLE, *args, "--endpoint-url", moto_reset.endpoint_url]
        assert main(argv) == 0
        capsys.readouterr()

    revoke("--origin-jti", "sign-in-1")
    authorizer = revocation_authorizer(form, pool)  # a cold instance: nothing cached yet
    assert [status(authorizer, t) for t in (stolen, same_sign_in, other_sign_in)] == [
        401,
        401,
        200,
    ]
    revoke("--subject", _sub(bob), "--before", "now")
    authorizer = revocation_authorizer(form, pool)
    assert status(authorizer, bob) == 401
    assert status(authorizer, pool.access_token("bob", issued_at=5)) == 200  # signed in again


def _sub(token: str) -> str:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


# -- 8. opaque tokens from an OIDC provider ---------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_opaque_tokens(form: str, oidc_provider: Any, moto_reset: MotoServer) -> None:
    secret = moto_reset.client("secretsmanager").create_secret(
        Name="orders-api/client-key",
        SecretString=oidc_provider.client_key.private_pem().decode(),
    )["ARN"]

    def build() -> Authorizer:
        if form == "config":
            environ = {"CLIENT_KEY_SECRET": secret}
            document = recipe("opaque-tokens", environ)
            validator = document["validators"][0]
            validator["client"]["id"] = "rs-jwt"
            validator.update(
                issuer=oidc_provider.issuer,
                allow_http_loopback=True,
                audience=oidc_provider.opaque_audience,
                scopes_any=["api:read"],
            )
            return build_authorizer(document, environ=environ)
        return Authorizer(
            IntrospectionValidator(
                oidc_provider.issuer,
                client=PrivateKeyJwt.from_secrets_manager("rs-jwt", secret),
                audience=oidc_provider.opaque_audience,
                scopes_any="api:read",
                cache_ttl=60,
                allow_http_loopback=True,
            ),
            rules=AccessRules(allow_route("ANY", "/{proxy+}")),
            result_ttl_seconds=60,
        )

    authorizer = build()
    reader, writer = oidc_provider.opaque_token("api:read"), oidc_provider.opaque_token("api:write")
    assert [status(authorizer, t) for t in (reader, writer, "nobody-issued-this")] == [
        200,
        403,
        401,
    ]
    oidc_provider.revoke(reader)
    assert status(authorizer, reader) == 200  # cached: the documented caveat
    assert status(build(), reader) == 401  # a fresh instance asks again


# -- 9. a JWT, and the provider still considers it active -------------------------------------


class Introspection(http.server.BaseHTTPRequestHandler):
    """An RFC 7662 endpoint for the JWTs of one issuer: active unless its jti was revoked."""

    revoked: ClassVar[set[str]] = set()
    expected_auth = "Basic " + base64.b64encode(b"orders-api:recipe-secret").decode()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if self.headers.get("Authorization") != self.expected_auth:
            self._answer(401, {"error": "invalid_client"})
            return
        payload = form["token"][0].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        active = claims["jti"] not in self.revoked
        self._answer(200, {"active": True, **claims} if active else {"active": False})

    def _answer(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def introspection_endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Introspection)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/introspect"
    finally:
        server.shutdown()
        server.server_close()
        Introspection.revoked.clear()


@pytest.mark.parametrize("form", FORMS)
def test_jwt_and_introspection(form: str, introspection_endpoint: str) -> None:
    idp = TestIssuer(audience="https://api.example.com")
    with idp.serve() as server:
        common = {"allow_http_loopback": True}
        if form == "config":
            environ = {"CLIENT_SECRET": "recipe-secret"}
            document = recipe("jwt-and-introspection", environ)
            document["validators"][0].update(issuer=server.url, **common)
            document["validators"][1].update(
                issuer=server.url, endpoint=introspection_endpoint, **common
            )
            authorizer = build_authorizer(document, environ=environ)
        else:
            authorizer = Authorizer(
                AllOf(
                    OidcValidator(server.url, "https://api.example.com", **common),
                    IntrospectionValidator(
                        server.url,
                        client=ClientSecretBasic("orders-api", "recipe-secret"),
                        audience="https://api.example.com",
                        cache_ttl=30,
                        endpoint=introspection_endpoint,
                        **common,
                    ),
                ),
                rules=AccessRules(allow_route("ANY", "/{proxy+}")),
                result_ttl_seconds=30,
            )
        kept, revoked = idp.mint({"jti": "kept"}), idp.mint({"jti": "revoked"})
        Introspection.revoked.add("revoked")
        assert [status(authorizer, t) for t in (kept, revoked)] == [200, 401]
        forged = TestIssuer(server.url, audience="https://api.example.com").mint()
        assert status(authorizer, forged) == 401  # refused locally, never introspected
