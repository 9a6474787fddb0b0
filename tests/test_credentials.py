"""bearer_token / request_bearer_token: RFC 6750 parsing, strict and fail-closed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from authorizers.credentials import _B64TOKEN, bearer_jws, bearer_token, request_bearer_token
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.validators._jws import _COMPACT_JWS, parse_compact

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLXZhbHVl"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x"


@pytest.mark.parametrize(
    ("value", "token"),
    [
        (f"Bearer {JWT}", JWT),
        (f"bearer {JWT}", JWT),
        (f"BEARER {JWT}", JWT),
        (f"bEaReR {JWT}", JWT),
        (f"Bearer   {JWT}", JWT),  # 1*SP
        (f"  Bearer {JWT}\t", JWT),  # surrounding optional whitespace is not part of the value
        ("Bearer mF_9.B5f-4.1JqM", "mF_9.B5f-4.1JqM"),  # the RFC 6750 example
        ("Bearer abc+/~==", "abc+/~=="),
        (JWT, JWT),  # bare, allowed by default
    ],
)
def test_accepts(value: str, token: str) -> None:
    assert bearer_token(value) == token


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_absent_is_missing_credential(value: str | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        bearer_token(value)
    assert caught.value.reason is ReasonCode.MISSING_CREDENTIAL


@pytest.mark.parametrize(
    "value",
    [
        "Basic dXNlcjpwYXNzd29yZA==",
        "Token abc",
        "Bearer",
        "Bearer ",
        f"Bearer {JWT} {JWT}",
        f"Bearer {JWT},{JWT}",  # comma-joined duplicate headers (HTTP API payload 2.0)
        f"Bearer\t{JWT}",
        f"Bearer {JWT}\nX-Injected: 1",
        "Bearer ==abc",
        "Bearer abc=def",
        "Bearer tökén",
        "Bearer a\x00b",
        f"BearerX {JWT}",
        f"{JWT} extra",
        f'Bearer realm="x", {JWT}',
    ],
)
def test_malformed(value: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        bearer_token(value)
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN
    assert JWT not in str(caught.value)


def test_bare_token_rejected_when_not_allowed() -> None:
    with pytest.raises(Unauthorized) as caught:
        bearer_token(JWT, allow_bare=False)
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN
    assert bearer_token(f"Bearer {JWT}", allow_bare=False) == JWT


def test_non_string_is_malformed() -> None:
    with pytest.raises(Unauthorized) as caught:
        bearer_token(b"Bearer abc")  # type: ignore[arg-type]
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN


def test_request_bearer_token_from_token_event() -> None:
    request = parse_event(
        {"type": "TOKEN", "methodArn": ARN, "authorizationToken": f"Bearer {JWT}"}
    )
    assert request_bearer_token(request) == JWT


def test_request_bearer_token_from_header() -> None:
    event = {"type": "REQUEST", "methodArn": ARN, "headers": {"authorization": f"bearer {JWT}"}}
    assert request_bearer_token(parse_event(event), allow_bare=False) == JWT


def test_request_bearer_token_missing_header() -> None:
    event = {"type": "REQUEST", "methodArn": ARN, "headers": {"x-other": "1"}}
    with pytest.raises(Unauthorized) as caught:
        request_bearer_token(parse_event(event))
    assert caught.value.reason is ReasonCode.MISSING_CREDENTIAL


def test_request_bearer_token_conflicting_headers_are_ambiguous() -> None:
    event = {
        "type": "REQUEST",
        "methodArn": ARN,
        "headers": {"Authorization": f"Bearer {JWT}", "authorization": "Bearer other"},
    }
    with pytest.raises(Unauthorized) as caught:
        request_bearer_token(parse_event(event))
    assert caught.value.reason is ReasonCode.AMBIGUOUS_CREDENTIAL


_b64token = st.from_regex(r"[A-Za-z0-9\-._~+/]+=*", fullmatch=True)


@given(st.sampled_from(["Bearer", "bearer", "BEARER"]), st.integers(1, 3), _b64token)
def test_every_b64token_round_trips(scheme: str, spaces: int, token: str) -> None:
    assert bearer_token(f"{scheme}{' ' * spaces}{token}") == token
    assert bearer_token(token) == token


@given(st.text(max_size=60))
def test_result_is_always_one_b64token_or_unauthorized(value: str) -> None:
    try:
        token = bearer_token(value)
    except Unauthorized as error:
        assert error.reason in {ReasonCode.MISSING_CREDENTIAL, ReasonCode.MALFORMED_TOKEN}
        return
    assert token in value
    assert " " not in token and token.isascii()


@given(st.from_regex(_COMPACT_JWS, fullmatch=True), st.sampled_from(["", "Bearer ", "bearer  "]))
def test_every_compact_jws_is_a_b64token_so_bearer_jws_loses_no_check(
    token: str, prefix: str
) -> None:
    """``bearer_jws`` skips the b64token scan because the JWS grammar parse_compact applies
    next admits b64tokens only: every string of that grammar is one."""
    assert _B64TOKEN.fullmatch(token)
    assert bearer_jws(prefix + token) == bearer_token(prefix + token) == token


@given(st.integers(0, len(JWT)), st.characters(exclude_characters="-_"))
def test_a_jwt_with_any_stray_character_is_refused_by_the_jws_path(
    position: int, stray: str
) -> None:
    assume(not (stray.isascii() and stray.isalnum()))  # outside base64url (and not a dot)
    assume(stray != ".")
    assume(not (stray in " \t" and position in (0, len(JWT))))  # surrounding whitespace: fine
    value = f"Bearer {JWT[:position]}{stray}{JWT[position:]}"
    with pytest.raises(Unauthorized) as caught:
        parse_compact(bearer_jws(value))
    assert caught.value.reason in {ReasonCode.MALFORMED_TOKEN, ReasonCode.MISSING_CREDENTIAL}


def test_bearer_jws_leaves_stray_characters_to_the_jws_grammar() -> None:
    token = bearer_jws(f"Bearer {JWT}~")  # "~" is b64token, not base64url
    assert token == f"{JWT}~"
    with pytest.raises(Unauthorized) as caught:
        parse_compact(token)
    assert caught.value.reason is ReasonCode.MALFORMED_TOKEN
    for value in ("Basic abc", "Bearer", "", None, f"Bearer {JWT} x"):
        with pytest.raises(Unauthorized):
            parse_compact(bearer_jws(value))
