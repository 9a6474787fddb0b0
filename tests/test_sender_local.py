"""Sender-constrained tokens and challenges end to end through the local gateway, over real
HTTP on 127.0.0.1: the DPoP sample authorizer (REST and HTTP API), certificate-bound tokens with
a real mutual-TLS client, the protected-resource metadata sample, and WWW-Authenticate
challenges from the template's gateway responses on real 401 and 403 answers."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from authorizers.local.gateway import LocalGateway
from authorizers.local.mtls import MutualTls
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template
from authorizers.testing.certificates import TestCa
from authorizers.testing.dpop import DpopClient
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
AUDIENCE = "https://api.example.com"
REST_HOST = "https://RestApi.execute-api.us-east-1.amazonaws.com/prod"
HTTP_HOST = "https://HttpApi.execute-api.us-east-1.amazonaws.com"
CHALLENGE = (
    'Bearer realm="pets", error="invalid_token", '
    'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", '
    'DPoP realm="pets", algs="ES256 RS256 PS256 EdDSA"'
)

TEMPLATE = f"""
Transform: AWS::Serverless-2016-10-31
Parameters:
  Issuer: {{Type: String}}
  JwksUrl: {{Type: String}}
Resources:
  DpopAuthorizerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {SAMPLES / "dpop_authorizer"}
      Handler: app.handler
      Environment:
        Variables: {{ISSUER: !Ref Issuer, AUDIENCE: {AUDIENCE}, JWKS_URL: !Ref JwksUrl}}
  DenyFunction:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: deny/, Handler: app.handler}}
  MetadataFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {SAMPLES / "protected_resource"}
      Handler: app.handler
      Environment:
        Variables:
          RESOURCE: {AUDIENCE}
          AUTHORIZATION_SERVERS: !Ref Issuer
          DPOP_ALGORITHMS: ES256,RS256
          MTLS_BOUND_TOKENS: "true"
      Events:
        Metadata:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /.well-known/oauth-protected-resource
            Method: GET
            Auth: {{Authorizer: NONE}}
  BackendFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {SAMPLES / "backend"}
      Handler: app.handler
      Events:
        RestPets:
          Type: Api
          Properties: {{RestApiId: !Ref RestApi, Path: "/pets/{{id}}", Method: GET}}
        RestAdmin:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /admin
            Method: GET
            Auth: {{Authorizer: DenyAuthorizer}}
        HttpPets:
          Type: HttpApi
          Properties: {{ApiId: !Ref HttpApi, Path: "/pets/{{id}}", Method: GET}}
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: DpopAuthorizer
        Authorizers:
          DpopAuthorizer:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt DpopAuthorizerFunction.Arn
            Identity: {{Headers: [Authorization], ReauthorizeEvery: 0}}
          DenyAuthorizer:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt DenyFunction.Arn
            Identity: {{Headers: [Authorization], ReauthorizeEvery: 0}}
      GatewayResponses:
        UNAUTHORIZED:
          StatusCode: 401
          ResponseParameters:
            Headers:
              WWW-Authenticate: {json.dumps("'" + CHALLENGE + "'")}
          ResponseTemplates:
            application/json: '{{"message":$context.error.messageString}}'
  DeniedResponse:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref RestApi
      ResponseType: ACCESS_DENIED
      StatusCode: "403"
      ResponseParameters:
        gatewayresponse.header.WWW-Authenticate: >-
          'Bearer realm="pets", error="insufficient_scope"'
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: DpopAuthorizer
        Authorizers:
          DpopAuthorizer:
            FunctionArn: !GetAtt DpopAuthorizerFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            Identity: {{Headers: [Authorization], ReauthorizeEvery: 0}}
