"""The local gateway end to end: real HTTP on 127.0.0.1, a SAM template, functions imported
from their CodeUri with their environment, API Gateway's cache and policy rules.

The authorizers here are small scripted functions (the token names the answer: ``allow:``,
``method:``, ``deny-admin:``, ``malformed``...), so each gateway rule is tested on its own;
every function appends the events it receives to a file named after itself, which is how
the tests see whether (and with what) a function was invoked.
"""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from authorizers.clock import FakeClock
from authorizers.local.gateway import LocalGateway, RequestRecord
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  EventLog: {Type: String}
  Ttl: {Type: Number, Default: 300}
Globals:
  Function:
    Runtime: python3.13
    Handler: app.handler
    Environment:
      Variables:
        EVENT_LOG: !Ref EventLog
        GREETING: from-globals
Resources:
  TokenFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.token}
  KeyFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.request}
  SimpleFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.simple}
  IamFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.iam_v1}
  BrokenFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.no_such_function}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: backend/
      Environment: {Variables: {GREETING: from-backend}}
      Events:
        Whoami: {Type: Api, Properties: {RestApiId: !Ref RestApi, Path: /whoami, Method: get}}
        Pets: {Type: Api, Properties: {RestApiId: !Ref RestApi, Path: "/pets/{id}", Method: ANY}}
        Admin:
          Type: Api
          Properties: {RestApiId: !Ref RestApi, Path: "/admin/{proxy+}", Method: GET}
        Broken: {Type: Api, Properties: {RestApiId: !Ref RestApi, Path: /broken, Method: GET}}
        Open:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /open
            Method: GET
            Auth: {Authorizer: NONE}
        Keyed:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /keyed
            Method: GET
            Auth: {Authorizer: KeyAuth, ApiKeyRequired: true}
        Iam:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /iam
            Method: GET
            Auth: {Authorizer: AWS_IAM}
        Fragile:
          Type: Api
          Properties:
            RestApiId: !Ref RestApi
            Path: /fragile
            Method: GET
            Auth: {Authorizer: Broken}
        Items: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Path: "/items/{id}", Method: GET}}
        Fallback: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi}}
        V1:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApiV1
            Path: "/v1/{id}"
            Method: GET
            PayloadFormatVersion: "1.0"
  RestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      ApiKeySourceType: AUTHORIZER
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt TokenFn.Arn
            Identity:
              ValidationExpression: "^Bearer [a-z-]+(:[a-z0-9]+)?$"
              ReauthorizeEvery: !Ref Ttl
          Broken: {FunctionArn: !GetAtt BrokenFn.Arn}
          KeyAuth:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt KeyFn.Arn
            Identity: {Headers: [x-api-key], Context: [identity.sourceIp], ReauthorizeEvery: 60}
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt SimpleFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity: {Headers: [Authorization], ReauthorizeEvery: 60}
  HttpApiV1:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Iam
        Authorizers:
          Iam:
            FunctionArn: !GetAtt IamFn.Arn
            AuthorizerPayloadFormatVersion: "1.0"
            Identity: {Headers: [Authorization], QueryStrings: [tenant]}
"""

AUTHORIZERS = """
import json, os, pathlib

GREETING = os.environ["GREETING"]  # read at import, as Lambda functions do


def _log(event):
    name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
    with (pathlib.Path(os.environ["EVENT_LOG"]) / f"{name}.jsonl").open("a") as file:
        file.write(json.dumps(event) + "\\n")


def _policy(principal, *statements, **extra):
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return {"principalId": principal, "policyDocument": document, **extra}


def _statement(effect, resource):
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}


