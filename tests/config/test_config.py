"""Zero-code configuration: the examples of docs/configuration.md run as written, every kind of
mistake is reported at its JSON path (and never with a configured value), and what the
document says is what the built authorizer does - checked through the simulator."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import doc_example
from helpers import create_key_table, key_item, no_aws_clients, served

from authorizers.clock import FakeClock
from authorizers.config import (
    ConfigFieldError,
    authorizer_from_environment,
    build_authorizer,
    load_config,
    substitute_environment,
)
from authorizers.jwks.cache import JwksCache
from authorizers.keystores.base import hash_api_key, new_api_key
from authorizers.testing import (
    CognitoTestIssuer,
    Fault,
    JwksServer,
    TestIssuer,
    assert_allows,
    assert_context,
    assert_denies,
    assert_unauthorized,
    call_handler,
    http_v2_event,
    request_event,
    simulate,
    token_event,
    websocket_connect_event,
)
from authorizers.testing.events import API_ID, client_certificate
from authorizers.validators.hmac_signature import SignatureScheme, sign_request

NOW = 1_700_000_000.0


def jwt_document(issuer: TestIssuer, **top: Any) -> dict[str, Any]:
    entry = {"issuer": issuer.issuer, "jwks": issuer.jwks, "audience": issuer.audience}
    return {"validators": [{"type": "jwt", "issuers": [entry]}], **top}


# -- the documented examples ------------------------------------------------------------------


def test_example_cognito(register_secret: Callable[..., Any]) -> None:
    pool = CognitoTestIssuer("us-east-1_Docs1", client_ids=["docsclient0123456789abcdef"])
    environ = {
        "AUTHORIZER_CONFIG": json.dumps(doc_example("cognito")),
        "USER_POOL_ID": "us-east-1_Docs1",
        "APP_CLIENT_ID": "docsclient0123456789abcdef",
    }
    document, base_dir = load_config(environ)
    assert document["validators"][0]["user_pool_ids"] == "${USER_POOL_ID}"  # as written
    with pool.serve() as server:
        served(document["validators"][0], server.jwks_url)
        authorizer = build_authorizer(document, base_dir=base_dir, environ=environ)

        def call(route: str, **token: Any) -> tuple[dict[str, Any], Any]:
            event = token_event(route, f"Bearer {register_secret(pool.access_token(**token))}")
            return event, call_handler(authorizer.handler, event)

        event, reader = call("GET /pets", username="ann")
        assert_allows(reader, event, "GET /pets/1")
        assert_denies(reader, "POST /pets", "GET /admin/users")
        assert_context(reader, {"username": "ann", "principalId": reader["principalId"]})
        event, writer = call("POST /pets", scopes=["pets/write"])
        assert_allows(writer, event)
        event, admin = call("DELETE /admin/audit", groups=["admins"])
        assert_allows(admin, event, "GET /admin/users/7")
        event, contractor = call("GET /admin/users", groups=["admins", "contractors"])
        assert_allows(contractor, event)
        assert_denies(contractor, "DELETE /admin/audit", explicit=True)
        assert_unauthorized(authorizer.handler, token_event("GET /pets", pool.id_token()))


def test_example_jwt_or_api_key(
    moto_reset: Any,
    login_issuer: TestIssuer,
    login_jwks: JwksServer,
    register_secret: Callable[..., Any],
) -> None:
    key = register_secret(new_api_key("billing_")[0])
    create_key_table(
        moto_reset.client("dynamodb"), "docs-keys", key_item(key, "billing-job", "reports:write")
    )
    environ = {
        "AUTHORIZER_CONFIG": json.dumps(doc_example("jwt-or-api-key")),
        "API_KEY_TABLE": "docs-keys",
    }
    document, _ = load_config(environ)
    served(document["validators"][0]["issuers"][0], login_jwks.jwks_url)
    authorizer = build_authorizer(document, environ=environ)
    token = register_secret(login_issuer.mint({"email": "p@example.com"}))

    person = request_event("GET /reports/1", headers={"Authorization": f"Bearer {token}"})
    response = authorizer.handler(person, None)
    assert_allows(response, person, "GET /reports/2")
    assert_denies(response, "POST /reports")
    assert_context(response, {"email": "p@example.com"}, request=person)

    machine = request_event("POST /reports", headers={"x-api-key": key})
    response = authorizer.handler(machine, None)
    assert_allows(response, machine, "GET /reports/9")
    assert response["principalId"] == "billing-job"
    assert response["usageIdentifierKey"] == key
    for headers in ({}, {"x-api-key": "unknown-key-123"}, {"Authorization": "Bearer x.y.z"}):
        assert_unauthorized(authorizer.handler, request_event("GET /reports/1", headers=headers))


def test_example_api_key_and_ip() -> None:
    clock = FakeClock(NOW)
    authorizer = build_authorizer(doc_example("api-key-and-ip"), clock=clock)
    key = "pk_partner-a_example_do-not-use"  # the key behind the digest in the example

    def call(source_ip: str, api_key: str = key) -> Any:
        event = request_event("GET /orders/1", headers={"x-api-key": api_key}, source_ip=source_ip)
        return event, call_handler(authorizer.handler, event)

    for address in ("198.51.100.20", "2001:db8:1234::5"):
        event, response = call(address)
        assert_allows(response, event, "POST /anything")
        assert_context(response, {"principalId": "partner-a", "key_id": "2024-06"}, request=event)
    for address in ("198.51.100.13", "203.0.113.5"):  # denied, not allowed
        assert simulate(call(address)[1], call(address)[0]).status == 401
    assert simulate(*reversed(call("198.51.100.20", "wrong-key"))).status == 401
    clock.advance(10 * 365 * 86400)  # past expires_at
    assert simulate(*reversed(call("198.51.100.20"))).status == 401


# -- mistakes, reported at their path ---------------------------------------------------------

JWKS = {"keys": [{"kty": "RSA", "kid": "k", "n": "AQAB" * 64, "e": "AQAB"}]}
GOOD_ISSUER = {"issuer": "https://i.example", "jwks_url": "https://i.example/jwks", "audience": "a"}
STATIC = {"type": "static", "keys": {"a" * 64: {"owner": "o"}}}


def jwt(**issuer: Any) -> dict[str, Any]:
    return {"validators": [{"type": "jwt", "issuers": [{**GOOD_ISSUER, **issuer}]}]}


def one(validator: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"validators": [validator], **top}


API_KEY = {"type": "api_key", "store": STATIC}
MISTAKES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "audience of the second issuer",
        {
            "validators": [
                {
                    "type": "jwt",
                    "issuers": [GOOD_ISSUER, {**GOOD_ISSUER, "issuer": "x", "audience": None}],
                }
            ]
        },
        "validators[0].issuers[1].audience",
        "required",
    ),
    (
        "typo of a required key",
        jwt(audience=None, audiance="a"),
        "validators[0].issuers[0].audience",
        "required (is 'audiance' a typo?)",
    ),
    (
        "typo of an optional key",
        jwt(leway=5),
        "validators[0].issuers[0].leway",
        "unknown key (did you mean 'leeway'?)",
    ),
    (
        "string for a number",
        jwt(leeway="30"),
        "validators[0].issuers[0].leeway",
        "must be a number, not a string",
    ),
    (
        "boolean for a number",
        jwt(leeway=True),
        "validators[0].issuers[0].leeway",
        "must be a number, not a boolean",
    ),
    ("leeway too large", jwt(leeway=601), "validators[0].issuers[0].leeway", "at most 600"),
    (
        "string for a boolean",
        jwt(verify_audience="false"),
        "validators[0].issuers[0].verify_audience",
        "must be true or false",
    ),
    (
        "audience while not verifying it",
        jwt(verify_audience=False),
        "validators[0].issuers[0].verify_audience",
        "is false, but an audience",
    ),
    (
        "HMAC algorithm",
        jwt(algorithms=["RS256", "HS256"]),
        "validators[0].issuers[0].algorithms",
        "['HS256'] not supported",
    ),
    (
        "plain HTTP keys",
        jwt(jwks_url="http://keys.example.com/jwks"),
        "validators[0].issuers[0].jwks_url",
        "only https",
    ),
    (
        "two key sources",
        jwt(jwks=JWKS),
        "validators[0].issuers[0]",
        "give exactly one of jwks_url, jwks_file, jwks (found jwks_url and jwks)",
    ),
    (
        "missing jwks file",
        jwt(jwks_url=None, jwks_file="nowhere.json"),
        "validators[0].issuers[0].jwks_file",
        "no such file",
    ),
    (
        "an empty scope list",
        jwt(scopes_any=[]),
        "validators[0].issuers[0].scopes_any",
        "non-empty list",
    ),
    (
        "an empty string",
        jwt(scopes_any=["a", ""]),
        "validators[0].issuers[0].scopes_any[1]",
        "must be a non-empty string",
    ),
    ("no validators", {}, "validators", "required"),
    ("empty validators", {"validators": []}, "validators", "must not be an empty list"),
    ("unknown type", one({"type": "jwks"}), "validators[0].type", "must be one of 'jwt'"),
    ("no type", one({"issuers": []}), "validators[0].type", "required"),
    (
        "a validator is not an object",
        {"validators": ["jwt"]},
        "validators[0]",
        "must be an object, not a string",
    ),
    ("no combine", {"validators": [API_KEY, API_KEY]}, "combine", "required with several"),
    ("bad combine", {"validators": [API_KEY], "combine": "either"}, "combine", "must be one of"),
    ("unknown top-level key", one(API_KEY, route=[]), "route", "did you mean 'routes'"),
    ("format version", one(API_KEY, version=2), "version", "integer from 1 to 1"),
    (
        "cognito without clients",
        one({"type": "cognito", "user_pool_ids": "eu-west-1_a"}),
        "validators[0].client_ids",
        "required",
    ),
    (
        "cognito pool id",
        one({"type": "cognito", "user_pool_ids": "pool", "client_ids": "c"}),
        "validators[0]",
        "user pool id must look like",
    ),
    (
        "oidc over http",
        one({"type": "oidc", "issuer": "http://idp.example", "audience": "a"}),
        "validators[0].issuer",
        "only https",
    ),
    (
        "plaintext API key",
        one({"type": "api_key", "store": {"type": "static", "keys": {"hunter2": {"owner": "o"}}}}),
        "validators[0].store.keys",
        "SHA-256 hex digest",
    ),
    (
        "bad key record",
        one(
            {
                "type": "api_key",
                "store": {"type": "static", "keys": {"a" * 64: {"owner": "o", "expires": 1}}},
            }
        ),
        "validators[0].store.keys",
        "unknown key record fields: ['expires']",
    ),
    ("no store", one({"type": "api_key"}), "validators[0].store", "required"),
    (
        "store type",
        one({"type": "api_key", "store": {"type": "redis"}}),
        "validators[0].store.type",
        "must be one of 'static'",
    ),
    (
        "two key places",
        one({**API_KEY, "header": "x-key", "query": "key"}),
        "validators[0]",
        "at most one of header, query, authorization_scheme",
    ),
    (
        "ssm path",
        one({"type": "api_key", "store": {"type": "ssm", "path": "keys"}}),
        "validators[0].store.path",
        "must start with '/'",
    ),
    (
        "host bits in a CIDR",
        one({"type": "request", "allow_cidrs": ["10.0.0.1/8"]}),
        "validators[0].allow_cidrs[0]",
        "host bits set",
    ),
    (
        "empty CIDR list",
        one({"type": "request", "allow_cidrs": []}),
        "validators[0].allow_cidrs",
        "must not be an empty list",
    ),
    (
        "a request validator that checks nothing",
        one({"type": "request"}),
        "validators[0]",
        "would accept every request",
    ),
    (
        "request rule",
        one({"type": "request", "rules": [{"source": "cookie", "name": "a"}]}),
        "validators[0].rules[0]",
        "needs 'source'",
    ),
    (
        "client certificate",
        one({"type": "request", "client_cert": {"subject": {}}}),
        "validators[0].client_cert.subject",
        "did you mean 'subject_dn'",
    ),
    (
        "hmac without secrets",
        one({"type": "hmac"}),
        "validators[0]",
        "exactly one of secrets, secrets_manager",
    ),
    ("route shape", one(API_KEY, routes=[{"allow": "pets"}]), "routes[0].allow", "must be"),
    (
        "route verb",
        one(API_KEY, routes=[{"allow": "FETCH /pets"}]),
        "routes[0].allow",
        "unknown HTTP verb",
    ),
    (
        "allow and deny",
        one(API_KEY, routes=[{"allow": "GET /a", "deny": "GET /a"}]),
        "routes[0]",
        'exactly one of "allow" and "deny"',
    ),
    (
        "requires on a deny",
        one(API_KEY, routes=[{"deny": "GET /a", "requires": {}}]),
        "routes[0].requires",
        "unknown key",
    ),
    (
        "empty requirement",
        one(API_KEY, routes=[{"allow": "GET /a", "requires": {}}]),
        "routes[0].requires",
        "give at least one condition",
    ),
    (
        "misspelt condition",
        one(API_KEY, routes=[{"allow": "GET /a", "requires": {"scope_any": ["a"]}}]),
        "routes[0].requires.scope_any",
        "did you mean 'scopes_any'",
    ),
    (
        "nested condition",
        one(API_KEY, requires={"any_of": [{"groups_any": "a"}, {"scopes_any": 1}]}),
        "requires.any_of[1].scopes_any",
        "must be a string or a non-empty list",
    ),
    (
        "per-route answers cached for every route",
        one(API_KEY, routes=[{"allow": "GET /a"}], simple_responses=True),
        "routes",
        "deploy with a result TTL of 0",
    ),
    ("TTL range", one(API_KEY, result_ttl_seconds=7200), "result_ttl_seconds", "0 to 3600"),
    (
        "infrastructure errors",
        one(API_KEY, on_infrastructure_error="allow"),
        "on_infrastructure_error",
        "must be one of 'raise', 'deny'",
    ),
    (
        "context claims",
        one(API_KEY, context_claims=5),
        "context_claims",
        "list of claim names or an object",
    ),
    (
        "observability",
        one(API_KEY, observability={"type": "stdout"}),
        "observability.type",
        "must be one of 'json'",
    ),
]


@pytest.mark.parametrize(
    ("document", "path", "problem"),
    [pytest.param(doc, path, problem, id=name) for name, doc, path, problem in MISTAKES],
)
def test_mistakes_are_reported_at_their_path(
    document: dict[str, Any], path: str, problem: str
) -> None:
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(document)
    assert raised.value.path == path
    assert problem in raised.value.problem
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    "document",
    [
        one({"type": "hmac", "secrets": {"k1": "s3cr3t-but-too-short"}}),
        one({"type": "hmac", "secrets": {"k1": 12345678901234567890}}),
        one(
            {
                "type": "api_key",
                "store": {
                    "type": "static",
                    "keys": {"a" * 64: {"owner": "o", "enabled": "s3cr3t-but-too-short"}},
                },
            }
        ),
        one(
            {
                "type": "request",
                "rules": [
                    {"source": "header", "name": "x-shared", "equals": ["s3cr3t-but-too-short"]}
                ],
            }
        ),
        jwt(audience={"s3cr3t-but-too-short": 1}),
    ],
)
def test_errors_never_repeat_a_configured_value(document: dict[str, Any]) -> None:
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(document)
    assert "s3cr3t" not in str(raised.value)
    assert "12345678901234567890" not in str(raised.value)


def test_a_long_unknown_key_is_cut_short() -> None:
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(one(API_KEY, **{"x" * 30 + "tail-that-could-be-a-secret": 1}))
    assert "tail-that-could-be-a-secret" not in str(raised.value)


# -- finding and reading the document ---------------------------------------------------------


def test_inline_configuration_with_environment_variables(login_issuer: TestIssuer) -> None:
    document = jwt_document(login_issuer)
    document["validators"][0]["issuers"][0]["audience"] = "${AUDIENCE}"
    environ = {"AUTHORIZER_CONFIG": json.dumps(document), "AUDIENCE": login_issuer.audience}
    authorizer = authorizer_from_environment(environ)
    event = token_event("GET /", f"Bearer {login_issuer.mint()}")
    assert_allows(authorizer.handler(event, None), event)


def test_a_variable_only_ever_becomes_a_string() -> None:
    injected = '", "verify_audience": false, "x": "'
    environ = {"AUTHORIZER_CONFIG": '{"description": "${TEXT}"}', "TEXT": injected}
    document, _ = load_config(environ)
    assert substitute_environment(document, environ) == {"description": injected}


def test_an_unset_variable_is_named_with_its_path() -> None:
    environ = {
        "AUTHORIZER_CONFIG": json.dumps(one({"type": "cognito", "user_pool_ids": ["${POOL}"]}))
    }
    with pytest.raises(ConfigFieldError) as raised:
        authorizer_from_environment(environ)
    assert str(raised.value) == (
        "validators[0].user_pool_ids[0]: environment variable POOL is not set"
    )


def test_build_authorizer_substitutes_variables_as_the_handler_does(
    login_issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = jwt_document(login_issuer)
    document["validators"][0]["issuers"][0]["audience"] = "${AUDIENCE}"
    event = token_event("GET /", f"Bearer {login_issuer.mint()}")
    monkeypatch.setenv("AUDIENCE", login_issuer.audience)
    assert_allows(build_authorizer(document).handler(event, None), event)  # os.environ
    monkeypatch.delenv("AUDIENCE")
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(document)
    assert str(raised.value) == (
        "validators[0].issuers[0].audience: environment variable AUDIENCE is not set"
    )
    authorizer = build_authorizer(document, environ={"AUDIENCE": login_issuer.audience})
    assert_allows(authorizer.handler(event, None), event)
    assert document["validators"][0]["issuers"][0]["audience"] == "${AUDIENCE}"  # not mutated


def test_variables_are_substituted_exactly_once(login_issuer: TestIssuer) -> None:
    """A variable's value is never expanded again, whichever entry point built the document."""
    document = jwt_document(login_issuer)
    document["validators"][0]["issuers"][0]["audience"] = ["${AUDIENCE}", "${OTHER}"]
    environ = {
        "AUTHORIZER_CONFIG": json.dumps(document),
        "AUDIENCE": login_issuer.audience,
        "OTHER": "${UNSET}",  # literal text, not a reference
    }
    event = token_event("GET /", f"Bearer {login_issuer.mint()}")
    for authorizer in (
        authorizer_from_environment(environ),
        build_authorizer(load_config(environ)[0], environ=environ),
    ):
        assert_allows(authorizer.handler(event, None), event)


