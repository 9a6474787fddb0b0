"""POST (RFC 7662 introspection) through ``HttpClientFetcher`` and ``post_json``: the same
deadline, size cap, status, redirect and JSON rules as a JWKS GET, against a real server on
127.0.0.1 misbehaving on purpose."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from jwks_support import CUT_OFF, DEADLINE, HANG, TIMED_OUT, jwks, public_jwk

from authorizers.jwks.fetch import FetchError, post_json
from authorizers.jwks.http_client_fetch import HttpClientFetcher
from authorizers.testing.jwks_server import Fault, JwksServer


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with JwksServer(jwks(public_jwk("RSA", "a"))) as running:
        yield running


def post(url: str, **options: object) -> tuple[float, object]:
    started = time.monotonic()
    try:
        result: object = post_json(
            url,
            b"token=abc",
            {"Content-Type": "application/x-www-form-urlencoded"},
            poster=HttpClientFetcher(),
            timeout=DEADLINE,
            allow_http_loopback=True,
            **options,  # type: ignore[arg-type]
        )
    except FetchError as error:
        result = error
    return time.monotonic() - started, result


def test_a_post_returns_the_json_answer(server: JwksServer) -> None:
    _, answer = post(server.jwks_url)
    assert isinstance(answer, dict) and answer["keys"][0]["kid"] == "a"
    assert server.fetch_count() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.redirect("http://127.0.0.1:9/elsewhere", 307), "redirect refused"),
        (Fault.http_status(401), "HTTP 401"),
        (Fault.oversize(2_000_000, declare_length=False), "larger than"),
        (Fault.html(), "not valid JSON"),
    ],
)
def test_a_misbehaving_endpoint_is_refused(server: JwksServer, fault: Fault, message: str) -> None:
    server.inject(fault)
    _, result = post(server.jwks_url, max_bytes=64 * 1024)
    assert isinstance(result, FetchError) and message in str(result)


# A JWKS of ~400 bytes at 0.2 s a byte trickles for 80 s; the delay lasts HANG seconds.
@pytest.mark.parametrize("fault", [Fault.trickle(interval=0.2), Fault.delay(HANG)])
def test_a_hanging_endpoint_is_cut_off_at_the_deadline(server: JwksServer, fault: Fault) -> None:
    server.inject(fault)
    elapsed, result = post(server.jwks_url, max_bytes=64 * 1024)
    assert isinstance(result, FetchError)
    assert re.search(TIMED_OUT, str(result)), str(result)
    assert elapsed < CUT_OFF  # the fault itself would last far longer


def test_plain_http_is_refused_unless_loopback_is_allowed(server: JwksServer) -> None:
    with pytest.raises(FetchError):
        post_json(server.jwks_url, b"", {}, poster=HttpClientFetcher())