"""

DENY = """
def handler(event, context):
    return {"principalId": "someone", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": event["methodArn"]}]}}
"""


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer(audience=AUDIENCE)


@pytest.fixture(scope="module")
def keys(issuer: TestIssuer) -> Iterator[JwksServer]:
    with issuer.serve() as server:
        yield server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sender")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "deny").mkdir()
    (root / "deny" / "app.py").write_text(textwrap.dedent(DENY))
    return root


def start(project: Path, keys: JwksServer, tls: MutualTls | None = None) -> LocalServer:
    overrides = {"Issuer": keys.url, "JwksUrl": keys.jwks_url}
    template = load_template(project / "template.yaml", parameter_overrides=overrides)
    return LocalServer(LocalGateway(template), tls=tls).start()


@pytest.fixture(scope="module")
def server(project: Path, keys: JwksServer) -> Iterator[LocalServer]:
    local = start(project, keys)
    yield local
    local.stop()


def get(server: LocalServer, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(server.url + path, headers=headers or {}, timeout=10)


@pytest.mark.parametrize(
    ("path", "url"),
    [("/RestApi/pets/7", f"{REST_HOST}/pets/7"), ("/HttpApi/pets/7", f"{HTTP_HOST}/pets/7")],
    ids=["rest", "http"],
)
def test_a_dpop_request_passes_once(
    server: LocalServer, issuer: TestIssuer, path: str, url: str
) -> None:
    client = DpopClient()
    token = issuer.mint({"cnf": client.cnf})
    headers = client.headers("GET", url, token)
    allowed = get(server, path, headers)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["principalId"] == "user-1"
    replayed = get(server, path, headers)
    assert replayed.status_code == 401
    wrong_url = client.headers("GET", url.replace("/pets/7", "/pets/8"), token)
    assert get(server, path, wrong_url).status_code == 401
    as_bearer = get(server, path, {"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401


def test_a_401_carries_the_challenge_and_the_metadata_is_served(
    server: LocalServer, issuer: TestIssuer
) -> None:
    refused = get(server, "/RestApi/pets/7", {"Authorization": "DPoP not-a-token"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == CHALLENGE
    assert refused.json() == {"message": "Unauthorized"}
    missing = get(server, "/RestApi/pets/7")  # no identity source: API Gateway's own 401
    assert missing.headers["WWW-Authenticate"] == CHALLENGE
    metadata = get(server, "/RestApi/.well-known/oauth-protected-resource")
    assert metadata.status_code == 200
    assert metadata.json() == {
        "resource": AUDIENCE,
        "authorization_servers": [issuer.issuer],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": ["ES256", "RS256"],
        "dpop_bound_access_tokens_required": False,
        "tls_client_certificate_bound_access_tokens": True,
    }


def test_a_403_carries_its_own_challenge_and_http_apis_have_none(
    server: LocalServer, issuer: TestIssuer
) -> None:
    denied = get(server, "/RestApi/admin", {"Authorization": f"Bearer {issuer.mint()}"})
    assert denied.status_code == 403
    assert denied.headers["WWW-Authenticate"] == 'Bearer realm="pets", error="insufficient_scope"'
    refused = get(server, "/HttpApi/pets/7", {"Authorization": "DPoP not-a-token"})
    assert refused.status_code == 401
    assert "WWW-Authenticate" not in refused.headers  # HTTP APIs have no gateway responses


def test_certificate_bound_tokens_over_mutual_tls(
    project: Path, keys: JwksServer, issuer: TestIssuer, tmp_path: Path
) -> None:
    ca = TestCa()
    truststore, _ = ca.write(tmp_path, "ca")
    server_cert, server_key = ca.issue("localhost", server_names=("127.0.0.1",)).write(
        tmp_path, "server"
    )
    client, other = ca.issue("client-a"), ca.issue("client-b")
    client_files, other_files = client.write(tmp_path, "a"), other.write(tmp_path, "b")
    local = start(project, keys, MutualTls(server_cert, server_key, truststore))
    try:
        assert local.url.startswith("https://")
        token = issuer.mint({"cnf": client.cnf})
        call: dict[str, Any] = {
            "headers": {"Authorization": f"Bearer {token}"},
            "verify": str(truststore),
            "timeout": 10,
        }
        url = local.url + "/RestApi/pets/7"
        assert requests.get(url, cert=client_files, **call).status_code == 200
        swapped = requests.get(url, cert=other_files, **call)  # certificate swap
        assert swapped.status_code == 401
        assert swapped.headers["WWW-Authenticate"] == CHALLENGE
        http = local.url + "/HttpApi/pets/7"
        assert requests.get(http, cert=client_files, **call).status_code == 200
        assert requests.get(http, cert=other_files, **call).status_code == 401
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            requests.get(url, **call)  # no client certificate: no TLS session
    finally:
        local.stop()