def test_a_file_relative_to_the_task_root_and_key_files_relative_to_it(
    tmp_path: Path, login_issuer: TestIssuer
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "jwks.json").write_text(json.dumps(login_issuer.jwks))
    document = jwt_document(login_issuer)
    entry = document["validators"][0]["issuers"][0]
    entry["jwks_file"] = "jwks.json"
    del entry["jwks"]
    (tmp_path / "conf" / "authorizer.json").write_text(json.dumps(document))
    for file_name in ("conf/authorizer.json", str(tmp_path / "conf" / "authorizer.json")):
        environ = {"AUTHORIZER_CONFIG_FILE": file_name, "LAMBDA_TASK_ROOT": str(tmp_path)}
        authorizer = authorizer_from_environment(environ)
        event = token_event("GET /", f"Bearer {login_issuer.mint()}")
        assert_allows(authorizer.handler(event, None), event)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "no configuration: set AUTHORIZER_CONFIG"),
        ({"AUTHORIZER_CONFIG": "{}", "AUTHORIZER_CONFIG_FILE": "a.json"}, "not both"),
        ({"AUTHORIZER_CONFIG_FILE": "missing.json"}, "cannot read AUTHORIZER_CONFIG_FILE"),
        ({"AUTHORIZER_CONFIG": '{"version": 1,}'}, "AUTHORIZER_CONFIG is not valid JSON: "),
        ({"AUTHORIZER_CONFIG": '{"a": 1, "a": 2}'}, "key 'a' appears twice"),
        ({"AUTHORIZER_CONFIG": '{"leeway": NaN}'}, "NaN is not valid JSON"),
        ({"AUTHORIZER_CONFIG": "[]"}, "must hold a JSON object"),
    ],
)
def test_loading_problems(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigFieldError) as raised:
        load_config({**environ, "LAMBDA_TASK_ROOT": str(tmp_path)})
    assert raised.value.path == ""
    assert message in str(raised.value)


