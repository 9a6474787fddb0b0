"""No token, signature, API key, HMAC secret or private key in any log line or output.

The suite-wide guard (``tests/redaction.py``) checks everything the run printed or logged
against every registered secret at the end; these tests drive the paths that log the most -
every corpus token through the handler with both decision loggers, JWKS failures, a JWK Set
that leaks a private key, API keys, HMAC signatures, a custom check that fails with the token
in its message, a token pasted into the URL - with every ``authorizers`` logger at DEBUG, and
search what was captured themselves, so a leak fails the test that caused it.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from jwt.algorithms import RSAAlgorithm

from authorizers._internal.event_parsing import parse_event
from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.errors import Unauthorized
from authorizers.jwks.sources import RemoteJwks
from authorizers.keystores.base import hash_api_key
from authorizers.keystores.static import StaticKeyStore
from authorizers.observability import PowertoolsObserver
from authorizers.testing.events import API_ID, http_v2_event, request_event, token_event
from authorizers.testing.jwks_server import Fault, JwksServer
from authorizers.validators.api_key import ApiKeyValidator
from authorizers.validators.hmac_signature import HmacSignatureValidator, sign_request
from authorizers.validators.jwt import JwtValidator

from . import keys
from .cases import CASES
from .keys import AUDIENCE, NOW
from .runner import EVENTS, Corpus, call_handler
from .served import RegisteredIssuer, jwt_validator, server

API_KEY = "sk_live_redaction_suite_1f9b7c3ad2e84a60"
HMAC_SECRET = b"hmac-secret-of-the-redaction-suite-32+bytes!"
URL_SECRET = "client-secret-in-a-jwks-url-9d1e"


class Capture:
    """Everything logged (any level, any logger) and printed during a test, as text."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
        self._caplog = caplog
        self._capsys = capsys
        self.powertools = io.StringIO()

    def text(self) -> str:
        records = [
            f"{record.getMessage()} {record.exc_text or ''} {vars(record)}"
            for record in self._caplog.records
        ]
        printed = self._capsys.readouterr()
        return "\n".join([*records, printed.out, printed.err, self.powertools.getvalue()])


@pytest.fixture
def capture(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[Capture]:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="authorizers")
    yield Capture(caplog, capsys)


def forms(secret: str | bytes) -> dict[str, str]:
    """The ways a secret can show up in text: itself, a JWT's signature alone, bytes as hex
    or base64. Forms shorter than 8 characters would match by accident and are left out."""
    if isinstance(secret, bytes):
        found = {
            "hex": secret.hex(),
            "base64": base64.b64encode(secret).decode().rstrip("="),
            "base64url": base64.urlsafe_b64encode(secret).decode().rstrip("="),
        }
        with contextlib.suppress(UnicodeDecodeError):
            found["text"] = secret.decode()
    else:
        found = {"value": secret}
        if secret.count(".") == 2:
            found["signature"] = secret.rsplit(".", 1)[1]
    return {kind: text for kind, text in found.items() if len(text) >= 8}


def assert_no_leak(text: str, secrets: Mapping[str, str | bytes]) -> None:
    leaks = [
        f"{name} ({kind})"
        for name, secret in secrets.items()
        for kind, form in forms(secret).items()
        if form in text
    ]
    assert not leaks, f"found in logs or output: {leaks}"


def test_no_corpus_token_is_logged(capture: Capture, corpus: Corpus) -> None:
    """Every case, allowed or refused, through both decision loggers."""
    powertools = PowertoolsObserver(stream=capture.powertools, metrics=True)
    for case in CASES:
        token = corpus.token(case)
        validator = corpus.profiles[case.profile].validator()
        for build, simple in EVENTS.values():
            call_handler(validator, build(token), simple=simple)
            try:
                Authorizer(validator, observability=powertools).handler(build(token))
            except Exception as error:  # the 401/500 raise: its message is logged by Lambda
                print(error)
        assert_no_leak(capture.text(), {case.id: token})


def test_jwks_failures_log_no_url_secret_and_no_token(
    capture: Capture, idp: RegisteredIssuer, register_secret: Callable[..., Any]
) -> None:
    register_secret(URL_SECRET, "secret in a JWKS URL query")
    token = idp.mint()
    server(idp).inject(Fault.http_status(503))
    source_url = f"{server(idp).jwks_url}?client_secret={URL_SECRET}"
    validator = JwtValidator(
        issuer=idp.issuer,
        keys=RemoteJwks(source_url, allow_http_loopback=True, monotonic=FakeClock()),
        audience=AUDIENCE,
        clock=FakeClock(NOW),
    )
    result = call_handler(validator, token_event("GET /pets/1", f"Bearer {token}"))
    assert result.decision.reason == "key_unavailable"
    text = capture.text()
    assert "JWKS refresh from" in text  # the failure was logged
    assert_no_leak(text + result.decision.detail, {"URL secret": URL_SECRET, "token": token})


