"""API Gateway's managed authorizers evaluated locally (authorizers.local.managed) and the test
kit that drives them (authorizers.testing.managed). Keys are served on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from authorizers.cli import main, serve
from authorizers.errors import ConfigurationError
from authorizers.local.gateway import LocalGateway
from authorizers.local.http import HttpRequest, HttpResponse
from authorizers.local.managed import ManagedAuthorizer, build_managed, is_loopback_url
from authorizers.local.model import ManagedConfig, ManagedIssuer, ManagedKind, RequiredClaim
from authorizers.local.template import load_template
from authorizers.testing import ManagedRoutes, TestIssuer

SAMPLE = Path(__file__).parents[2] / "samples" / "managed_authorizers" / "template.yaml"
AUDIENCE = "https://api.example.test"


@pytest.fixture(scope="module")
def rsa() -> Iterator[TestIssuer]:
    issuer = TestIssuer(audience=AUDIENCE)
    with issuer.serve():
        yield issuer


@pytest.fixture(scope="module")
def ec() -> Iterator[TestIssuer]:
    issuer = TestIssuer(key_type="EC", audience=AUDIENCE)
    with issuer.serve():
        yield issuer


def http_jwt(issuer: str, *audiences: str) -> ManagedAuthorizer:
    config = ManagedConfig(ManagedKind.HTTP_JWT, (ManagedIssuer(issuer, audiences),))
    return ManagedAuthorizer(config)


def test_http_jwt_reads_bare_and_bearer_tokens(rsa):
    authorizer = http_jwt(rsa.issuer, AUDIENCE)
    token = rsa.mint()
    assert authorizer.evaluate(token).status == 200
    assert authorizer.evaluate(f"bearer {token}").status == 200
    assert authorizer.evaluate(None).status == 401
    assert authorizer.evaluate("Bearer ").status == 401


def test_http_jwt_accepts_client_id_in_place_of_aud(rsa):
    authorizer = http_jwt(rsa.issuer, "app-client")
    outcome = authorizer.evaluate(rsa.mint({"client_id": "app-client"}, omit=["aud"]))
    assert outcome.status == 200
    assert authorizer.evaluate(rsa.mint()).status == 401  # aud is the API, not the client


def test_http_jwt_verifies_rsa_only(ec):
    assert http_jwt(ec.issuer, AUDIENCE).evaluate(ec.mint()).status == 401


def test_rest_jwt_takes_its_configured_algorithms_and_claims(ec):
    claim = RequiredClaim("tier", ("gold", "silver"))
    config = ManagedConfig(
        ManagedKind.REST_JWT,
        (ManagedIssuer(ec.issuer, (AUDIENCE,), (claim,)),),
        algorithms=("ES256",),
    )
    authorizer = ManagedAuthorizer(config)
    outcome = authorizer.evaluate(ec.mint({"tier": ["bronze", "gold"]}, scope="a b"), ["b", "c"])
    assert outcome.status == 200
    assert outcome.integration_context() == {
        "claims": {**outcome.integration_context()["claims"], "tier": "[bronze gold]"}
    }
    assert authorizer.evaluate(ec.mint({"tier": "bronze"})).status == 401
    assert authorizer.evaluate(ec.mint({"tier": "gold"}, scope="a"), ["b"]).status == 403


def test_an_optional_claim_is_checked_only_when_present(rsa):
    claim = RequiredClaim("tier", ("gold",), required=False)
    config = ManagedConfig(
        ManagedKind.REST_JWT, (ManagedIssuer(rsa.issuer, (AUDIENCE,), (claim,)),)
    )
    authorizer = ManagedAuthorizer(config)
    assert authorizer.evaluate(rsa.mint()).status == 200
    assert authorizer.evaluate(rsa.mint({"tier": "lead"})).status == 401


def test_a_huge_or_hostile_header_is_a_quick_401(rsa):
    authorizer = http_jwt(rsa.issuer, AUDIENCE)
    for value in ("Bearer " + "a." * 500_000, "." * 1_000_000, "Bearer a.b.c" + " " * 100_000):
        started = time.perf_counter()
        assert authorizer.evaluate(value).status == 401
        assert time.perf_counter() - started < 5  # linear work: a generous bound, not a benchmark


def test_keys_never_come_from_the_internet():
    remote = http_jwt("https://idp.example.com", AUDIENCE)  # no override: fails closed, no fetch
    outcome = remote.evaluate("a.b.c")
    assert outcome.status in (401, 500)
    valid_shape = (
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbSJ9.c2ln"
    )
    outcome = remote.evaluate(valid_shape)
    assert outcome.status == 500 and "--jwks-override" in outcome.reason
    config = ManagedConfig(
        ManagedKind.HTTP_JWT, (ManagedIssuer("https://idp.example.com", (AUDIENCE,)),)
    )
    refused = build_managed(
        config, {"https://idp.example.com": "https://keys.example.com/jwks"}, time.time
    )
    assert isinstance(refused, str) and "not on loopback" in refused
    assert is_loopback_url("http://127.0.0.1:9/x") and is_loopback_url("http://[::1]/")
    assert not is_loopback_url("http://127.0.0.1.example.com/") and not is_loopback_url("nonsense")


# -- the test kit on the sample template ----------------------------------------------------


@pytest.fixture(scope="module")
def routes(rsa) -> ManagedRoutes:
    return ManagedRoutes(SAMPLE, {"Issuer": rsa.issuer}, jwks_overrides={})


def test_the_kit_lists_every_managed_route(routes):
    assert sorted((r.api_id, r.route_key, r.scopes) for r in routes.routes()) == [
        ("HttpApi", "GET /me", ()),
        ("HttpApi", "GET /pets", ("pets:read",)),
        ("JwtRestApi", "GET /reports", ("reports:read",)),
        ("RestApi", "GET /orders", ("orders/read",)),
        ("RestApi", "GET /profile", ()),
    ]


def test_every_managed_route_refuses_a_missing_token(routes):
    for route in routes.routes():
        assert routes.authorize("GET", route.path, api=route.api_id).status == 401


def test_the_kit_answers_status_and_what_the_integration_gets(routes, rsa):
    outcome = routes.authorize("GET", "/pets", rsa.mint(subject="dora", scope="pets:read"))
    assert outcome.status == 200
    context = outcome.integration_context()
    assert context["jwt"]["claims"]["sub"] == "dora" and context["jwt"]["scopes"] == ["pets:read"]
    assert routes.authorize("GET", "/pets", rsa.mint(scope="x")).status == 403
    reports = routes.authorize(
        "GET", "/reports", rsa.mint({"tenant": "acme"}, scope="reports:read")
    )
    assert reports.integration_context()["claims"]["tenant"] == "acme"
    assert routes.authorize("GET", "/profile", "a.b.c").status == 500  # pool not mapped


def test_the_kit_refuses_ambiguous_or_unguarded_routes(routes):
    with pytest.raises(ValueError, match="served by no API"):
        routes.authorize("GET", "/nowhere")
    with pytest.raises(ValueError, match="no managed authorizer"):
        routes.authorize("GET", "/lambda")


def test_serve_lists_managed_authorizers_with_their_scopes():
    template = load_template(SAMPLE, parameter_overrides={"Issuer": "http://127.0.0.1:9000"})
    lines = serve.describe(template, "http://127.0.0.1:3000")
    assert "  GET /pets                    OidcJwt (managed http-jwt, scopes pets:read)" in lines
    assert "  GET /reports                 RestJwt (managed rest-jwt, scopes reports:read)" in lines
    assert "  GET /profile                 UserPool (managed cognito-user-pools)" in lines


def test_serve_takes_jwks_overrides(monkeypatch):
    built = {}

    def fake_gateway(template, **options):
        built.update(options)
        raise KeyboardInterrupt

    monkeypatch.setattr(serve, "build_gateway", fake_gateway)
    args = ["serve", "-t", str(SAMPLE), "--parameter-overrides", "Issuer=http://127.0.0.1:9",
            "--jwks-override", "us-east-1_Sample1=http://127.0.0.1:9001/jwks"]  # fmt: skip
    assert main(args) == 130
    assert built["jwks_overrides"] == {"us-east-1_Sample1": "http://127.0.0.1:9001/jwks"}


# -- REST JWT authorizers read from a template, and their 403 through gateway responses -----


def _sample_with(tmp_path: Path, old: str, new: str, extra: str = "") -> Path:
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(old, new) + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        ("", "DefaultAlgorithms is required"),
        ("        DefaultAlgorithms: []\n", "DefaultAlgorithms is required"),
        ("        DefaultAlgorithms: [RS256, PS256, EdDSA]\n", "lists PS256, EdDSA"),
    ],
)
def test_a_rest_jwt_authorizer_needs_the_algorithms_api_gateway_supports(
    tmp_path: Path, listed: str, message: str
) -> None:
    # API Gateway requires DefaultAlgorithms and takes RS256/384/512 and ES256/384/512 only: a
    # template it would not deploy is refused, not run with a guessed list.
    path = _sample_with(tmp_path, "        DefaultAlgorithms: [RS256]\n", listed)
    with pytest.raises(ConfigurationError, match=message):
        load_template(path, parameter_overrides={"Issuer": "http://127.0.0.1:9"})
    supported = "        DefaultAlgorithms: [RS512, ES256, ES384, ES512, RS384]\n"
    path = _sample_with(tmp_path, "        DefaultAlgorithms: [RS256]\n", supported)
    template = load_template(path, parameter_overrides={"Issuer": "http://127.0.0.1:9"})
    managed = [spec.managed for spec in template.authorizers.values() if spec.managed]
    assert ("RS512", "ES256", "ES384", "ES512", "RS384") in [m.algorithms for m in managed]


DENIED_RESPONSE = """
  JwtRestDenied:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref JwtRestApi
      ResponseType: ACCESS_DENIED
      StatusCode: "403"
      ResponseParameters:
        gatewayresponse.header.WWW-Authenticate: "'Bearer error=\\"insufficient_scope\\"'"
      ResponseTemplates:
        application/json: '{"error":$context.error.messageString}'