# -- what the document says is what the authorizer does ---------------------------------------


def test_requires_refuses_callers_on_every_route(login_issuer: TestIssuer) -> None:
    authorizer = build_authorizer(
        jwt_document(login_issuer, requires={"claim_equals": {"tier": "gold"}, "scopes_any": "api"})
    )
    gold = token_event("GET /a", f"Bearer {login_issuer.mint({'tier': 'gold'}, scope='api')}")
    assert_allows(authorizer.handler(gold, None), gold, "POST /b")
    for claims in ({"tier": "silver"}, {}):
        event = token_event("GET /a", f"Bearer {login_issuer.mint(claims, scope='api')}")
        assert_denies(authorizer.handler(event, None), event, "POST /b")


def test_a_tenant_header_must_equal_the_tenant_claim(login_issuer: TestIssuer) -> None:
    authorizer = build_authorizer(
        jwt_document(
            login_issuer,
            requires={"header_equals_claim": {"header": "x-tenant", "claim": "tenant"}},
        )
    )
    token = login_issuer.mint({"tenant": "acme"})

    def status(tenant: str | None) -> int:
        headers = {"authorization": f"Bearer {token}", "x-tenant": tenant}
        event = http_v2_event("GET /things", headers=headers)
        return simulate(call_handler(authorizer.handler, event), event).status

    assert (status("acme"), status("evil"), status(None)) == (200, 403, 403)