def test_a_jwks_leaking_a_private_key_is_logged_without_the_key(
    capture: Capture, register_secret: Callable[..., Any]
) -> None:
    leaked = RSAAlgorithm.to_jwk(keys.key("foreign-rsa").private_key, as_dict=True)
    members = {name: leaked[name] for name in ("d", "p", "q", "dp", "dq", "qi")}
    for name, value in members.items():
        register_secret(value, f"leaked private JWK member {name}")
    with JwksServer({"keys": [{**leaked, "kid": "rsa-1"}, keys.key("ec").public_jwk]}) as idp:
        source = RemoteJwks(idp.jwks_url, allow_http_loopback=True, monotonic=FakeClock())
        with pytest.raises(Unauthorized, match="no key with this kid"):
            source.get_key("rsa-1", "RS256")
    text = capture.text()
    assert "publishes private key material" in text  # the operator is warned
    assert_no_leak(text, members)


def test_api_keys_are_never_logged(capture: Capture, register_secret: Callable[..., Any]) -> None:
    register_secret(API_KEY, "redaction suite API key")
    disabled = API_KEY[::-1]
    register_secret(disabled, "redaction suite disabled API key")
    store = StaticKeyStore(
        {
            hash_api_key(API_KEY): {"owner": "machine-1", "key_id": "k1"},
            hash_api_key(disabled): {"owner": "machine-2", "enabled": False},
        }
    )
    validator = ApiKeyValidator(store, usage_identifier=True)
    for key in (API_KEY, disabled, API_KEY + "x", "short"):
        for path in ("/pets/1", f"/keys/{key}"):  # a client that put its key in the URL too
            for event in (
                request_event(f"GET {path}", headers={"x-api-key": key}),
                http_v2_event(f"GET {path}", headers={"x-api-key": key}),
            ):
                call_handler(validator, event)
    assert_no_leak(capture.text(), {"API key": API_KEY, "disabled API key": disabled})


def test_an_application_logging_decisions_and_identities_logs_no_api_key(
    capture: Capture, register_secret: Callable[..., Any]
) -> None:
    """Issue 14.7: ``repr`` of a Decision and its Identity once printed the usage key."""
    register_secret(API_KEY, "redaction suite API key")
    store = StaticKeyStore({hash_api_key(API_KEY): {"owner": "machine-1"}})
    authorizer = Authorizer(ApiKeyValidator(store, usage_identifier=True), observability=None)
    app = logging.getLogger("redaction-suite.app")
    for event in (
        request_event("GET /pets/1", headers={"x-api-key": API_KEY}),
        http_v2_event("GET /pets/1", headers={"x-api-key": API_KEY}),
    ):
        decision = authorizer.authorize(parse_event(event))
        assert decision.identity is not None
        assert decision.identity.usage_identifier_key == API_KEY
        app.warning("decision %r of %r (%s)", decision, decision.identity, decision)
    assert_no_leak(capture.text(), {"API key": API_KEY})


def test_hmac_secrets_and_signatures_are_never_logged(
    capture: Capture, register_secret: Callable[..., Any]
) -> None:
    register_secret(HMAC_SECRET, "redaction suite HMAC secret")
    validator = HmacSignatureValidator({"client-1": HMAC_SECRET}, clock=FakeClock(NOW))
    signed = sign_request(
        HMAC_SECRET, "client-1", "GET", "/pets/1", timestamp=NOW, api_id=API_ID, stage="prod"
    )
    signature = signed["x-signature"]
    register_secret(signature, "HMAC request signature")
    variants = [
        signed,
        {**signed, "x-signature": signature[::-1]},
        {**signed, "x-signature-timestamp": str(NOW - 3600)},
        {**signed, "x-signature-key-id": "client-2"},
    ]
    for headers in variants:
        call_handler(validator, request_event("GET /pets/1", headers=headers))
    assert_no_leak(capture.text(), {"HMAC secret": HMAC_SECRET, "signature": signature})


def test_a_custom_check_failing_with_the_token_in_its_message_logs_no_token(
    capture: Capture, idp: RegisteredIssuer
) -> None:
    token = idp.mint()

    def careless(header: Any, claims: Any, key: Any) -> None:
        raise ValueError(f"could not check {token}")

    validator = JwtValidator(
        issuer=idp.issuer,
        keys=RemoteJwks(server(idp).jwks_url, allow_http_loopback=True, monotonic=FakeClock()),
        audience=AUDIENCE,
        checks=[careless],
        clock=FakeClock(NOW),
    )
    result = call_handler(validator, token_event("GET /pets/1", f"Bearer {token}"))
    assert result.decision.reason == "internal_error"
    assert str(result.response) == "authorizer failed (internal_error)"
    assert_no_leak(capture.text() + result.decision.detail, {"token": token})


def test_a_token_pasted_into_the_url_is_masked_in_the_decision_log(
    capture: Capture, idp: RegisteredIssuer
) -> None:
    token = idp.mint()
    validator = jwt_validator(idp, FakeClock())
    signature = token.rsplit(".", 1)[1]
    for path in (f"/callback/{token}", f"/sig/{signature}"):
        call_handler(validator, token_event(f"GET {path}", f"Bearer {token}"))
    text = capture.text()
    assert "[redacted]" in text
    assert_no_leak(text, {"token": token})