"""


def test_a_managed_403_goes_through_the_apis_access_denied_response(
    tmp_path: Path, rsa: TestIssuer
) -> None:
    # ACCESS_DENIED applies "when access is denied by a custom or Amazon Cognito authorizer"
    # (AWS, gateway response types): a managed authorizer's 403 is customised like a Lambda's.
    text = SAMPLE.read_text(encoding="utf-8")
    custom = tmp_path / "custom.yaml"
    custom.write_text(text.rstrip("\n") + "\n" + DENIED_RESPONSE, encoding="utf-8")
    template = load_template(custom, parameter_overrides={"Issuer": rsa.issuer})
    gateway = LocalGateway(template, jwks_overrides={})
    token = rsa.mint({"tenant": "acme"}, scope="other")  # valid, but not the method's scope

    def get(path: str, value: str) -> HttpResponse:
        return gateway.handle(HttpRequest("GET", path, headers=(("Authorization", value),)))

    denied = get("/JwtRestApi/reports", f"Bearer {token}")
    assert denied.status == 403
    assert denied.header("WWW-Authenticate") == 'Bearer error="insufficient_scope"'
    assert json.loads(denied.body) == {"error": "Forbidden"}
    # The other APIs keep API Gateway's own answer: an HTTP API has no gateway responses.
    plain = get("/HttpApi/pets", f"Bearer {rsa.mint(scope='other')}")
    assert (plain.status, json.loads(plain.body)) == (403, {"message": "Forbidden"})
    assert plain.header("WWW-Authenticate") is None