def test_context_claims_at_the_top_level(login_issuer: TestIssuer) -> None:
    for names, expected in (
        (["email", "groups"], {"email": "e@x", "groups": "a,b"}),
        ({"email": "mail", "absent": "gone"}, {"mail": "e@x"}),
    ):
        authorizer = build_authorizer(jwt_document(login_issuer, context_claims=names))
        token = login_issuer.mint({"email": "e@x", "groups": ["a", "b"]})
        event = token_event("GET /", f"Bearer {token}")
        assert_context(authorizer.handler(event, None), expected, request=event, exact=True)


def test_nested_composition(login_issuer: TestIssuer) -> None:
    key = "nested-composition-key-0001"
    document = {
        "validators": [
            {
                "type": "any_of",
                "validators": [
                    {
                        "type": "all_of",
                        "name": "office-key",
                        "validators": [
                            {
                                "type": "api_key",
                                "store": {
                                    "type": "static",
                                    "keys": {hash_api_key(key): {"owner": "robot"}},
                                },
                            },
                            {"type": "request", "allow_cidrs": ["198.51.100.0/24"]},
                        ],
                    },
                    jwt_document(login_issuer)["validators"][0],
                ],
            }
        ]
    }
    authorizer = build_authorizer(document)
    office = request_event("GET /", headers={"x-api-key": key}, source_ip="198.51.100.1")
    assert authorizer.handler(office, None)["principalId"] == "robot"
    away = request_event("GET /", headers={"x-api-key": key}, source_ip="203.0.113.1")
    assert_unauthorized(authorizer.handler, away)
    person = request_event(
        "GET /", headers={"authorization": f"Bearer {login_issuer.mint()}"}, source_ip="203.0.113.1"
    )
    assert_allows(authorizer.handler(person, None), person)


