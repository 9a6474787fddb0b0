"""HMAC request signatures: sign_request and HmacSignatureValidator agree, tampering fails."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import reason_of, unreachable_aws
from hypothesis import given
from hypothesis import strategies as st

from authorizers.arn import ApiArn
from authorizers.clock import FakeClock
from authorizers.errors import (
    ConfigurationError,
    InfrastructureError,
    MalformedEvent,
    ReasonCode,
    Unauthorized,
)
from authorizers.event_parsing import parse_event
from authorizers.keystores.aws import AwsClientSettings
from authorizers.keystores.hmac import HmacKey, SecretsManagerHmacSecrets
from authorizers.request import AuthRequest
from authorizers.testing.events import (
    API_ID,
    http_v2_event,
    request_event,
    token_event,
    websocket_connect_event,
)
from authorizers.validators.hmac_signature import (
    HmacSignatureValidator,
    SignatureScheme,
    sign_request,
)

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
SECRET = "hmac-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
NEW_SECRET = "hmac-secret-rotated-8796a5b4c3d2e1f00f1e2d3c4b5a6978"
SCHEME = SignatureScheme(  # version 1 (explicit): still verifiable when configured
    signed_headers=("Content-Type", "x-tenant"), signed_query=("limit",), version=1
)
EVENTS = Path(__file__).parents[1] / "events"


def request(
    method: str = "GET",
    path: str = "/pets",
    *,
    headers: Mapping[str, str | tuple[str, ...]] | None = None,
    query: Mapping[str, str | tuple[str, ...]] | None = None,
) -> AuthRequest:
    return parse_event(request_event(f"{method} {path}", headers=headers, query=query))


def signed(
    method: str = "GET",
    path: str = "/pets",
    *,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str | tuple[str, ...]] | None = None,
    key_id: str = "client-a-1",
    secret: str = SECRET,
    timestamp: int = NOW,
) -> dict[str, str]:
    return sign_request(
        secret,
        key_id,
        method,
        path,
        headers=headers,
        query={k: list(v) if isinstance(v, tuple) else v for k, v in (query or {}).items()},
        scheme=SCHEME,
        timestamp=timestamp,
    )


@pytest.fixture(autouse=True)
def _secrets_are_secret(register_secret: Callable[..., object]) -> None:
    register_secret(SECRET, "HMAC secret")
    register_secret(NEW_SECRET, "HMAC secret")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def validator(clock: FakeClock) -> HmacSignatureValidator:
    return HmacSignatureValidator(
        {
            "client-a-1": {"secret": SECRET, "principal": "client-a"},
            "client-a-2": {"secret": NEW_SECRET, "principal": "client-a"},
            "solo": SECRET,
        },
        scheme=SCHEME,
        max_skew=300,
        clock=clock,
    )


BASE_HEADERS = {"content-type": "application/json", "X-Tenant": "acme"}


def test_the_documented_v1_canonical_string_example_is_exact() -> None:
    scheme = SignatureScheme(signed_headers=("content-type",), signed_query=("limit",), version=1)
    canonical = scheme.canonical_string(
        key_id="client-a-2026-11",
        timestamp=1767225600,
        method="get",
        path="/pets",
        headers={"Content-Type": "application/json", "x-other": "unsigned"},
        query={"limit": "10", "offset": "5"},
    )
    assert canonical == (
        "AUTHORIZERS-HMAC-SHA256\nclient-a-2026-11\n1767225600\nGET\n/pets\n"
        "limit=10\ncontent-type:application%2Fjson"
    )
    doc = (Path(__file__).parents[2] / "docs" / "api-keys-and-request-rules.md").read_text()
    assert canonical in doc


def test_a_signed_request_verifies_with_principal_and_key_id(
    validator: HmacSignatureValidator,
) -> None:
    headers = BASE_HEADERS | signed(headers=BASE_HEADERS, query={"limit": "10"})
    identity = validator.validate(request(headers=headers, query={"limit": "10", "x": "free"}))
    assert (identity.principal_id, identity.validator) == ("client-a", "hmac_signature")
    assert dict(identity.claims) == {"key_id": "client-a-1"}
    solo = BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="solo")
    assert validator.validate(request(headers=solo)).principal_id == "solo"


def test_rotation_selects_the_secret_by_key_id(validator: HmacSignatureValidator) -> None:
    new = BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="client-a-2", secret=NEW_SECRET)
    assert validator.validate(request(headers=new)).principal_id == "client-a"
    mixed = BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="client-a-2", secret=SECRET)
    assert reason_of(validator, request(headers=mixed)) is ReasonCode.BAD_REQUEST_SIGNATURE


@pytest.mark.parametrize(
    "tamper",
    [
        {"method": "DELETE"},
        {"path": "/pets/1"},
        {"headers": BASE_HEADERS | {"x-tenant": "globex"}},
        {"headers": {"content-type": "application/json"}},  # signed header dropped
        {"query": {"limit": "1000"}},
        {"query": {"limit": ("10", "11")}},
        {"query": {}},
        {"x-signature-key-id": "solo"},
        {"x-signature-timestamp": str(NOW - 1)},
    ],
)
def test_any_change_to_a_signed_part_breaks_the_signature(
    validator: HmacSignatureValidator, tamper: dict[str, Any]
) -> None:
    headers = dict(BASE_HEADERS) | signed(headers=BASE_HEADERS, query={"limit": "10"})
    parts: dict[str, Any] = {"method": "GET", "path": "/pets", "query": {"limit": "10"}}
    for name in ("x-signature-key-id", "x-signature-timestamp"):
        if name in tamper:
            headers[name] = tamper.pop(name)
    parts |= tamper
    if "headers" in tamper:
        headers = {k: v for k, v in headers.items() if k.startswith("x-signature")}
        headers |= tamper["headers"]
    req = request(parts["method"], parts["path"], headers=headers, query=parts["query"])
    assert reason_of(validator, req) is ReasonCode.BAD_REQUEST_SIGNATURE


def test_unsigned_parts_may_change_and_signature_hex_case_does_not_matter(
    validator: HmacSignatureValidator,
) -> None:
    headers = BASE_HEADERS | signed(headers=BASE_HEADERS)
    headers["x-signature"] = headers["x-signature"].upper()
    headers["x-unsigned"] = "anything"
    assert validator.validate(request(headers=headers, query={"page": "2"}))


def test_timestamp_skew_boundaries(validator: HmacSignatureValidator, clock: FakeClock) -> None:
    for stamp in (NOW - 300, NOW + 300):
        assert validator.validate(
            request(headers=BASE_HEADERS | signed(headers=BASE_HEADERS, timestamp=stamp))
        )
    for stamp in (NOW - 301, NOW + 301):
        req = request(headers=BASE_HEADERS | signed(headers=BASE_HEADERS, timestamp=stamp))
        assert reason_of(validator, req) is ReasonCode.STALE_REQUEST_SIGNATURE
    req = request(headers=BASE_HEADERS | signed(headers=BASE_HEADERS))
    clock.advance(301)
    assert reason_of(validator, req) is ReasonCode.STALE_REQUEST_SIGNATURE


def test_missing_malformed_and_unknown(validator: HmacSignatureValidator) -> None:
    good = BASE_HEADERS | signed(headers=BASE_HEADERS)
    for name in ("x-signature-key-id", "x-signature-timestamp", "x-signature"):
        partial = {k: v for k, v in good.items() if k != name}
        assert reason_of(validator, request(headers=partial)) is ReasonCode.MISSING_CREDENTIAL
    for name, value in (
        ("x-signature-key-id", "bad id with spaces"),
        ("x-signature-timestamp", "-1767225600"),
        ("x-signature-timestamp", "1.5e9"),
        ("x-signature", good["x-signature"][:-1]),
        ("x-signature", "z" * 64),
    ):
        assert reason_of(validator, request(headers=good | {name: value})) is (
            ReasonCode.BAD_REQUEST_SIGNATURE
        )
    unknown = BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="nobody")
    assert reason_of(validator, request(headers=unknown)) is ReasonCode.UNKNOWN_KEY


def test_multi_value_query_from_a_real_rest_event(clock: FakeClock) -> None:
    event = json.loads((EVENTS / "rest_request.json").read_text())
    scheme = SignatureScheme(signed_headers=("accept",), signed_query=("tag", "fields"), version=1)
    path = "/" + ApiArn.parse(event["methodArn"]).resource
    headers = sign_request(
        SECRET,
        "k1",
        "GET",
        path,
        headers={"Accept": "*/*"},
        query={"tag": ["dog", "cat"], "fields": "name,age"},
        scheme=scheme,
        timestamp=NOW,
    )
    event["headers"] |= headers
    event["multiValueHeaders"] |= {k: [v] for k, v in headers.items()}
    validator = HmacSignatureValidator({"k1": SECRET}, scheme=scheme, clock=clock)
    assert validator.validate(parse_event(event)).principal_id == "k1"


def test_http_api_v2_repeated_query_parameters_verify_under_v1(clock: FakeClock) -> None:
    scheme = SignatureScheme(signed_query=("tag",), version=1)
    query = {"tag": ["dog", "cat"]}
    headers = sign_request(SECRET, "k1", "GET", "/pets", query=query, scheme=scheme, timestamp=NOW)
    event = http_v2_event("GET /pets", headers=headers, query=query)
    assert event["queryStringParameters"]["tag"] in ("dog,cat", "cat,dog")  # joined by 2.0
    validator = HmacSignatureValidator({"k1": SECRET}, scheme=scheme, clock=clock)
    assert validator.validate(parse_event(event)).principal_id == "k1"


def test_websocket_connect_signs_get_and_the_route_key(clock: FakeClock) -> None:
    arn = ApiArn.parse(websocket_connect_event()["methodArn"])
    where = {"api_id": arn.api_id, "stage": arn.stage}
    headers = sign_request(SECRET, "k1", "GET", "/$connect", timestamp=NOW, **where)
    validator = HmacSignatureValidator({"k1": SECRET}, clock=clock)
    assert validator.validate(parse_event(websocket_connect_event(headers=headers)))


def test_token_events_get_a_clear_error(validator: HmacSignatureValidator) -> None:
    with pytest.raises(MalformedEvent, match="REQUEST authorizer"):
        validator.validate(parse_event(token_event("GET /pets", "x")))


def test_secret_hygiene_and_configuration_checks(
    validator: HmacSignatureValidator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = HmacKey.parse({"secret": SECRET, "principal": "p"})
    assert SECRET not in repr(key) and "p" in repr(key)
    headers = BASE_HEADERS | signed(headers=BASE_HEADERS)
    bad = headers | {"x-signature": "0" * 64}
    with pytest.raises(Unauthorized) as caught:
        validator.validate(request(headers=bad))
    assert headers["x-signature"] not in str(caught.value) and SECRET not in str(caught.value)
    assert SECRET not in caplog.text and headers["x-signature"] not in caplog.text
    for build in (
        lambda: HmacKey.parse("too-short"),
        lambda: HmacSignatureValidator({}),
        lambda: HmacSignatureValidator({"bad id": SECRET}),
        lambda: HmacSignatureValidator({"k": SECRET}, max_skew=0),
        lambda: HmacSignatureValidator({"k": SECRET}, scheme=SCHEME, signed_headers=["a"]),
        lambda: SignatureScheme(signed_headers=("x-signature",)),
        lambda: SignatureScheme(timestamp_header="x-signature"),
    ):
        with pytest.raises(ConfigurationError):
            build()
    surrogates = "x" * 40 + "\udcff"  # JSON can carry it; UTF-8 cannot encode it
    with pytest.raises(ConfigurationError) as refused:
        HmacKey.parse({"secret": surrogates})
    assert "\udcff" not in str(refused.value)


header_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x2FFF, exclude_categories=("Cs",)),
    min_size=1,
    max_size=20,
)
query_values = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@given(
    header_values,
    st.lists(query_values, min_size=1, max_size=4, unique=True),
    st.sampled_from(["GET", "POST", "DELETE"]),
    st.from_regex(r"/[A-Za-z0-9._~-]{0,12}(/[A-Za-z0-9._~-]{1,8}){0,3}", fullmatch=True),
)
def test_round_trip_for_any_values(tenant: str, limits: list[str], method: str, path: str) -> None:
    clock = FakeClock(NOW)
    validator = HmacSignatureValidator({"k": SECRET}, scheme=SCHEME, clock=clock)
    headers = {"x-tenant": tenant}
    query = {"limit": tuple(limits)}
    req = request(
        method,
        path,
        headers=headers | signed(method, path, headers=headers, query=query, key_id="k"),
        query=query,
    )
    assert validator.validate(req).principal_id == "k"


# --- secrets from Secrets Manager (moto) -----------------------------------------------------


def test_secrets_manager_secrets_with_rotation_and_a_bad_entry(moto_reset: Any) -> None:
    client = moto_reset.client("secretsmanager")
    client.create_secret(
        Name="hmac-keys",
        SecretString=json.dumps(
            {
                "client-a-1": {"secret": SECRET, "principal": "client-a"},
                "client-a-2": {"secret": NEW_SECRET, "principal": "client-a"},
                "short": "too-short",
            }
        ),
    )
    monotonic = FakeClock(0.0)
    source = SecretsManagerHmacSecrets(
        "hmac-keys",
        settings=AwsClientSettings(endpoint_url=moto_reset.endpoint_url, region_name="us-east-1"),
        monotonic=monotonic,
    )
    validator = HmacSignatureValidator(source, scheme=SCHEME, clock=FakeClock(NOW))
    for key_id, secret in (("client-a-1", SECRET), ("client-a-2", NEW_SECRET)):
        req = request(
            headers=BASE_HEADERS | signed(headers=BASE_HEADERS, key_id=key_id, secret=secret)
        )
        assert validator.validate(req).principal_id == "client-a"
    short = request(
        headers=BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="short", secret=SECRET)
    )
    with pytest.raises(InfrastructureError) as caught:
        validator.validate(short)
    assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    # rotation finished: the old key id is removed and disappears after the snapshot TTL
    client.put_secret_value(
        SecretId="hmac-keys", SecretString=json.dumps({"client-a-2": NEW_SECRET})
    )
    old = request(headers=BASE_HEADERS | signed(headers=BASE_HEADERS, key_id="client-a-1"))
    assert validator.validate(old)
    monotonic.advance(300)
    assert reason_of(validator, old) is ReasonCode.UNKNOWN_KEY


def test_secrets_manager_down_fails_closed_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    source = SecretsManagerHmacSecrets("hmac-keys", settings=unreachable_aws(monkeypatch))
    validator = HmacSignatureValidator(source, clock=FakeClock(NOW))
    started = time.monotonic()
    with pytest.raises(InfrastructureError) as caught:
        validator.validate(
            request(
                headers=sign_request(
                    SECRET, "k", "GET", "/pets", timestamp=NOW, api_id=API_ID, stage="prod"
                )
            )
        )
    assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert time.monotonic() - started < 5
