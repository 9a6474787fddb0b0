"""Zero-code configuration of revocation lists and introspection: the documented examples run
(against moto and the real oidc-provider), and mistakes are reported at their JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import create_key_table, doc_example, no_aws_clients, served, unreachable_aws
from servers.moto import MotoServer

from authorizers.cli import main
from authorizers.config import ConfigFieldError, build_authorizer
from authorizers.testing import (
    JwksServer,
    TestIssuer,
    assert_allows,
    assert_unauthorized,
    call_handler,
    simulate,
    token_event,
)


def bearer(token: str) -> dict[str, Any]:
    return token_event("GET /orders", f"Bearer {token}")


def test_example_revocation_on_dynamodb(
    login_issuer: TestIssuer,
    login_jwks: JwksServer,
    moto_reset: MotoServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_key_table(moto_reset.client("dynamodb"), "revoked-tokens", hash_key="pk")
    document = doc_example("revocation")
    entry = document["validators"][0]["issuers"][0]
    served(entry, login_jwks.jwks_url)
    entry["revocation"]["store"]["table"] = "revoked-tokens"
    authorizer = build_authorizer(document)
    stolen, kept = login_issuer.mint({"jti": "stolen-1"}), login_issuer.mint()
    assert_allows(authorizer.handler(bearer(stolen), None), bearer(stolen))
    argv = ["revoke", "--table", "revoked-tokens", "--jti", "stolen-1"]
    assert main([*argv, "--endpoint-url", moto_reset.endpoint_url]) == 0
    capsys.readouterr()
    fresh = build_authorizer(document)  # a new instance: no cached "not revoked" answer
    assert_unauthorized(fresh.handler, bearer(stolen))
    assert_allows(fresh.handler(bearer(kept), None), bearer(kept))


def test_static_revocation_list(login_issuer: TestIssuer, login_jwks: JwksServer) -> None:
    entry = served(
        {
            "issuer": login_issuer.issuer,
            "audience": login_issuer.audience,
            "revocation": {"store": {"type": "static", "subjects": {"mallory": None}}},
        },
        login_jwks.jwks_url,
    )
    authorizer = build_authorizer({"validators": [{"type": "jwt", "issuers": [entry]}]})
    assert_unauthorized(authorizer.handler, bearer(login_issuer.mint(subject="mallory")))
    ok = bearer(login_issuer.mint(subject="alice"))
    assert_allows(authorizer.handler(ok, None), ok)


def test_example_introspection(oidc_provider: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    document = doc_example("introspection")
    validator = document["validators"][0]
    validator.update(
        issuer=oidc_provider.issuer,
        allow_http_loopback=True,
        audience=oidc_provider.opaque_audience,
        scopes_any=["api:read"],
    )
    validator["client"].update(id="m2m", secret=oidc_provider.client_secret)
    authorizer = build_authorizer(document)
    token = oidc_provider.opaque_token("api:read")
    assert_allows(authorizer.handler(bearer(token), None), bearer(token))
    assert_unauthorized(authorizer.handler, bearer("an-opaque-token-nobody-issued"))


def test_introspection_with_private_key_jwt(oidc_provider: Any, tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(oidc_provider.client_key.private_pem())
    document = {
        "validators": [
            {
                "type": "introspection",
                "issuer": oidc_provider.issuer,
                "allow_http_loopback": True,
                "client": {
                    "id": "rs-jwt",
                    "auth": "private_key_jwt",
                    "private_key_file": "client.pem",
                },
                "audience": oidc_provider.opaque_audience,
            }
        ]
    }
    authorizer = build_authorizer(document, base_dir=tmp_path)
    token = oidc_provider.opaque_token()
    assert_allows(authorizer.handler(bearer(token), None), bearer(token))


def one(validator: dict[str, Any]) -> dict[str, Any]:
    return {"validators": [validator]}


INTROSPECTION = {
    "type": "introspection",
    "issuer": "https://idp.example.com",
    "audience": "a",
    "client": {"id": "c", "auth": "client_secret_basic", "secret": "s3cr3t-value"},
}
JWT_ISSUER = {
    "issuer": "https://i.example.com",
    "jwks_url": "https://i.example.com/k",
    "audience": "a",
}


@pytest.mark.parametrize(
    ("document", "path", "problem"),
    [
        (
            one({**INTROSPECTION, "client": {"id": "c", "auth": "basic"}}),
            "validators[0].client.auth",
            "must be one of",
        ),
        (
            one({**INTROSPECTION, "client": {"id": "c", "auth": "client_secret_post"}}),
            "validators[0].client.secret",
            "required",
        ),
        (
            one({**INTROSPECTION, "client": {"id": "c", "auth": "private_key_jwt"}}),
            "validators[0].client",
            "exactly one of private_key_file, private_key_secret_id",
        ),
        (
            one({**INTROSPECTION, "endpoint": "http://idp.example.com/i"}),
            "validators[0].endpoint",
            "only https",
        ),
        (one({**INTROSPECTION, "audience": None}), "validators[0].audience", "required"),
        (one({**INTROSPECTION, "cache_ttl": 7200}), "validators[0].cache_ttl", "at most 3600"),
        (
            one(
                {
                    "type": "jwt",
                    "issuers": [{**JWT_ISSUER, "revocation": {"store": {"type": "redis"}}}],
                }
            ),
            "validators[0].issuers[0].revocation.store.type",
            "must be one of",
        ),
        (
            one(
                {
                    "type": "jwt",
                    "issuers": [
                        {
                            **JWT_ISSUER,
                            "revocation": {"store": {"type": "static", "jtis": ["x" * 2000]}},
                        }
                    ],
                }
            ),
            "validators[0].issuers[0].revocation.store",
            "1-1024 characters",
        ),
        (
            one(
                {
                    "type": "jwt",
                    "issuers": [{**JWT_ISSUER, "revocation": {"store": {"type": "dynamodb"}}}],
                }
            ),
            "validators[0].issuers[0].revocation.store.table",
            "required",
        ),
    ],
)
def test_mistakes_are_reported_at_their_path(
    document: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(document)
    assert raised.value.path == path
    assert problem in raised.value.problem
    assert "s3cr3t" not in str(raised.value)


def test_the_dynamodb_revocation_store_builds_without_calling_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No boto3 client is made while building (as for the key stores in test_config.py)."""
    no_aws_clients(monkeypatch)
    entry = {**JWT_ISSUER, "revocation": {"store": {"type": "dynamodb", "table": "t"}}}
    build_authorizer(one({"type": "jwt", "issuers": [entry]}))