def token(event, context):
    _log(event)
    api = event["methodArn"].split("/", 1)[0]
    word, _, principal = event["authorizationToken"].removeprefix("Bearer ").partition(":")
    if word == "allow":
        context_ = {"count": 42, "admin": True, "greeting": GREETING, "fn": context.function_name}
        return _policy(principal, _statement("Allow", api + "/*"), context=context_)
    if word == "method":  # the classic mistake: only the called method
        return _policy(principal, _statement("Allow", event["methodArn"]))
    if word == "deny-admin":
        return _policy(
            principal, _statement("Allow", api + "/*"), _statement("Deny", api + "/*/GET/admin/*")
        )
    if word == "malformed":
        return {"principalId": "x"}
    if word == "boom":
        raise RuntimeError("secret-material-in-a-message")
    raise Exception("Unauthorized")


def request(event, context):
    _log(event)
    key = event["headers"].get("x-api-key")
    if key == "good-key":
        arn = event["methodArn"].split("/", 1)[0] + "/*"
        return _policy("partner", _statement("Allow", arn), usageIdentifierKey=key)
    if key == "no-usage-key":
        return _policy("partner", _statement("Allow", event["methodArn"].split("/", 1)[0] + "/*"))
    raise Exception("Unauthorized")


def iam_v1(event, context):
    _log(event)
    if event["identitySource"] != "allow,acme":
        raise Exception("Unauthorized")
    api = event["methodArn"].split("/", 1)[0]
    return _policy("ivan", _statement("Allow", api + "/*"), context={"tenant": "acme"})


def simple(event, context):
    _log(event)
    if event["identitySource"] == ["allow"]:
        return {"isAuthorized": True, "context": {"user": "bob", "tags": ["a", "b"], "n": 1}}
    return {"isAuthorized": False}
"""

BACKEND = """
import json, os


def handler(event, context):
    if event.get("path") == "/broken":
        return {"statusCode": "two hundred"}
    if event.get("rawPath", "").startswith("/plain"):
        return {"just": "a value"}
    echo = {"event": event, "greeting": os.environ["GREETING"]}
    return {"statusCode": 200, "headers": {"x-echo": "yes"}, "body": json.dumps(echo)}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "template.yaml").write_text(TEMPLATE)
    for folder, source in (("authz", AUTHORIZERS), ("backend", BACKEND)):
        (root / folder).mkdir()
        (root / folder / "app.py").write_text(textwrap.dedent(source))
    return root


class Local:
    """A running gateway: ``get`` sends over HTTP; ``events(fn)`` are what ``fn`` received."""

    def __init__(self, project: Path, log: Path, clock: FakeClock, ttl: int) -> None:
        self.log = log
        self.clock = clock
        overrides = {"EventLog": str(log), "Ttl": str(ttl)}
        template = load_template(project / "template.yaml", parameter_overrides=overrides)
        self.records: list[RequestRecord] = []
        self.gateway = LocalGateway(template, clock=clock, on_record=self.records.append)
        self.server = LocalServer(self.gateway).start()
        self.session = requests.Session()

    def get(self, path: str, token: str | None = None, **headers: str) -> requests.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("GET", path, headers=headers)

    def request(self, method: str, path: str, **options: Any) -> requests.Response:
        return self.session.request(method, self.server.url + path, timeout=10, **options)

    def events(self, function: str) -> list[dict[str, Any]]:
        path = self.log / f"{function}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def close(self) -> None:
        self.session.close()
        self.server.stop()


@pytest.fixture
def local(project: Path, tmp_path: Path) -> Iterator[Local]:
    gateway = Local(project, tmp_path, FakeClock(), ttl=300)
    yield gateway
    gateway.close()


def echoed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()["event"]
    return event


# -- REST API, TOKEN authorizer -------------------------------------------------------------


def test_an_allowed_call_reaches_the_backend_with_principal_and_stringified_context(local):
    response = local.get("/RestApi/pets/7?tag=a&tag=b", "allow:alice")
    event = echoed(response)
    assert response.headers["x-echo"] == "yes"
    passed = event["requestContext"]["authorizer"]
    assert passed["principalId"] == "alice"
    assert passed["count"] == "42" and passed["admin"] == "true"  # REST: every value a string
    assert passed["greeting"] == "from-globals"  # the authorizer's own environment, at import
    assert passed["fn"] == "TokenFn"
    assert isinstance(passed["integrationLatency"], int)
    assert event["resource"] == "/pets/{id}" and event["pathParameters"] == {"id": "7"}
    assert event["path"] == "/pets/7" and event["httpMethod"] == "GET"
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["requestContext"]["stage"] == "test"
    assert response.json()["greeting"] == "from-backend"  # the function's value beats Globals
    (authorizer_event,) = local.events("TokenFn")
    assert set(authorizer_event) == {"type", "authorizationToken", "methodArn"}
    assert authorizer_event["methodArn"].endswith(":RestApi/test/GET/pets/7")


