"""Event factories: realistic shapes that round-trip through parse_event."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorizers.credentials import request_bearer_token
from authorizers.errors import MalformedEvent, ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.request import ClientCert, RequestKind
from authorizers.testing import events
from authorizers.testing.events import (
    client_certificate,
    http_v1_event,
    http_v2_event,
    request_event,
    token_event,
    websocket_connect_event,
)

FIXTURES = Path(__file__).parents[1] / "events"
PREFIX = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
BEARER = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"


def fixture_keys(name: str) -> set[str]:
    return set(json.loads((FIXTURES / f"{name}.json").read_text()))


ALL_FACTORIES: list[tuple[str, Any, RequestKind]] = [
    ("rest_token", lambda: token_event("GET /pets/1", BEARER), RequestKind.REST_TOKEN),
    ("rest_request", lambda: request_event("GET /pets/1"), RequestKind.REST_REQUEST),
    ("http_v1", lambda: http_v1_event("GET /pets/1"), RequestKind.HTTP_V1),
    (
        "http_v2",
        lambda: http_v2_event(
            "GET /pets/{id}",
            path_parameters={"id": "1"},
            headers={"Authorization": BEARER},
            query={"a": "1"},
            cookies=["c=1"],
            stage_variables={"s": "1"},
        ),
        RequestKind.HTTP_V2,
    ),
    ("websocket_connect", websocket_connect_event, RequestKind.WEBSOCKET),
]


@pytest.mark.parametrize(("fixture", "factory", "kind"), ALL_FACTORIES)
def test_defaults_round_trip_and_look_like_captured_events(
    fixture: str, factory: Any, kind: RequestKind
) -> None:
    event = factory()
    assert json.loads(json.dumps(event)) == event  # what Lambda delivers is JSON
    request = parse_event(event)
    assert request.kind is kind
    assert str(request.arn) == event.get("methodArn", event.get("routeArn"))
    assert set(event) == fixture_keys(fixture)  # the fields of the hand-captured fixture


def test_token_event() -> None:
    event = token_event("GET /pets/1", BEARER)
    assert event == {
        "type": "TOKEN",
        "authorizationToken": BEARER,
        "methodArn": f"{PREFIX}/prod/GET/pets/1",
    }
    assert request_bearer_token(parse_event(event)) == BEARER.split()[1]


def test_root_route_has_trailing_slash() -> None:
    assert token_event("DELETE /", "t")["methodArn"] == f"{PREFIX}/prod/DELETE/"
    assert parse_event(request_event("GET /")).arn.resource == ""


@pytest.mark.parametrize(
    ("overrides", "arn"),
    [
        (
            {"partition": "aws-cn", "region": "cn-north-1"},
            "arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3d4e5/prod/GET/x",
        ),
        (
            {"partition": "aws-us-gov", "region": "us-gov-west-1", "account_id": "210987654321"},
            "arn:aws-us-gov:execute-api:us-gov-west-1:210987654321:a1b2c3d4e5/prod/GET/x",
        ),
        ({"api_id": "zz99", "stage": "v_2"}, f"{PREFIX[: -len('a1b2c3d4e5')]}zz99/v_2/GET/x"),
    ],
)
def test_location_overrides(overrides: dict[str, str], arn: str) -> None:
    assert token_event("GET /x", "t", **overrides)["methodArn"] == arn
    request = parse_event(request_event("GET /x", **overrides))
    assert str(request.arn) == arn
    assert request.header("host") == (
        f"{request.arn.api_id}.execute-api.{request.arn.region}.amazonaws.com"
        + (".cn" if request.arn.partition == "aws-cn" else "")
    )


def test_top_level_field_overrides_build_broken_events() -> None:
    with pytest.raises(MalformedEvent):
        parse_event(token_event("GET /x", "t", methodArn=None))
    assert token_event("GET /x", "t", type="REQUEST")["type"] == "REQUEST"
    with pytest.raises(TypeError, match="acount_id"):
        token_event("GET /x", "t", acount_id="1")


@pytest.mark.parametrize("route", ["GET", "/pets", "GET pets", "GET /pets?x=1", "GET /a b"])
def test_bad_routes_are_refused(route: str) -> None:
    with pytest.raises(ValueError, match="route must look like"):
        token_event(route, "t")


def test_request_event_fields() -> None:
    event = request_event(
        "GET /pets/{petId}",
        path_parameters={"petId": "a1b2"},
        headers={"Authorization": BEARER, "host": "api.example.com", "User-Agent": None},
        query={"tag": ["cat", "dog"], "fields": "name"},
        stage_variables={"env": "test"},
        source_ip="198.51.100.9",
        client_cert=client_certificate(subject_dn="CN=svc"),
    )
    assert event["methodArn"] == f"{PREFIX}/prod/GET/pets/a1b2"
    assert (event["resource"], event["path"]) == ("/pets/{petId}", "/pets/a1b2")
    assert event["requestContext"]["path"] == "/prod/pets/a1b2"
    assert event["queryStringParameters"]["tag"] == "dog"
    assert event["multiValueQueryStringParameters"]["tag"] == ["cat", "dog"]
    request = parse_event(event)
    assert request.authorization() == BEARER
    assert request.header("Host") == "api.example.com"  # replaced in any case, not duplicated
    assert request.header("user-agent") is None  # None drops a default header
    assert request.header("x-forwarded-proto") == "https"
    assert request.query["fields"] == "name"
    with pytest.raises(Unauthorized) as caught:
        request.query["tag"]
    assert caught.value.reason is ReasonCode.AMBIGUOUS_CREDENTIAL
    assert dict(request.path_parameters) == {"petId": "a1b2"}
    assert dict(request.stage_variables) == {"env": "test"}
    assert request.source_ip == "198.51.100.9"
    assert request.client_cert is not None and request.client_cert.subject_dn == "CN=svc"
    assert request.resource == "/pets/{petId}"


def test_repeated_header_is_ambiguous_after_parsing() -> None:
    request = parse_event(request_event("GET /x", headers={"X-Api-Key": ["k1", "k2"]}))
    with pytest.raises(Unauthorized):
        request.header("x-api-key")


def test_path_parameters_read_from_a_concrete_path() -> None:
    event = request_event("GET /files/a/b.txt", resource="/files/{proxy+}")
    assert event["pathParameters"] == {"proxy": "a/b.txt"}
    assert event["methodArn"] == f"{PREFIX}/prod/GET/files/a/b.txt"
    assert request_event("GET /u/7/o/9", resource="/u/{user_id}/o/{order.id}")[
        "pathParameters"
    ] == {"user_id": "7", "order.id": "9"}


def test_template_routes_need_their_parameters() -> None:
    with pytest.raises(ValueError, match="lacks 'id'"):
        request_event("GET /pets/{id}")
    with pytest.raises(ValueError, match="does not match"):
        request_event("GET /cats/1", resource="/pets/{id}")


def test_http_v1_identity_source_and_stage() -> None:
    event = http_v1_event(
        "GET /pets/1",
        headers={"X-Api-Key": "k"},
        query={"tenant": "acme"},
        identity_sources=["$request.header.x-api-key", "$request.querystring.tenant"],
        stage="live",
    )
    assert event["identitySource"] == event["authorizationToken"] == "k,acme"
    assert event["path"] == "/live/pets/1"
    assert event["methodArn"] == f"{PREFIX}/live/GET/pets/1"
    request = parse_event(event)
    assert request.identity_source == ("k", "acme")
    assert request.path == "/live/pets/1"
    assert (request.arn.stage, request.arn.resource) == ("live", "pets/1")


def test_http_v1_default_identity_source_is_the_authorization_header() -> None:
    assert http_v1_event("GET /x", headers={"authorization": BEARER})["identitySource"] == BEARER
    assert http_v1_event("GET /x")["identitySource"] is None
    cert = parse_event(http_v1_event("GET /x", client_cert=client_certificate())).client_cert
    assert (
        isinstance(cert, ClientCert)
        and cert.issuer_dn == "CN=Example Private CA,O=Example Corp,C=US"
    )


def test_missing_identity_source_is_refused_like_api_gateway() -> None:
    with pytest.raises(ValueError, match="answers 401"):
        http_v2_event("GET /x", identity_sources=["$request.header.Authorization"])
    for unknown in ("body.token", "header.Authorization"):  # not API Gateway expressions
        with pytest.raises(ValueError, match="unknown identity source"):
            http_v2_event("GET /x", identity_sources=[unknown], headers={"Authorization": "t"})


def test_http_v2_route_key_and_path() -> None:
    event = http_v2_event(
        "GET /pets/{id}", path_parameters={"id": "7"}, headers={"Authorization": BEARER}
    )
    assert event["routeKey"] == "GET /pets/{id}"
    assert event["routeArn"] == f"{PREFIX}/$default/GET/pets/7"
    assert event["rawPath"] == "/pets/7"
    assert event["identitySource"] == [BEARER]
    request = parse_event(event)
    assert (request.route_key, request.resource, request.path) == (
        "GET /pets/{id}",
        "/pets/{id}",
        "/pets/7",
    )
    assert dict(request.path_parameters) == {"id": "7"}
    assert request.authorization() == BEARER

    concrete = http_v2_event("POST /pets/7/toys", route_key="ANY /pets/{id}/{rest+}")
    assert concrete["pathParameters"] == {"id": "7", "rest": "toys"}
    assert concrete["routeArn"].endswith("/POST/pets/7/toys")

    default = http_v2_event("GET /anything/here", route_key="$default", stage="beta")
    assert (default["routeKey"], default["rawPath"]) == ("$default", "/beta/anything/here")
    assert "pathParameters" not in default
    assert parse_event(default).resource is None


def test_http_v2_headers_query_cookies_and_context() -> None:
    event = http_v2_event(
        "GET /search",
        headers={"X-Trace": "a", "x-trace": "b", "Authorization": BEARER},
        query={"q": "a b&c", "tag": ["cat", "dog"]},
        cookies=["session=abc"],
        stage_variables={"env": "prod"},
        identity_sources=[
            "$request.header.Authorization",
            "$context.routeKey",
            "$stageVariables.env",
        ],
        source_ip="2001:db8::2",
        client_cert=client_certificate(serial_number="01"),
    )
    assert event["headers"]["x-trace"] == "a,b"
    assert all(name == name.lower() for name in event["headers"])
    assert event["queryStringParameters"] == {"q": "a b&c", "tag": "cat,dog"}
    assert event["rawQueryString"] == "q=a%20b%26c&tag=cat&tag=dog"
    assert event["identitySource"] == [BEARER, "GET /search", "prod"]
    request = parse_event(event)
    assert request.query["q"] == "a b&c"
    assert request.query.get_all("tag") == ("cat", "dog")
    assert request.cookies == ("session=abc",)
    assert request.source_ip == "2001:db8::2"
    assert request.client_cert is not None and request.client_cert.serial_number == "01"
    assert request.method == "GET"


def test_websocket_connect_event() -> None:
    event = websocket_connect_event(
        headers={"Authorization": BEARER}, query={"token": "abc"}, stage="production"
    )
    assert event["methodArn"] == f"{PREFIX}/production/$connect"
    assert "pathParameters" not in event
    assert event["requestContext"]["eventType"] == "CONNECT"
    request = parse_event(event)
    assert request.kind is RequestKind.WEBSOCKET
    assert request.authorization() == BEARER
    assert request.query["token"] == "abc"
    assert request.header("Sec-WebSocket-Version") == "13"
    assert request.source_ip == events.SOURCE_IP


def test_request_time_text_matches_epoch() -> None:
    context = request_event("GET /")["requestContext"]
    written = datetime.strptime(context["requestTime"], "%d/%b/%Y:%H:%M:%S %z")
    assert written == datetime.fromtimestamp(events.REQUEST_TIME, UTC)
    assert context["requestTimeEpoch"] == events.REQUEST_TIME * 1000


def test_module_imports_only_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import authorizers.testing.events\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(
        [
            "authorizers",
            "authorizers._lazy",  # the package's lazy re-exports (stdlib only)
            "authorizers.testing",
            "authorizers.testing._identity_sources",
            "authorizers.testing._routes",
            "authorizers.testing.events",
        ]
    )


_names = st.from_regex(r"X-[A-Za-z0-9-]{1,10}", fullmatch=True)
_values = st.from_regex(r"[A-Za-z0-9._~+/=-]{1,20}", fullmatch=True)
# Header names are case-insensitive: two spellings of one name would be one ambiguous header.
_headers = st.dictionaries(_names, _values, max_size=4).filter(
    lambda found: len({name.lower() for name in found}) == len(found)
)
_segments = st.lists(st.from_regex(r"[A-Za-z0-9._~-]{1,8}", fullmatch=True), max_size=4)


@given(
    factory=st.sampled_from([request_event, http_v1_event, http_v2_event]),
    verb=st.sampled_from(["GET", "POST", "DELETE"]),
    segments=_segments,
    headers=_headers,
    query=st.dictionaries(_names, _values, max_size=4),
    stage=st.sampled_from(["prod", "$default", "v_1"]),
)
def test_factories_round_trip_arbitrary_requests(
    factory: Any,
    verb: str,
    segments: list[str],
    headers: dict[str, str],
    query: dict[str, str],
    stage: str,
) -> None:
    path = "/" + "/".join(segments)
    event = factory(f"{verb} {path}", headers=headers, query=query, stage=stage)
    request = parse_event(event)
    assert (request.arn.verb, request.arn.path, request.arn.stage) == (verb, path, stage)
    assert request.method == verb
    for name, value in headers.items():
        assert request.header(name.upper()) == value
    assert {name: request.query[name] for name in query} == query


@given(
    headers=_headers,
    query=st.dictionaries(_names, _values, max_size=3),
)
def test_websocket_factory_round_trips_arbitrary_requests(
    headers: dict[str, str], query: dict[str, str]
) -> None:
    request = parse_event(websocket_connect_event(headers=headers, query=query))
    assert all(request.header(name.lower()) == value for name, value in headers.items())
    assert {name: request.query[name] for name in query} == query
