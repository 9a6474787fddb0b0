"""parse_event: every authorizer event shape, ambiguity, null maps, malformed events."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from authorizers.errors import MalformedEvent, ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.request import ClientCert, RequestKind

EVENTS = Path(__file__).parent / "events"
SECRET = "zz-secret-marker-zz"


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


# --- each shape ----------------------------------------------------------------------------


def test_rest_token() -> None:
    event = load("rest_token")
    request = parse_event(event)
    assert request.kind is RequestKind.REST_TOKEN
    assert request.token == event["authorizationToken"]
    assert request.authorization() == event["authorizationToken"]
    assert str(request.arn) == event["methodArn"]
    assert (request.method, request.path) == ("GET", "/pets/42")
    assert request.headers == {} and request.query == {}
    assert request.source_ip is None and request.client_cert is None
    assert request.raw_event is event


def test_rest_token_proxy_resource() -> None:
    request = parse_event(load("rest_token_root_proxy"))
    assert (request.arn.verb, request.arn.resource, request.arn.api_id) == (
        "POST",
        "{proxy+}",
        "example",
    )
    assert request.path == "/{proxy+}"


def test_govcloud_partition_is_kept() -> None:
    event = load("rest_token_govcloud")
    request = parse_event(event)
    assert request.arn.partition == "aws-us-gov"
    assert request.arn.region == "us-gov-west-1"
    assert request.arn.resource == "orders/order_id-1/items/"
    assert str(request.arn) == event["methodArn"]
    assert request.arn.all_routes().startswith("arn:aws-us-gov:execute-api:us-gov-west-1:")


def test_rest_request() -> None:
    request = parse_event(load("rest_request"))
    assert request.kind is RequestKind.REST_REQUEST
    assert request.token is None
    assert request.authorization() == "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln"
    assert request.header("HOST") == "s4x3opwd6i.execute-api.us-east-1.amazonaws.com"
    assert request.header("Cache-Control") == "no-cache"
    assert request.header("x-missing") is None
    assert "authorization" in request.headers and "AUTHORIZATION" in request.headers
    assert request.query["fields"] == "name,age"
    assert request.query.get_all("tag") == ("cat", "dog")
    with pytest.raises(Unauthorized) as caught:
        request.query["tag"]
    assert caught.value.reason is ReasonCode.AMBIGUOUS_CREDENTIAL
    assert "Tag" not in request.query  # query names are case-sensitive
    assert dict(request.path_parameters) == {"petId": "a1b2"}
    assert dict(request.stage_variables) == {"environment": "test"}
    assert request.source_ip == "203.0.113.10"
    assert (request.method, request.path, request.resource) == (
        "GET",
        "/pets/a1b2",
        "/pets/{petId}",
    )
    assert request.route_key is None
    assert request.request_id == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    cert = request.client_cert
    assert cert is not None
    assert cert.subject_dn == "CN=client.example.com,O=Example Corp,C=US"
    assert cert.issuer_dn == "CN=Example Private CA,O=Example Corp,C=US"
    assert cert.serial_number == "a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1"
    assert (cert.not_before, cert.not_after) == (
        "May 28 12:30:02 2019 GMT",
        "Aug  5 09:36:04 2031 GMT",
    )
    assert cert.pem is not None and cert.pem.startswith("-----BEGIN CERTIFICATE-----")


def test_null_maps_are_empty_and_china_partition_is_kept() -> None:
    request = parse_event(load("rest_request_null_maps"))
    assert request.kind is RequestKind.REST_REQUEST
    assert (request.arn.partition, request.arn.region) == ("aws-cn", "cn-north-1")
    assert (request.arn.verb, request.arn.resource) == ("DELETE", "")
    assert len(request.headers) == 0 and request.authorization() is None
    assert len(request.query) == 0
    assert dict(request.path_parameters) == {} and dict(request.stage_variables) == {}
    assert request.client_cert is None
    assert request.source_ip == "198.51.100.7"
    assert request.path == "/"


def test_missing_maps_and_context_are_empty() -> None:
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x",
    }
    request = parse_event(event)
    assert request.kind is RequestKind.REST_REQUEST
    assert (request.method, request.path, request.resource) == ("GET", "/x", None)
    assert request.source_ip is None and request.request_id is None


def test_http_v1() -> None:
    request = parse_event(load("http_v1"))
    assert request.kind is RequestKind.HTTP_V1
    assert request.identity_source == ("user1", "123")
    assert request.token is None
    assert request.arn.stage == "$default"
    assert request.header("headerauth1") == "user1"
    assert request.query["QueryString1"] == "123"
    assert dict(request.stage_variables) == {"StageVar1": "stageValue1"}
    assert request.source_ip == "192.0.2.55"
    assert request.client_cert == ClientCert(
        pem="CERT_CONTENT",
        subject_dn="www.example.com",
        issuer_dn="Example issuer",
        serial_number="a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1:a1",
        not_before="May 28 12:30:02 2019 GMT",
        not_after="Aug  5 09:36:04 2021 GMT",
    )
    assert (request.method, request.path, request.resource) == ("GET", "/request", "/request")


def test_http_v2() -> None:
    request = parse_event(load("http_v2"))
    assert request.kind is RequestKind.HTTP_V2
    assert request.identity_source == (
        "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTIifQ.c2ln",
        "7",
    )
    assert request.authorization() == request.identity_source[0]
    assert request.route_key == "GET /pets/{id}"
    assert request.resource == "/pets/{id}"
    assert (request.method, request.path) == ("GET", "/pets/7")
    assert (request.arn.stage, request.arn.verb, request.arn.resource) == (
        "$default",
        "GET",
        "pets/7",
    )
    assert request.cookies == ("session=abc123", "theme=dark")
    assert request.header("X-Custom") == "one,two"  # comma-joined by API Gateway: one value
    assert request.query["limit"] == "10"
    # queryStringParameters says "cat,dog"; rawQueryString shows two values were sent.
    assert request.query.get_all("tag") == ("cat", "dog")
    with pytest.raises(Unauthorized):
        request.query["tag"]
    assert request.source_ip == "192.0.2.77"
    assert request.client_cert is not None and request.client_cert.subject_dn == "www.example.com"
    assert dict(request.path_parameters) == {"id": "7"}
    assert request.request_id == "JKJaXmPLvHcESHA="


def test_http_v2_default_route_on_named_stage() -> None:
    request = parse_event(load("http_v2_default_route"))
    assert request.kind is RequestKind.HTTP_V2
    assert request.route_key == "$default"
    assert request.resource is None
    assert request.path == "/live/orders"  # API Gateway prefixes a named stage
    assert (request.arn.stage, request.arn.resource) == ("live", "orders")
    assert request.method == "POST"
    assert request.source_ip == "2001:db8::1"
    assert request.header("X-Api-Key") == "k3y-v4lue"
    assert request.cookies == () and len(request.query) == 0
    assert request.client_cert is None


def test_websocket_connect() -> None:
    event = load("websocket_connect")
    request = parse_event(event)
    assert request.kind is RequestKind.WEBSOCKET
    assert (request.arn.verb, request.arn.resource, request.arn.stage) == (
        None,
        "$connect",
        "production",
    )
    assert str(request.arn) == event["methodArn"]
    assert request.route_key == "$connect"
    assert request.authorization() == "Bearer ws.token.value"
    assert request.header("sec-websocket-key") == "CYZZrfNgEcgzzzwL44qytQ=="
    assert request.query["room"] == "lobby"
    assert request.source_ip == "93.108.161.96"
    assert (request.method, request.path, request.resource) == (None, None, None)
    assert request.request_id == "FDmBIG3EoAMEqYA="


def test_websocket_recognised_by_arn_alone() -> None:
    event = load("websocket_connect")
    del event["requestContext"]
    assert parse_event(event).kind is RequestKind.WEBSOCKET


def test_unknown_extra_keys_are_ignored() -> None:
    event = load("http_v2")
    event["someFutureField"] = {"nested": [1, 2]}
    event["requestContext"]["newContextKey"] = 7
    assert parse_event(event).kind is RequestKind.HTTP_V2


# --- ambiguity -----------------------------------------------------------------------------


def _rest(headers: Any = None, multi: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x",
        "headers": headers,
        "multiValueHeaders": multi,
        **extra,
    }


def test_differently_cased_duplicate_headers_are_ambiguous() -> None:
    request = parse_event(_rest({"Authorization": "Bearer a", "authorization": "Bearer b"}))
    with pytest.raises(Unauthorized) as caught:
        request.authorization()
    assert caught.value.reason is ReasonCode.AMBIGUOUS_CREDENTIAL
    assert "Bearer" not in str(caught.value)  # the name is named, never a value
    assert set(request.headers.get_all("AUTHORIZATION")) == {"Bearer a", "Bearer b"}


def test_same_value_under_two_casings_is_not_ambiguous() -> None:
    request = parse_event(_rest({"Authorization": "Bearer a", "AUTHORIZATION": "Bearer a"}))
    assert request.authorization() == "Bearer a"


def test_multi_value_header_with_two_values_is_ambiguous() -> None:
    request = parse_event(_rest({"X-Api-Key": "k2"}, {"X-Api-Key": ["k1", "k2"]}))
    with pytest.raises(Unauthorized):
        request.header("x-api-key")
    assert request.headers.get_all("x-api-key") == ("k1", "k2")


def test_repeated_identical_values_are_one_value() -> None:
    request = parse_event(_rest({"X-Api-Key": "k1"}, {"x-api-key": ["k1", "k1"]}))
    assert request.header("X-API-KEY") == "k1"


def test_single_map_contradicting_multi_map_is_ambiguous() -> None:
    request = parse_event(_rest({"X-Api-Key": "k9"}, {"X-Api-Key": ["k1"]}))
    with pytest.raises(Unauthorized):
        request.header("x-api-key")


def test_multi_map_alone_is_enough() -> None:
    request = parse_event(_rest(None, {"Authorization": ["Bearer only"]}))
    assert request.authorization() == "Bearer only"


def test_multi_value_query_is_ambiguous() -> None:
    event = _rest(
        queryStringParameters={"api_key": "b"},
        multiValueQueryStringParameters={"api_key": ["a", "b"]},
    )
    request = parse_event(event)
    with pytest.raises(Unauthorized):
        request.query["api_key"]


def test_http_v2_identical_repeats_in_raw_query_are_one_value() -> None:
    event = load("http_v2")
    event["rawQueryString"] = "k=v&k=v"
    event["queryStringParameters"] = {"k": "v,v"}
    assert parse_event(event).query["k"] == "v"


def test_request_does_not_change_when_the_event_dict_does() -> None:
    event = load("rest_request")
    request = parse_event(event)
    event["headers"]["Authorization"] = "Bearer swapped"
    event["multiValueHeaders"]["Authorization"] = ["Bearer swapped"]
    event["pathParameters"]["petId"] = "other"
    assert request.authorization() == "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln"
    with pytest.raises(TypeError):
        request.path_parameters["petId"] = "x"  # type: ignore[index]


def test_repr_shows_no_credentials() -> None:
    event = load("rest_token")
    request = parse_event(event)
    assert event["authorizationToken"] not in repr(request)
    assert "Bearer" not in repr(parse_event(load("rest_request")).headers)


# --- malformed -----------------------------------------------------------------------------

TOKEN_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x"
WS_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect"


def _with(name: str, path: tuple[str, ...], value: Any) -> dict[str, Any]:
    event = copy.deepcopy(load(name))
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


MALFORMED: list[tuple[str, Any]] = [
    ("not a dict", [SECRET]),
    ("string", SECRET),
    ("none", None),
    ("no type", {"methodArn": TOKEN_ARN, "authorizationToken": SECRET}),
    ("unknown type", {"type": SECRET, "methodArn": TOKEN_ARN}),
    ("lowercase type", {"type": "token", "methodArn": TOKEN_ARN, "authorizationToken": SECRET}),
    ("token without ARN", {"type": "TOKEN", "authorizationToken": SECRET}),
    ("token not a string", {"type": "TOKEN", "methodArn": TOKEN_ARN, "authorizationToken": 7}),
    ("token missing", {"type": "TOKEN", "methodArn": TOKEN_ARN}),
    (
        "token with WebSocket ARN",
        {"type": "TOKEN", "methodArn": WS_ARN, "authorizationToken": SECRET},
    ),
    (
        "bad ARN",
        {"type": "TOKEN", "methodArn": f"arn:aws:s3:::{SECRET}", "authorizationToken": "t"},
    ),
    ("unknown version", _with("http_v2", ("version",), "3.0")),
    ("v2 typed TOKEN", _with("http_v2", ("type",), "TOKEN")),
    ("v2 without routeArn", _with("http_v2", ("routeArn",), None)),
    ("v2 WebSocket-shaped routeArn", _with("http_v2", ("routeArn",), WS_ARN)),
    ("v2 identitySource string", _with("http_v2", ("identitySource",), SECRET)),
    ("v2 identitySource non-strings", _with("http_v2", ("identitySource",), [SECRET, 1])),
    ("v2 cookies object", _with("http_v2", ("cookies",), {"a": SECRET})),
    ("v2 http not object", _with("http_v2", ("requestContext", "http"), SECRET)),
    ("v2 method not string", _with("http_v2", ("requestContext", "http", "method"), 1)),
    (
        "v2 cert not object",
        _with("http_v2", ("requestContext", "authentication", "clientCert"), SECRET),
    ),
    ("v2 rawQueryString not string", _with("http_v2", ("rawQueryString",), 5)),
    ("v1 identitySource list", _with("http_v1", ("identitySource",), [SECRET])),
    ("headers list", _with("rest_request", ("headers",), [SECRET])),
    ("header value number", _with("rest_request", ("headers", "Authorization"), 12)),
    ("header value list", _with("rest_request", ("headers", "Authorization"), [SECRET])),
    ("multi header string", _with("rest_request", ("multiValueHeaders", "Authorization"), SECRET)),
    ("multi header numbers", _with("rest_request", ("multiValueHeaders", "Accept"), [1])),
    ("query value null", _with("rest_request", ("queryStringParameters", "tag"), None)),
    ("path parameters list", _with("rest_request", ("pathParameters",), [SECRET])),
    ("stage variable number", _with("rest_request", ("stageVariables", "environment"), 1)),
    ("requestContext string", _with("rest_request", ("requestContext",), SECRET)),
    ("identity string", _with("rest_request", ("requestContext", "identity"), SECRET)),
    ("sourceIp number", _with("rest_request", ("requestContext", "identity", "sourceIp"), 1)),
    (
        "cert subject number",
        _with("rest_request", ("requestContext", "identity", "clientCert", "subjectDN"), 1),
    ),
    (
        "cert validity string",
        _with("rest_request", ("requestContext", "identity", "clientCert", "validity"), SECRET),
    ),
    ("httpMethod number", _with("rest_request", ("httpMethod",), 1)),
    (
        "ws event type MESSAGE",
        _with("websocket_connect", ("requestContext", "eventType"), "MESSAGE"),
    ),
    (
        "ws route not $connect",
        _with("websocket_connect", ("methodArn",), WS_ARN.replace("$connect", "send")),
    ),
    ("CONNECT with REST ARN", _with("websocket_connect", ("methodArn",), TOKEN_ARN)),
    (
        "ws routeKey $disconnect",
        _with("websocket_connect", ("requestContext", "routeKey"), "$disconnect"),
    ),
]


@pytest.mark.parametrize(("why", "event"), MALFORMED, ids=[why for why, _ in MALFORMED])
def test_malformed_events_fail_closed_without_echoing_values(why: str, event: Any) -> None:
    with pytest.raises(MalformedEvent) as caught:
        parse_event(event)
    error = caught.value
    assert error.reason is ReasonCode.MALFORMED_EVENT
    assert error.detail, why
    assert SECRET not in str(error)