def test_missing_or_invalid_token_header_is_a_401_without_invoking(local):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer UPPER"}):
        response = local.get("/RestApi/whoami", **headers)
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized"}
    assert local.events("TokenFn") == []
    assert local.records[-1].reason.startswith("token does not match")
    assert local.records[0].reason.startswith("identity source missing")


def test_the_authorizer_raising_unauthorized_is_a_401(local):
    response = local.get("/RestApi/whoami", "nobody")
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized"})
    assert len(local.events("TokenFn")) == 1


def test_results_are_cached_per_token(local):
    assert local.get("/RestApi/whoami", "allow:alice").status_code == 200
    assert local.get("/RestApi/pets/1", "allow:alice").status_code == 200
    assert local.get("/RestApi/whoami", "allow:bob").status_code == 200
    assert [r.cache for r in local.records] == ["miss", "hit", "miss"]
    assert [e["authorizationToken"] for e in local.events("TokenFn")] == [
        "Bearer allow:alice",
        "Bearer allow:bob",
    ]
    assert (
        echoed(local.get("/RestApi/whoami", "allow:bob"))["requestContext"]["authorizer"][
            "principalId"
        ]
        == "bob"
    )


def test_a_cached_result_expires_after_the_ttl(local):
    local.get("/RestApi/whoami", "allow:alice")
    local.clock.advance(299)
    local.get("/RestApi/whoami", "allow:alice")
    local.clock.advance(1)
    local.get("/RestApi/whoami", "allow:alice")
    assert [r.cache for r in local.records] == ["miss", "hit", "miss"]
    assert len(local.events("TokenFn")) == 2


def test_ttl_zero_disables_the_cache(project, tmp_path):
    uncached = Local(project, tmp_path, FakeClock(), ttl=0)
    try:
        for _ in range(2):
            assert uncached.get("/RestApi/whoami", "allow:alice").status_code == 200
    finally:
        uncached.close()
    assert len(uncached.events("TokenFn")) == 2


def test_a_method_scoped_policy_cached_denies_the_next_route(local):
    assert local.get("/RestApi/whoami", "method:alice").status_code == 200
    response = local.get("/RestApi/pets/1", "method:alice")
    assert response.status_code == 403
    assert response.json() == {"Message": "User is not authorized to access this resource"}
    assert local.records[-1].cache == "hit"
    assert local.records[-1].decision == "implicit_deny"
    assert len(local.events("TokenFn")) == 1  # the second route never reached the function


def test_an_explicit_deny_beats_the_allow(local):
    response = local.get("/RestApi/admin/users/1", "deny-admin:eve")
    assert response.status_code == 403
    assert response.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"
    }
    assert local.get("/RestApi/whoami", "deny-admin:eve").status_code == 200


@pytest.mark.parametrize("token", ["malformed", "boom"])
def test_a_broken_authorizer_is_a_500_and_is_not_cached(local, token):
    for _ in range(2):
        response = local.get("/RestApi/whoami", token)
        assert (response.status_code, response.json()) == (500, {"message": None})
    assert len(local.events("TokenFn")) == 2
    assert local.records[-1].decision == "invalid"
    assert "secret-material" not in local.records[-1].line()


def test_an_authorizer_that_cannot_load_is_a_500_saying_why(local):
    for _ in range(2):  # retried on the next request, as a failed init is on Lambda
        response = local.get("/RestApi/fragile", "allow:alice")
        assert (response.status_code, response.json()) == (500, {"message": None})
        assert "app.no_such_function is not a function" in local.records[-1].reason


