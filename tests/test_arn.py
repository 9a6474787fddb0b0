"""ApiArn: every partition and route shape parses and rebuilds byte-for-byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorizers.arn import MAX_ARN_BYTES, ApiArn
from authorizers.errors import MalformedEvent, ReasonCode

PREFIX = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"{PREFIX}/prod/GET/pets/42",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "prod", "GET", "pets/42"),
        ),
        (
            "arn:aws-cn:execute-api:cn-north-1:123456789012:cn1a2b3c4d/prod/POST/orders",
            ApiArn("aws-cn", "cn-north-1", "123456789012", "cn1a2b3c4d", "prod", "POST", "orders"),
        ),
        (
            "arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:g0v1/live/PUT/a_b/c.d",
            ApiArn("aws-us-gov", "us-gov-west-1", "123456789012", "g0v1", "live", "PUT", "a_b/c.d"),
        ),
        (
            f"{PREFIX}/$default/GET/pets/7",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "$default", "GET", "pets/7"),
        ),
        (
            f"{PREFIX}/production/$connect",
            ApiArn(
                "aws", "us-east-1", "123456789012", "a1b2c3d4e5", "production", None, "$connect"
            ),
        ),
        (
            f"{PREFIX}/prod/POST/{{proxy+}}",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "prod", "POST", "{proxy+}"),
        ),
        (
            f"{PREFIX}/prod/GET/",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "prod", "GET", ""),
        ),
        (
            f"{PREFIX}/*/GET/",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "*", "GET", ""),
        ),
        (
            f"{PREFIX}/prod/GET/files/a%20b%2Fc/report.v2_final",
            ApiArn(
                "aws",
                "us-east-1",
                "123456789012",
                "a1b2c3d4e5",
                "prod",
                "GET",
                "files/a%20b%2Fc/report.v2_final",
            ),
        ),
        (
            f"{PREFIX}/prod/GET/a//b/",
            ApiArn("aws", "us-east-1", "123456789012", "a1b2c3d4e5", "prod", "GET", "a//b/"),
        ),
    ],
)
def test_parses_and_rebuilds_exactly(text: str, expected: ApiArn) -> None:
    parsed = ApiArn.parse(text)
    assert parsed == expected
    assert str(parsed) == text


def test_root_resource_path_and_prefix() -> None:
    arn = ApiArn.parse(f"{PREFIX}/prod/GET/")
    assert arn.path == "/"
    assert arn.api_prefix == f"{PREFIX}/prod"
    assert arn.all_routes() == f"{PREFIX}/prod/*"


def test_route_keeps_partition_region_account_and_stage() -> None:
    gov = ApiArn.parse("arn:aws-us-gov:execute-api:us-gov-east-1:123456789012:abc/v1/GET/x")
    other = gov.route("DELETE", "/items/{id}")
    assert (
        str(other)
        == "arn:aws-us-gov:execute-api:us-gov-east-1:123456789012:abc/v1/DELETE/items/{id}"
    )
    assert str(gov.route(None, "$connect")).endswith("abc/v1/$connect")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:execute-api:us-east-1:123456789012",
        "arn:aws:execute-api:us-east-1:123456789012:abc",
        "arn:aws:execute-api:us-east-1:123456789012:abc/prod",
        "arn:aws:execute-api:us-east-1:123456789012:abc/prod/",
        "arn:aws:execute-api:us-east-1:123456789012:abc/prod//pets",
        "arn:aws:execute-api:us-east-1:123456789012:abc//GET/pets",
        "arn:aws:execute-api:us-east-1:12345678901:abc/prod/GET/",
        "arn:aws:execute-api:US-EAST-1:123456789012:abc/prod/GET/",
        "arn:azure:execute-api:us-east-1:123456789012:abc/prod/GET/",
        "arn:aws:execute-api:us-east-1:123456789012:ab.c/prod/GET/",
        "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/a\nb",
        "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/a\x00b",
        " arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/",
    ],
)
def test_rejects_what_api_gateway_never_sends(text: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        ApiArn.parse(text)
    assert caught.value.reason is ReasonCode.MALFORMED_EVENT


@pytest.mark.parametrize("value", [None, 42, b"arn:aws:execute-api", ["x"]])
def test_rejects_non_strings(value: object) -> None:
    with pytest.raises(MalformedEvent):
        ApiArn.parse(value)  # type: ignore[arg-type]


def test_length_limit_counts_bytes() -> None:
    head = f"{PREFIX}/prod/GET/"
    fits = head + "a" * (MAX_ARN_BYTES - len(head))
    assert str(ApiArn.parse(fits)) == fits
    with pytest.raises(MalformedEvent):
        ApiArn.parse(fits + "a")
    # Same character count, but multi-byte characters push it over 1600 bytes.
    with pytest.raises(MalformedEvent):
        ApiArn.parse(head + "é" * (MAX_ARN_BYTES - len(head)))


def test_error_detail_never_echoes_the_arn() -> None:
    secret = "s3cr3t-looking-path-value"
    with pytest.raises(MalformedEvent) as caught:
        ApiArn.parse(f"arn:aws:execute-api:us-east-1:123:abc/prod/GET/{secret}")
    assert secret not in str(caught.value)
    assert secret not in caught.value.detail


# --- property-based round trip --------------------------------------------------------------

_partitions = st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws-iso-b"])
_regions = st.sampled_from(
    ["us-east-1", "eu-central-2", "cn-northwest-1", "us-gov-west-1", "ap-southeast-4", "*"]
)
_accounts = st.one_of(st.from_regex(r"\d{12}", fullmatch=True), st.just("*"))
_api_ids = st.one_of(st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True), st.just("*"))
_stages = st.one_of(
    st.sampled_from(["$default", "*", "prod", "dev_2", "v1.2"]),
    st.from_regex(r"[A-Za-z0-9_$.-]{1,20}", fullmatch=True),
)
_verbs = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"])
_segment = st.one_of(
    st.sampled_from(["{proxy+}", "{id}", "$connect", "a_b", "v1.2", "%20", "%2F", "~x", ""]),
    st.from_regex(r"[A-Za-z0-9._~%{}+$-]{1,12}", fullmatch=True),
)
_resources = st.lists(_segment, max_size=6).map("/".join)


@given(_partitions, _regions, _accounts, _api_ids, _stages, _verbs, _resources)
def test_round_trip_rest_and_http(
    partition: str, region: str, account: str, api_id: str, stage: str, verb: str, resource: str
) -> None:
    text = f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{verb}/{resource}"
    arn = ApiArn.parse(text)
    assert str(arn) == text
    assert (arn.partition, arn.region, arn.account_id, arn.api_id, arn.stage) == (
        partition,
        region,
        account,
        api_id,
        stage,
    )
    assert (arn.verb, arn.resource) == (verb, resource)
    assert ApiArn.parse(str(arn.route(arn.verb, arn.path))) == arn


@given(_partitions, _regions, _accounts, _api_ids, _stages, _segment.filter(bool))
def test_round_trip_websocket(
    partition: str, region: str, account: str, api_id: str, stage: str, route_key: str
) -> None:
    text = f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/{route_key}"
    arn = ApiArn.parse(text)
    assert arn.verb is None
    assert arn.resource == route_key
    assert str(arn) == text


@given(st.text(max_size=200))
def test_arbitrary_text_is_parsed_or_rejected_as_malformed(text: str) -> None:
    try:
        arn = ApiArn.parse(text)
    except MalformedEvent:
        return
    assert str(arn) == text