def test_bare_tokens_can_be_refused(login_issuer: TestIssuer) -> None:
    for allow_bare, expected in ((True, 200), (False, 401)):
        document = jwt_document(login_issuer)
        document["validators"][0]["allow_bare_token"] = allow_bare
        event = token_event("GET /", login_issuer.mint())  # no "Bearer "
        assert status_of(build_authorizer(document), event) == expected


def status_of(authorizer: Any, event: dict[str, Any]) -> int:
    return simulate(call_handler(authorizer.handler, event), event).status


def test_websocket_routes_and_query_tokens(login_issuer: TestIssuer) -> None:
    document = jwt_document(login_issuer, routes=[{"allow": "$connect"}])
    document["validators"][0]["query_parameter"] = "token"
    authorizer = build_authorizer(document)
    event = websocket_connect_event(query={"token": login_issuer.mint()})
    assert_allows(authorizer.handler(event, None), event)


def test_the_clock_reaches_the_validators(login_issuer: TestIssuer) -> None:
    clock = FakeClock(NOW)
    timed = TestIssuer(login_issuer.issuer, audience=login_issuer.audience, clock=clock)
    timed.key = login_issuer.key
    authorizer = build_authorizer(jwt_document(login_issuer), clock=clock)
    event = token_event("GET /", f"Bearer {timed.mint(expires_in=60)}")
    assert_allows(authorizer.handler(event, None), event)
    clock.advance(120)
    assert_unauthorized(authorizer.handler, event)