def test_routes_that_do_not_exist(local):
    response = local.get("/RestApi/nothing/here", "allow:alice")
    assert (response.status_code, response.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    assert local.request("POST", "/RestApi/whoami").status_code == 403  # no POST method
    assert local.get("/NoSuchApi/whoami").status_code == 404
    assert local.events("TokenFn") == []


def test_an_open_route_needs_no_authorizer(local):
    event = echoed(local.get("/RestApi/open"))
    assert "authorizer" not in event["requestContext"]
    assert local.records[-1].decision == "open"


def test_iam_auth_is_not_emulated_and_fails_closed(local):
    assert local.get("/RestApi/iam", "allow:alice").status_code == 500


def test_a_malformed_backend_response_is_a_502(local):
    response = local.get("/RestApi/broken", "allow:alice")
    assert (response.status_code, response.json()) == (502, {"message": "Internal server error"})


def test_the_body_and_method_reach_the_backend(local):
    response = local.request(
        "PUT", "/RestApi/pets/9", data=b"\xff\x00", headers={"Authorization": "Bearer allow:al"}
    )
    event = echoed(response)
    assert event["httpMethod"] == "PUT" and event["isBase64Encoded"] is True
    assert event["body"] == "/wA="


# -- API keys from the authorizer (REQUEST authorizer, usage plans) --------------------------


def test_an_api_key_required_route_takes_the_authorizers_usage_key(local):
    event = echoed(local.get("/RestApi/keyed", **{"x-api-key": "good-key"}))
    assert event["requestContext"]["identity"]["apiKey"] == "good-key"
    assert event["requestContext"]["authorizer"]["principalId"] == "partner"
    (request_event,) = local.events("KeyFn")
    assert request_event["type"] == "REQUEST" and request_event["resource"] == "/keyed"
    assert request_event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"


def test_no_usage_key_from_the_authorizer_is_a_403(local):
    response = local.get("/RestApi/keyed", **{"x-api-key": "no-usage-key"})
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})
    assert local.records[-1].decision == "api_key_required"


def test_a_missing_request_identity_source_is_a_401_without_invoking(local):
    assert local.get("/RestApi/keyed").status_code == 401
    assert local.events("KeyFn") == []
    assert local.records[-1].reason == ("identity source missing: method.request.header.x-api-key")


# -- HTTP API, payload 2.0 with simple responses ---------------------------------------------


def test_http_api_simple_response_passes_its_context_under_lambda(local):
    response = local.get("/HttpApi/items/3?q=1", Authorization="allow", Cookie="a=1; b=2")
    event = echoed(response)
    assert response.headers["apigw-requestid"]
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"user": "bob", "tags": ["a", "b"], "n": 1}  # as returned, lists included
    }
    assert event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "3"}
    assert event["cookies"] == ["a=1", "b=2"] and "cookie" not in event["headers"]
    assert event["rawQueryString"] == "q=1"
    (authorizer_event,) = local.events("SimpleFn")
    assert authorizer_event["version"] == "2.0" and authorizer_event["identitySource"] == ["allow"]
    assert authorizer_event["routeArn"].endswith(":HttpApi/$default/GET/items/3")


def test_http_api_refusals(local):
    denied = local.get("/HttpApi/items/3", Authorization="nope")
    assert (denied.status_code, denied.json()) == (403, {"message": "Forbidden"})
    missing = local.get("/HttpApi/items/3")
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert len(local.events("SimpleFn")) == 1


def test_http_api_default_route_and_plain_backend_values(local):
    response = local.get("/HttpApi/plain/anything", Authorization="allow")
    assert response.status_code == 200 and response.json() == {"just": "a value"}
    assert response.headers["Content-Type"] == "application/json"
    assert local.records[-1].route == "$default"


