"""The JwksServer test kit itself, checked with a plain stdlib HTTP client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from authorizers.testing.jwks_server import DISCOVERY_PATH, JWKS_PATH, Fault, JwksServer

DOC = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": "A" * 43}]}


def get(
    server: JwksServer, path: str = JWKS_PATH, timeout: float = 5
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with JwksServer(DOC) as running:
        yield running


def test_serves_the_jwks_and_counts_fetches_per_path(server: JwksServer) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert server.jwks_url == server.url + JWKS_PATH
    status, headers, body = get(server)
    assert status == 200 and json.loads(body) == DOC
    assert headers["Content-Type"] == "application/json"
    get(server, JWKS_PATH + "?cache-buster=1")
    assert get(server, "/nope")[0] == 404
    assert server.fetch_count() == 2
    assert server.fetch_count("/nope") == 1
    assert server.fetch_count(DISCOVERY_PATH) == 0
    server.reset_counts()
    assert server.fetch_count() == 0


def test_set_jwks_rotates_what_is_served(server: JwksServer) -> None:
    server.set_jwks({"keys": []})
    assert json.loads(get(server)[2]) == {"keys": []}


def test_discovery_issuer_is_its_own_url_unless_given() -> None:
    with JwksServer(DOC) as own:
        doc = json.loads(get(own, DISCOVERY_PATH)[2])
        assert doc["issuer"] == own.url
        assert (
            doc["jwks_uri"] == own.jwks_url == own.discovery_url.replace(DISCOVERY_PATH, JWKS_PATH)
        )
        assert "RS256" in doc["id_token_signing_alg_values_supported"]
        own.set_discovery({"issuer": "https://elsewhere.test"})
        assert json.loads(get(own, DISCOVERY_PATH)[2]) == {"issuer": "https://elsewhere.test"}
        own.set_discovery(None)
        assert json.loads(get(own, DISCOVERY_PATH)[2])["issuer"] == own.url
    with JwksServer(DOC, issuer="https://issuer.test/") as given:
        assert json.loads(get(given, DISCOVERY_PATH)[2])["issuer"] == "https://issuer.test/"
    with JwksServer(DOC, discovery=False) as none:
        assert get(none, DISCOVERY_PATH)[0] == 404


@pytest.mark.parametrize("code", [500, 503, 404])
def test_status_fault(server: JwksServer, code: int) -> None:
    server.inject(Fault.http_status(code))
    assert get(server)[0] == code
    assert get(server)[0] == code  # until cleared
    server.clear_faults()
    assert get(server)[0] == 200


def test_fault_for_a_number_of_requests_then_heals(server: JwksServer) -> None:
    server.inject(Fault.http_status(503), times=2)
    assert [get(server)[0] for _ in range(3)] == [503, 503, 200]
    server.inject(Fault.http_status(500), path=DISCOVERY_PATH)
    assert get(server)[0] == 200
    assert get(server, DISCOVERY_PATH)[0] == 500


def test_delay_fault_holds_the_headers(server: JwksServer) -> None:
    server.inject(Fault.delay(0.3))
    started = time.monotonic()
    status, _, body = get(server)
    assert time.monotonic() - started >= 0.3
    assert status == 200 and json.loads(body) == DOC


def test_trickle_fault_sends_the_body_slowly_but_completely() -> None:
    with JwksServer({"keys": []}) as server:  # 12 bytes
        server.inject(Fault.trickle(interval=0.02, chunk=2))
        started = time.monotonic()
        status, _, body = get(server)
        assert time.monotonic() - started >= 5 * 0.02
        assert status == 200 and json.loads(body) == {"keys": []}


def test_html_and_truncated_faults(server: JwksServer) -> None:
    server.inject(Fault.html(), times=1)
    status, headers, body = get(server)
    assert status == 200 and headers["Content-Type"] == "text/html" and body.startswith(b"<html>")
    server.inject(Fault.truncated(), times=1)
    status, _, body = get(server)
    full = json.dumps(DOC).encode()
    assert status == 200 and body == full[: len(full) // 2]


@pytest.mark.parametrize("declare", [True, False])
def test_oversize_fault(server: JwksServer, declare: bool) -> None:
    server.inject(Fault.oversize(300_000, declare_length=declare))
    status, headers, body = get(server)
    assert status == 200 and len(body) == 300_000
    assert headers.get("Content-Length") == ("300000" if declare else None)
    assert json.loads(body)["keys"] == []


def test_redirect_fault(server: JwksServer) -> None:
    server.inject(Fault.redirect("https://other.test/jwks", code=301))
    status, headers, _ = get(server)
    assert status == 301 and headers["Location"] == "https://other.test/jwks"


def test_drop_fault_breaks_the_connection(server: JwksServer) -> None:
    server.inject(Fault.drop())
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        get(server)
    assert server.fetch_count() == 1


def test_stop_is_prompt_even_with_a_request_stuck_in_a_fault() -> None:
    server = JwksServer(DOC).start()
    server.inject(Fault.delay(30))
    outcome: list[BaseException] = []

    def stuck_client() -> None:
        try:
            get(server)
        except (ConnectionError, http.client.HTTPException) as error:
            outcome.append(error)

    client = threading.Thread(target=stuck_client, daemon=True)
    client.start()
    while server.fetch_count() == 0:  # wait until the request is inside the fault
        time.sleep(0.005)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1
    client.join(2)
    assert not client.is_alive() and outcome  # the stuck request ended without an answer
    with pytest.raises(RuntimeError):
        _ = server.url


def test_url_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError):
        _ = JwksServer().jwks_url