@pytest.mark.parametrize(("choice", "status"), [("raise", 500), ("deny", 403)])
def test_unreachable_keys(login_issuer: TestIssuer, choice: str, status: int) -> None:
    with JwksServer(login_issuer.jwks) as server:
        server.inject(Fault.http_status(503))
        document = jwt_document(login_issuer, on_infrastructure_error=choice)
        entry = document["validators"][0]["issuers"][0]
        del entry["jwks"]
        entry.update(jwks_url=server.jwks_url + f"?{choice}", allow_http_loopback=True)
        authorizer = build_authorizer(document)
        event = token_event("GET /", f"Bearer {login_issuer.mint()}")
        assert simulate(call_handler(authorizer.handler, event), event).status == status


def test_oidc_discovery(login_issuer: TestIssuer) -> None:
    provider = TestIssuer(audience="aud-1")
    with provider.serve() as server:
        document = one(
            {
                "type": "oidc",
                "issuer": server.url,
                "audience": "aud-1",
                "allow_http_loopback": True,
                "typ": "JWT",
                "timeout": 2,
            }
        )
        authorizer = build_authorizer(document)
        event = token_event("GET /", f"Bearer {provider.mint()}")
        assert_allows(authorizer.handler(event, None), event)


def test_hmac_signatures(register_secret: Callable[..., Any]) -> None:
    secret = register_secret(secrets.token_urlsafe(30))
    authorizer = build_authorizer(
        one(
            {
                "type": "hmac",
                "secrets": {"client-1": {"secret": secret, "principal": "billing"}},
                "signed_headers": ["x-date"],
                "max_skew": 60,
            },
            result_ttl_seconds=0,
        ),
        clock=FakeClock(NOW),
    )
    scheme = SignatureScheme(signed_headers=("x-date",))  # what the client and document agree on
    headers = sign_request(
        secret,
        "client-1",
        "POST",
        "/orders",
        headers={"x-date": "today"},
        scheme=scheme,
        timestamp=int(NOW),
        api_id=API_ID,
        stage="prod",
    )
    event = request_event("POST /orders", headers={**headers, "x-date": "today"})
    response = authorizer.handler(event, None)
    assert response["principalId"] == "billing"
    tampered = request_event("POST /orders", headers={**headers, "x-date": "tomorrow"})
    assert_unauthorized(authorizer.handler, tampered)