def test_http_api_payload_1_authorizer_and_integration(local):
    event = echoed(local.get("/HttpApiV1/v1/5?tenant=acme", Authorization="allow"))
    assert event["version"] == "1.0" and event["path"] == "/v1/5"
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"tenant": "acme", "principalId": "ivan"}
    }
    (authorizer_event,) = local.events("IamFn")
    assert authorizer_event["version"] == "1.0" and authorizer_event["type"] == "REQUEST"
    assert authorizer_event["identitySource"] == "allow,acme"  # comma-joined, in order
    assert authorizer_event["methodArn"].endswith(":HttpApiV1/$default/GET/v1/5")
    assert local.get("/HttpApiV1/v1/5", Authorization="allow").status_code == 401
    assert len(local.events("IamFn")) == 1  # the missing query source: not invoked


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Content-Length: many", 400),
        ("Content-Length: 20000000", 413),
        ("Transfer-Encoding: chunked", 411),
    ],
)
def test_unreadable_requests_are_answered_not_crashed_on(local, header, status):
    with socket.create_connection(("127.0.0.1", local.server.port), timeout=5) as client:
        client.sendall(f"POST /RestApi/whoami HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n".encode())
        answer = b"".join(iter(lambda: client.recv(4096), b""))  # the server closes
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())
    assert local.records == [] and local.events("TokenFn") == []


def _raw(local: Local, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", local.server.port), timeout=5) as client:
        client.sendall(request)
        client.shutdown(socket.SHUT_WR)
        return b"".join(iter(lambda: client.recv(4096), b""))


GOOD_HEAD = b"GET /RestApi/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer allow:sekret\r\n"


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"GET /RestApi/whoami\r\n\r\n", id="HTTP/0.9 request line"),
        pytest.param(GOOD_HEAD + b"X-No-Colon\r\n\r\n", id="header line without a colon"),
        pytest.param(b"GET /RestApi/whoami HTTP/1.1\r\nNoColon\r\nHost: x\r\n\r\n", id="first"),
        pytest.param(GOOD_HEAD + b"Host : y\r\n\r\n", id="space before the colon"),
        pytest.param(GOOD_HEAD + b"X-Tenant: a\x00b\r\n\r\n", id="NUL in a header value"),
        pytest.param(GOOD_HEAD + b"X-Folded: a\r\n b\r\n\r\n", id="obsolete line folding"),
        pytest.param(
            b"POST /RestApi/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
            b"Content-Length: 2\r\n\r\nab",
            id="two conflicting Content-Length headers",
        ),
        pytest.param(
            b"POST /RestApi/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab",
            id="Content-Length with a sign",
        ),
        pytest.param(
            b"POST /RestApi/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 1_0\r\n\r\nab",
            id="Content-Length with an underscore",
        ),
    ],
)
def test_requests_a_real_gateway_refuses_are_answered_400(local, request_bytes):
    answer = _raw(local, request_bytes)
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n", 1)[0], answer
    assert local.records == [] and local.events("TokenFn") == []


def test_a_well_formed_raw_request_still_goes_through(local):
    answer = _raw(local, GOOD_HEAD + b"Content-Length: 0\r\nContent-Length: 0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer


# -- the log line ------------------------------------------------------------------------------


def test_one_log_line_per_request_without_credentials(local):
    local.get("/RestApi/whoami", "allow:sekret")
    local.get("/RestApi/whoami", "allow:sekret")
    first, second = (record.line() for record in local.records)
    assert "route='RestApi GET /whoami'" in first and "authorizer=Tok" in first
    assert "decision=allow" in first and "cache=miss" in first and "latency=" in first
    assert "cache=hit" in second and "reason='cached response allows this route'" in second
    assert "Bearer" not in first + second


def test_a_method_arn_over_1600_bytes_is_a_414_without_invoking(local):
    """AGW/limits: path parameter values count toward the 1600-byte method ARN: 414."""
    response = local.get("/RestApi/admin/" + "x" * 1600, "allow:alice")
    assert response.status_code == 414
    assert local.events("TokenFn") == []
    assert "1600" in local.records[-1].reason
