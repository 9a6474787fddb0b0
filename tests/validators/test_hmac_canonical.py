"""HMAC signature scheme version 2 (issue 14.6): two different requests never share a signature.

Each test names the request pair version 1 could not tell apart. The shell example of the
documentation is run (with ``curl`` and ``date`` stubbed, ``openssl`` real when installed) and
must sign exactly what ``sign_request`` signs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import named
from helpers import reason_of

from authorizers.clock import FakeClock
from authorizers.config import build_authorizer
from authorizers.errors import ConfigurationError, ReasonCode
from authorizers.event_parsing import parse_event
from authorizers.request import AuthRequest
from authorizers.testing.events import API_ID, request_event
from authorizers.validators.hmac_signature import (
    HmacSignatureValidator,
    SignatureScheme,
    sign_request,
)

NOW = 1_767_225_600
SECRET = "hmac-v2-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SCHEME = SignatureScheme(signed_headers=("content-type", "x-tenant"), signed_query=("limit",))
DOC = Path(__file__).parents[2] / "docs" / "api-keys-and-request-rules.md"


@pytest.fixture(autouse=True)
def _secret_is_secret(register_secret: Callable[..., object]) -> None:
    register_secret(SECRET, "HMAC secret")


def validator(scheme: SignatureScheme = SCHEME) -> HmacSignatureValidator:
    return HmacSignatureValidator({"k1": SECRET}, scheme=scheme, clock=FakeClock(NOW))


def signed(
    *,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, Any] | None = None,
    scheme: SignatureScheme = SCHEME,
    stage: str = "prod",
    api_id: str = API_ID,
) -> dict[str, str]:
    return sign_request(
        SECRET,
        "k1",
        "GET",
        "/pets",
        headers=headers,
        query=query,
        scheme=scheme,
        timestamp=NOW,
        api_id=api_id,
        stage=stage,
    )


def received(
    signature: Mapping[str, str],
    *,
    headers: Mapping[str, Any] | None = None,
    query: Mapping[str, Any] | None = None,
    **location: Any,
) -> AuthRequest:
    event = request_event("GET /pets", headers={**(headers or {}), **signature}, query=query)
    if location:
        arn = event["methodArn"].split(":")
        api, stage, rest = arn[5].split("/", 2)
        arn[5] = "/".join((location.get("api_id", api), location.get("stage", stage), rest))
        event["methodArn"] = ":".join(arn)
    return parse_event(event)


def test_a_v2_signature_verifies() -> None:
    headers = {"content-type": "application/json", "x-tenant": "acme"}
    signature = signed(headers=headers, query={"limit": "10"})
    request = received(signature, headers=headers, query={"limit": "10"})
    assert validator().validate(request).principal_id == "k1"


@pytest.mark.parametrize(("where", "name"), [("headers", "x-tenant"), ("query", "limit")])
@pytest.mark.parametrize("signed_absent", [True, False], ids=["signed absent", "signed empty"])
def test_an_absent_value_is_not_an_empty_one(where: str, name: str, signed_absent: bool) -> None:
    signed_with, sent = ({}, {name: ""}) if signed_absent else ({name: ""}, {})
    request = received(signed(**{where: signed_with}), **{where: sent})
    assert reason_of(validator(), request) is ReasonCode.BAD_REQUEST_SIGNATURE
    assert validator().validate(received(signed(**{where: sent}), **{where: sent}))


@pytest.mark.parametrize(
    "stamp",
    [
        f"0{NOW}",
        f"00{NOW}",
        f"+{NOW}",
        "".join(chr(0xFF10 + int(d)) for d in str(NOW)),  # fullwidth digits
        "".join(chr(0x0660 + int(d)) for d in str(NOW)),  # Arabic-Indic digits
        f"{NOW}.0",
        "0",
    ],
)
@pytest.mark.parametrize("scheme", [SCHEME, SignatureScheme(version=1)], ids=["v2", "v1"])
def test_only_the_timestamp_as_signed_verifies(stamp: str, scheme: SignatureScheme) -> None:
    signature = signed(scheme=scheme) | {"x-signature-timestamp": stamp}
    assert reason_of(validator(scheme), received(signature)) is ReasonCode.BAD_REQUEST_SIGNATURE


def test_v2_signs_the_timestamp_as_sent() -> None:
    canonical = SCHEME.canonical_string(
        key_id="k1", timestamp="1767225600", method="GET", path="/", api_id="a", stage="s"
    )
    assert canonical.split("\n")[2] == "1767225600"
    with pytest.raises(ValueError, match="ASCII digits"):
        SCHEME.canonical_string(
            key_id="k1", timestamp="01767225600", method="GET", path="/", api_id="a", stage="s"
        )


def test_a_repeated_signed_query_parameter_is_refused() -> None:
    signature = signed(query={"limit": "10"})
    request = received(signature, query={"limit": ("1000", "10")})  # a REST backend reads 10
    assert reason_of(validator(), request) is ReasonCode.BAD_REQUEST_SIGNATURE
    identical = received(signature, query={"limit": ("10", "10")})  # one value: no ambiguity
    assert validator().validate(identical)
    with pytest.raises(ValueError, match="more than once"):
        signed(query={"limit": ["1000", "10"]})


def test_a_repeated_signed_header_is_refused() -> None:
    with pytest.raises(ValueError, match="more than once"):
        signed(headers={"x-tenant": ["a", "b"]})  # type: ignore[dict-item]


@pytest.mark.parametrize("elsewhere", [{"stage": "beta"}, {"api_id": "zzzz999999"}])
def test_a_signature_does_not_replay_on_another_stage_or_api(elsewhere: dict[str, str]) -> None:
    request = received(signed(), **elsewhere)
    assert reason_of(validator(), request) is ReasonCode.BAD_REQUEST_SIGNATURE
    assert validator().validate(received(signed(**elsewhere), **elsewhere))


def test_v1_verifies_only_when_configured() -> None:
    v1 = SignatureScheme(signed_headers=SCHEME.signed_headers, signed_query=("limit",), version=1)
    signature = sign_request(SECRET, "k1", "GET", "/pets", scheme=v1, timestamp=NOW)
    assert reason_of(validator(), received(signature)) is ReasonCode.BAD_REQUEST_SIGNATURE
    assert validator(v1).validate(received(signature))


def test_v2_needs_the_api_id_and_stage_to_sign() -> None:
    with pytest.raises(ValueError, match="API id"):
        sign_request(SECRET, "k1", "GET", "/pets", timestamp=NOW)
    with pytest.raises(ValueError, match="stage"):
        sign_request(SECRET, "k1", "GET", "/pets", timestamp=NOW, api_id=API_ID)


@pytest.mark.parametrize("version", [0, 3, True])
def test_only_versions_1_and_2_exist(version: Any) -> None:
    with pytest.raises(ConfigurationError, match="version"):
        SignatureScheme(version=version)


def test_the_configuration_chooses_the_version() -> None:
    hmac = {"type": "hmac", "secrets": {"k1": SECRET}, "signed_query": ["limit"]}
    ttl = {"result_ttl_seconds": 0}  # a per-request validator: no result cache
    v2 = build_authorizer({"validators": [hmac], **ttl}, clock=FakeClock(NOW))
    v1 = build_authorizer({"validators": [{**hmac, "version": 1}], **ttl}, clock=FakeClock(NOW))
    signature = signed(query={"limit": "5"}, scheme=SignatureScheme(signed_query=("limit",)))
    request = received(signature, query={"limit": "5"})
    assert v2.authorize(request).outcome.value == "allow"
    assert v1.authorize(request).reason is ReasonCode.BAD_REQUEST_SIGNATURE
    with pytest.raises(ConfigurationError, match="version"):
        build_authorizer({"validators": [{**hmac, "version": 3}], **ttl})


# -- the documented examples ------------------------------------------------------------------

DOC_SCHEME = SignatureScheme(signed_headers=("content-type",), signed_query=("limit", "offset"))
DOC_CANONICAL = (
    "AUTHORIZERS-HMAC-SHA256-V2\nclient-a-2026-11\n1767225600\na1b2c3d4e5\nprod\nGET\n/pets\n"
    "limit=10&offset\ncontent-type:application%2Fjson"
)


def test_the_documented_v2_canonical_string_is_exact() -> None:
    canonical = DOC_SCHEME.canonical_string(
        key_id="client-a-2026-11",
        timestamp=1767225600,
        method="get",
        path="/pets",
        headers={"Content-Type": "application/json", "x-other": "unsigned"},
        query={"limit": "10", "other": "5"},
        api_id="a1b2c3d4e5",
        stage="prod",
    )
    assert canonical == DOC_CANONICAL
    assert canonical in DOC.read_text()


def _shell_example() -> str:
    return named("hmac-v2-shell", "docs/api-keys-and-request-rules.md").code


def _run_shell(openssl_stub: str = "") -> tuple[list[str], str]:
    """Run the documented snippet: ``date`` fixed, ``curl`` printing its arguments."""
    script = (
        "date() { echo 1767225600; }\n"
        "curl() { printf '%s\\n' \"$@\"; }\n"
        f"{openssl_stub}\n{_shell_example()}"
    )
    done = subprocess.run(
        ["bash", "-euc", script],
        env={"HMAC_SECRET": SECRET, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.splitlines(), done.stderr


PYTHON_SIGNED = sign_request(
    SECRET,
    "client-a-2026-11",
    "GET",
    "/pets",
    headers={"content-type": "application/json"},
    query={"limit": "10"},
    api_id="a1b2c3d4e5",
    stage="prod",
    scheme=DOC_SCHEME,
    timestamp=1767225600,
)


def test_the_shell_example_builds_the_python_canonical_string(tmp_path: Path) -> None:
    captured = tmp_path / "canonical"
    stub = f"openssl() {{ cat > {captured}; echo 'stub *stdin'; }}"
    _run_shell(stub)
    assert captured.read_text() == DOC_CANONICAL


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_shell_example_signs_what_sign_request_signs() -> None:
    arguments, _ = _run_shell()
    sent = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in arguments if ": " in line}
    assert sent["x-signature"] == PYTHON_SIGNED["x-signature"]
    assert sent["x-signature-timestamp"] == "1767225600"
    assert json.dumps(arguments[0]).startswith('"https://a1b2c3d4e5.execute-api.')