def test_client_certificates() -> None:
    authorizer = build_authorizer(
        one(
            {
                "type": "request",
                "client_cert": {"issuer_dn": {"regex": "CN=Example Private CA,.*"}},
                "principal_from": "client_cert:subject_dn",
            }
        ),
        clock=FakeClock(NOW),
    )
    event = request_event("GET /", client_cert=client_certificate())
    assert authorizer.handler(event, None)["principalId"].startswith("CN=client.example.com")
    other = request_event("GET /", client_cert=client_certificate(issuer_dn="CN=Other CA"))
    assert_unauthorized(authorizer.handler, other)


def test_every_store_builds_without_calling_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building never creates a boto3 client: the first client is made at first use."""
    no_aws_clients(monkeypatch)
    for store in (
        {"type": "dynamodb", "table": "t", "consistent_read": True, "region": "eu-west-1"},
        {"type": "secrets_manager", "secret_id": "keys", "ttl": 60},
        {"type": "ssm", "path": "/api/keys", "endpoint_url": "http://127.0.0.1:9"},
    ):
        build_authorizer(one({"type": "api_key", "store": store, "cache_ttl": 0}))
    hmac = {"type": "hmac", "secrets_manager": {"secret_id": "hmac"}}
    build_authorizer(one(hmac, result_ttl_seconds=0))


def test_a_per_request_validator_needs_result_ttl_zero() -> None:
    """Issue 13 break 5: a signature's answer holds for one request; the default TTL (300 s,
    when the document says nothing) would let API Gateway replay it on any route."""
    hmac = {"type": "hmac", "secrets": {"client-1": "s" * 32}}
    for document in (one(hmac), one(hmac, result_ttl_seconds=60, cache_per_route=True)):
        with pytest.raises(ConfigFieldError, match=r"^result_ttl_seconds: .*result TTL of 0"):
            build_authorizer(document)
    either = {"type": "any_of", "validators": [API_KEY, hmac]}
    with pytest.raises(ConfigFieldError, match=r"^result_ttl_seconds: "):
        build_authorizer(one(either))
    build_authorizer(one(either, result_ttl_seconds=0))


def test_observability_choices(
    login_issuer: TestIssuer, capsys: pytest.CaptureFixture[str]
) -> None:
    event = token_event("GET /", f"Bearer {login_issuer.mint()}")
    build_authorizer(jwt_document(login_issuer, observability={"type": "none"})).handler(
        event, None
    )
    assert capsys.readouterr().out == ""
    json_log = {"type": "json", "service": "orders-authorizer", "metrics": False}
    build_authorizer(jwt_document(login_issuer, observability=json_log)).handler(event, None)
    line = json.loads(capsys.readouterr().out)
    assert (line["service"], line["outcome"], "_aws" in line) == (
        "orders-authorizer",
        "allow",
        False,
    )


# -- a JWKS snapshot file: a cold start without a fetch (issue 16) -------------------------------


def _no_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(cache: JwksCache) -> None:
        raise AssertionError(f"fetched {cache.url}: the snapshot should have served")

    monkeypatch.setattr(JwksCache, "_fetch", refuse)


def test_a_jwt_issuer_starts_from_a_snapshot_file(
    tmp_path: Path, login_issuer: TestIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "jwks.json").write_text(json.dumps(login_issuer.jwks))
    document = jwt_document(login_issuer)
    entry = document["validators"][0]["issuers"][0]
    del entry["jwks"]
    entry.update(jwks_url="https://login.example.test/jwks-snapshot", snapshot_file="jwks.json")
    _no_fetch(monkeypatch)
    authorizer = build_authorizer(document, base_dir=tmp_path)
    event = token_event("GET /", f"Bearer {login_issuer.mint()}")
    assert_allows(authorizer.handler(event, None), event)
    del entry["jwks_url"]
    entry["jwks_file"] = "jwks.json"
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(document, base_dir=tmp_path)
    assert str(raised.value) == "validators[0].issuers[0].snapshot_file: applies to jwks_url only"


def test_cognito_pools_start_from_snapshot_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = [CognitoTestIssuer(pool, ["app"]) for pool in ("us-east-1_Snap1", "eu-west-1_Snap2")]
    for pool in pools:
        (tmp_path / f"{pool.user_pool_id}.json").write_text(json.dumps(pool.jwks))
    cognito = {"type": "cognito", "user_pool_ids": "us-east-1_Snap1", "client_ids": "app"}
    _no_fetch(monkeypatch)
    single = build_authorizer(
        {"validators": [{**cognito, "snapshot_file": "us-east-1_Snap1.json"}]}, base_dir=tmp_path
    )
    several = build_authorizer(
        {
            "validators": [
                {
                    **cognito,
                    "user_pool_ids": [pool.user_pool_id for pool in pools],
                    "snapshot_file": {
                        pool.user_pool_id: f"{pool.user_pool_id}.json" for pool in pools
                    },
                }
            ]
        },
        base_dir=tmp_path,
    )
    for authorizer, served_pools in ((single, pools[:1]), (several, pools)):
        for pool in served_pools:
            event = token_event("GET /", f"Bearer {pool.access_token()}")
            assert_allows(authorizer.handler(event, None), event)
    with pytest.raises(ConfigFieldError) as raised:
        build_authorizer(
            {"validators": [{**cognito, "snapshot_file": {"us-east-1_Snap1": None}}]},
            base_dir=tmp_path,
        )
    assert str(raised.value) == 'validators[0].snapshot_file["us-east-1_Snap1"]: required'
