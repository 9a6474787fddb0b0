"""Fetch hardening against a real local server (JwksServer on 127.0.0.1): deadline, size cap,
redirects, status, JSON; and RemoteJwks end to end over real HTTP (ages on a fake clock)."""

from __future__ import annotations

import gzip
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jwks_support import CUT_OFF, DEADLINE, HANG, TIMED_OUT, FakeFetcher, jwks, public_jwk

from authorizers.clock import FakeClock
from authorizers.errors import InfrastructureError, ReasonCode, Unauthorized
from authorizers.jwks.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Fetcher,
    FetchError,
    fetch_json,
)
from authorizers.jwks.http_client_fetch import HttpClientFetcher
from authorizers.jwks.requests_fetch import RequestsFetcher
from authorizers.jwks.sources import RemoteJwks
from authorizers.testing.jwks_server import Fault, JwksServer

A = public_jwk("RSA", "a")
B = public_jwk("P-256", "b")


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    with JwksServer(jwks(A)) as server:
        yield server


@pytest.fixture(params=[RequestsFetcher, HttpClientFetcher], ids=lambda cls: cls.__name__)
def fetcher(request: pytest.FixtureRequest) -> Fetcher:
    """Both fetchers must keep every hardening rule: each shared test runs with each."""
    fetcher_class: type[Fetcher] = request.param
    return fetcher_class()


def timed_fetch(url: str, fetcher: Fetcher | None = None, **options: Any) -> tuple[float, Any]:
    """Run fetch_json; return (seconds taken, document or the FetchError raised)."""
    options.setdefault("timeout", DEADLINE)
    started = time.monotonic()
    try:
        result: Any = fetch_json(
            url, fetcher=fetcher or RequestsFetcher(), allow_http_loopback=True, **options
        )
    except FetchError as error:
        result = error
    return time.monotonic() - started, result


def test_defaults_are_within_the_documented_bounds() -> None:
    assert DEFAULT_TIMEOUT <= 3
    assert 150_000 <= DEFAULT_MAX_BYTES <= 1024 * 1024


def test_fetches_jwks_and_discovery(idp: JwksServer, fetcher: Fetcher) -> None:
    assert timed_fetch(idp.jwks_url, fetcher)[1] == jwks(A)
    assert timed_fetch(idp.discovery_url, fetcher)[1]["jwks_uri"] == idp.jwks_url
    assert idp.fetch_count() == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.http_status(500), "HTTP 500"),
        (Fault.http_status(503), "HTTP 503"),
        (Fault.http_status(404), "HTTP 404"),
        # the total deadline or the socket timeout, whichever fires first: both fail closed
        (Fault.delay(HANG), TIMED_OUT),
        (Fault.trickle(interval=0.05), TIMED_OUT),  # ~400 bytes: 20 s
        (Fault.html(), "not valid JSON"),
        (Fault.truncated(), "not valid JSON"),
        (Fault.oversize(), "larger than"),
        (Fault.oversize(declare_length=False), "larger than"),
        (Fault.redirect("https://elsewhere.invalid/jwks"), "redirect refused"),
        (Fault.drop(), "ConnectionError|RemoteDisconnected|ConnectionResetError"),
    ],
    ids=lambda value: value.kind.value if isinstance(value, Fault) else None,
)
def test_every_fault_fails_closed_within_the_deadline(
    idp: JwksServer, fetcher: Fetcher, fault: Fault, message: str
) -> None:
    idp.inject(fault)
    elapsed, result = timed_fetch(idp.jwks_url, fetcher)
    assert isinstance(result, FetchError)
    assert re.search(message, str(result))
    assert elapsed < CUT_OFF  # cut off, not waited out
    assert idp.fetch_count() == 1  # no retry, no redirect follow-up


def test_slow_responses_within_the_deadline_succeed(idp: JwksServer, fetcher: Fetcher) -> None:
    # a deadline far above the delay: on a loaded machine 0.3 s of delay may take longer
    idp.inject(Fault.delay(0.3), times=1)
    elapsed, result = timed_fetch(idp.jwks_url, fetcher, timeout=CUT_OFF)
    assert result == jwks(A) and elapsed >= 0.3
    idp.set_jwks({"keys": []})  # 12 bytes over ~0.3 s
    idp.inject(Fault.trickle(interval=0.025), times=1)
    elapsed, result = timed_fetch(idp.jwks_url, fetcher, timeout=CUT_OFF)
    assert result == {"keys": []} and elapsed >= 0.25