@pytest.mark.parametrize(("choice", "status"), [("raise", 500), ("deny", 403)])
def test_a_store_that_cannot_answer_fails_closed_as_configured(
    login_issuer: TestIssuer,
    login_jwks: JwksServer,
    monkeypatch: pytest.MonkeyPatch,
    choice: str,
    status: int,
) -> None:
    settings = unreachable_aws(monkeypatch)
    store = {"type": "dynamodb", "table": "t", "endpoint_url": settings.endpoint_url}
    entry = served(
        {
            "issuer": login_issuer.issuer,
            "audience": login_issuer.audience,
            "revocation": {"store": {**store, "region": "us-east-1"}},
        },
        login_jwks.jwks_url,
    )
    document = {
        "validators": [{"type": "jwt", "issuers": [entry]}],
        "on_infrastructure_error": choice,
    }
    event = bearer(login_issuer.mint())
    authorizer = build_authorizer(document)
    assert simulate(call_handler(authorizer.handler, event), event).status == status


@pytest.mark.parametrize(("choice", "status"), [("raise", 500), ("deny", 403)])
def test_a_provider_that_cannot_answer_fails_closed_as_configured(
    monkeypatch: pytest.MonkeyPatch, choice: str, status: int
) -> None:
    closed = unreachable_aws(monkeypatch).endpoint_url  # a loopback port nothing listens on
    document = {
        "validators": [
            {
                **INTROSPECTION,
                "issuer": closed,
                "endpoint": f"{closed}/introspect",
                "allow_http_loopback": True,
            }
        ],
        "on_infrastructure_error": choice,
    }
    event = bearer("an-opaque-token")
    authorizer = build_authorizer(document)
    assert simulate(call_handler(authorizer.handler, event), event).status == status