def test_trickle_is_bounded_as_a_whole_not_per_read(idp: JwksServer, fetcher: Fetcher) -> None:
    # each byte arrives well within any per-read timeout; only a total deadline stops it
    idp.inject(Fault.trickle(interval=0.1))  # ~400 bytes: 40 s
    elapsed, result = timed_fetch(idp.jwks_url, fetcher)
    assert isinstance(result, FetchError) and re.search(TIMED_OUT, str(result))
    assert elapsed < CUT_OFF


def test_abandoned_fetch_worker_is_cut_off(idp: JwksServer, fetcher: Fetcher) -> None:
    idp.inject(Fault.trickle(interval=0.05))
    timed_fetch(idp.jwks_url, fetcher)
    deadline = time.monotonic() + CUT_OFF  # the trickle itself lasts 20 s
    while any(t.name == "authorizers-jwks-fetch" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the fetch worker outlived its deadline"
        time.sleep(0.01)


def test_redirect_to_another_server_is_not_followed(idp: JwksServer, fetcher: Fetcher) -> None:
    with JwksServer(jwks(B)) as other:
        for code in (301, 302, 307, 308):
            idp.inject(Fault.redirect(other.jwks_url, code=code), times=1)
            result = timed_fetch(idp.jwks_url, fetcher)[1]
            assert isinstance(result, FetchError) and f"HTTP {code}" in str(result)
        assert other.fetch_count() == 0


def test_size_cap_is_exact(idp: JwksServer, fetcher: Fetcher) -> None:
    size = len(json.dumps(jwks(A)).encode())
    assert timed_fetch(idp.jwks_url, fetcher, max_bytes=size)[1] == jwks(A)
    assert isinstance(timed_fetch(idp.jwks_url, fetcher, max_bytes=size - 1)[1], FetchError)
    idp.inject(Fault.oversize(size + 1, declare_length=False))
    assert isinstance(timed_fetch(idp.jwks_url, fetcher, max_bytes=size)[1], FetchError)


def test_plain_http_only_to_loopback_and_only_when_allowed(idp: JwksServer) -> None:
    with pytest.raises(FetchError, match="only https"):
        fetch_json(idp.jwks_url, fetcher=RequestsFetcher())
    fake = FakeFetcher(jwks(A))
    for url in (
        "http://idp.test/jwks",
        "http://10.0.0.1/jwks",
        "file:///etc/passwd",
        "https:///no-host",
        "https://user:secret@idp.test/jwks",
        "https://idp.test/jwks#fragment",
    ):
        with pytest.raises(FetchError):
            fetch_json(url, fetcher=fake, allow_http_loopback=True)
    assert fake.calls == 0
    assert fetch_json("https://idp.test/jwks", fetcher=fake) == jwks(A)
    assert fetch_json("http://localhost/jwks", fetcher=fake, allow_http_loopback=True)


def test_loopback_is_never_sent_through_a_proxy(
    idp: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    assert timed_fetch(idp.jwks_url)[1] == jwks(A)


@pytest.mark.parametrize(
    "body",
    [
        b'{"keys": [], "keys": [{"kty": "RSA"}]}',  # duplicate names: parsers disagree
        b'{"keys": [NaN]}',
        b'{"keys": [Infinity]}',
        b"[]",
        b'"keys"',
        b"\xff\xfe{}",
        b"[" * 100_000,
        b"",
    ],
)
def test_json_is_parsed_strictly(body: bytes) -> None:
    class Raw:
        def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
            return body

    with pytest.raises(FetchError):
        fetch_json("https://idp.test/jwks", fetcher=Raw())


def test_custom_fetcher_faults_become_loggable_fetch_errors() -> None:
    class Broken:
        def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
            raise ValueError("body was <secret-ish content>")

    class Greedy:
        def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
            return b"{" + b" " * max_bytes + b"}"

    with pytest.raises(FetchError) as raised:
        fetch_json("https://idp.test/jwks?token=abc", fetcher=Broken())
    assert str(raised.value) == "https://idp.test/jwks: ValueError"
    with pytest.raises(FetchError, match="larger than"):
        fetch_json("https://idp.test/jwks", fetcher=Greedy(), max_bytes=100)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Answers with a gzip-encoded JWKS and records the request headers."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(dict(self.headers))
        body = gzip.compress(json.dumps(jwks(A)).encode())
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_compressed_responses_are_refused_and_no_credentials_are_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fetcher: Fetcher
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password hunter2hunter2\n")
    monkeypatch.setenv("NETRC", str(netrc))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
        _RecordingHandler.seen.clear()
        result = timed_fetch(url, fetcher)[1]
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(result, FetchError) and "compressed" in str(result)
    (headers,) = _RecordingHandler.seen
    assert "Authorization" not in headers
    assert headers["Accept-Encoding"] == "identity"


class TestRemoteJwksOverHttp:
    def test_rotation_and_removal(self, idp: JwksServer) -> None:
        clock = FakeClock()
        source = RemoteJwks(idp.jwks_url, allow_http_loopback=True, monotonic=clock)
        assert source.get_key("a", "RS256").kid == "a"
        clock.advance(10)
        idp.set_jwks(jwks(A, B))
        assert source.get_key("b", "ES256").kid == "b"
        assert idp.fetch_count() == 2
        idp.set_jwks(jwks(B))
        clock.advance(600)
        with pytest.raises(Unauthorized) as raised:
            source.get_key("a", "RS256")
        assert raised.value.reason is ReasonCode.UNKNOWN_KEY
        assert idp.fetch_count() == 3

    def test_outage_serves_stale_keys_then_recovers(self, idp: JwksServer) -> None:
        clock = FakeClock()
        source = RemoteJwks(
            idp.jwks_url, allow_http_loopback=True, monotonic=clock, timeout=DEADLINE
        )
        key = source.get_key("a", "RS256")
        idp.inject(Fault.http_status(503))
        clock.advance(600)
        assert source.get_key("a", "RS256") is key
        idp.inject(Fault.delay(HANG))
        clock.advance(60)
        started = time.monotonic()
        assert source.get_key("a", "RS256") is key  # the refresher waited, then served stale
        assert time.monotonic() - started < CUT_OFF
        idp.clear_faults()
        clock.advance(60)
        idp.set_jwks(jwks(A, B))
        assert source.get_key("b", "ES256").kid == "b"
        assert idp.fetch_count() == 4

    def test_hanging_idp_with_no_keys_fails_closed_at_the_deadline(self, idp: JwksServer) -> None:
        idp.inject(Fault.delay(HANG))
        source = RemoteJwks(
            idp.jwks_url, allow_http_loopback=True, timeout=DEADLINE, monotonic=FakeClock()
        )
        started = time.monotonic()
        with pytest.raises(InfrastructureError) as raised:
            source.get_key("a", "RS256")
        assert raised.value.reason is ReasonCode.KEY_UNAVAILABLE
        assert time.monotonic() - started < CUT_OFF

    def test_sixteen_threads_one_http_fetch(self, idp: JwksServer) -> None:
        idp.inject(Fault.delay(0.2))  # a slow IdP, so every thread arrives during the fetch
        source = RemoteJwks(idp.jwks_url, allow_http_loopback=True, monotonic=FakeClock())
        barrier = threading.Barrier(16)
        kids: list[str] = []

        def lookup() -> None:
            barrier.wait()
            kids.append(source.get_key("a", "RS256").kid)

        threads = [threading.Thread(target=lookup) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert kids == ["a"] * 16
        assert idp.fetch_count() == 1

    def test_snapshot_then_prefetch_at_init(self, idp: JwksServer, tmp_path: Path) -> None:
        snapshot = tmp_path / "jwks.json"
        snapshot.write_text(json.dumps(jwks(B)))
        clock = FakeClock()  # a cache of its own (caches are shared by URL, settings, clock)
        offline = RemoteJwks(
            idp.jwks_url, allow_http_loopback=True, snapshot_file=snapshot, monotonic=clock
        )
        assert offline.get_key("b", "ES256").kid == "b"
        assert idp.fetch_count() == 0
        warmed = RemoteJwks(
            idp.jwks_url, allow_http_loopback=True, prefetch=True, max_age=60, monotonic=clock
        )
        assert idp.fetch_count() == 1
        assert warmed.get_key("a", "RS256").kid == "a"
        assert idp.fetch_count() == 1


def test_a_credential_in_the_jwks_query_never_reaches_urllib3_debug_logs(
    idp: JwksServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "query-credential-5c1f0e"
    with caplog.at_level("DEBUG"):
        assert timed_fetch(f"{idp.jwks_url}?client_secret={secret}")[1] == jwks(A)
    request_lines = [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert request_lines, "urllib3 logged no request line: the test no longer checks anything"
    assert secret not in caplog.text
    assert "?[redacted]" in caplog.text
