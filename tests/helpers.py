"""Helpers several test modules share: documented examples, key tables in moto, refusals.

Fixtures shared the same way live in ``conftest.py`` (``login_issuer``, ``login_jwks``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from docs_blocks import DOCS, doc_example
from servers.moto import FAKE_AWS_ENV

import authorizers
from authorizers.errors import AuthorizerError, ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.keystores.aws import AwsClientSettings, LazyClient
from authorizers.keystores.base import hash_api_key
from authorizers.request import AuthRequest
from authorizers.validator import Validator

# Re-exported: test modules look documented examples up here too (tests/docs_blocks.py).
REEXPORTED = (DOCS, doc_example)
REPO = Path(__file__).resolve().parents[1]
#: The ``authorizers`` console script of this venv (the one a user runs).
SCRIPT = shutil.which("authorizers", path=str(Path(sys.executable).parent)) or "authorizers"
#: Where the ``authorizers`` under test is imported from (this checkout, not necessarily the
#: copy the venv has installed).
PACKAGE_ROOT = str(Path(authorizers.__file__).resolve().parents[1])


@dataclass
class ServeRun:
    """What a running ``authorizers serve`` or ``idp`` printed: its banner; its log once stopped."""

    banner: list[str] = field(default_factory=list)
    log: str = ""

    def url(self, api: str) -> str:
        """The local URL the banner gives for the API with this logical id."""
        return next(line for line in self.banner if line.startswith(api)).split(": ")[1].strip()


def run_isolated(code: str, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh ``python -I`` importing the ``authorizers`` under test: ``-I``
    ignores PYTHONPATH, so without the path set here it would import the installed copy."""
    prelude = f"import sys; sys.path.insert(0, {PACKAGE_ROOT!r})\n"
    argv = [sys.executable, "-I", "-c", prelude + code, *args]
    return subprocess.run(argv, capture_output=True, text=True, **options)  # noqa: PLW1510 - options may set check


@contextmanager
def running_cli(*args: str) -> Iterator[ServeRun]:
    """``authorizers ARGS`` (``serve``, ``idp``) as a user runs it, in a subprocess, for the
    block; yields once the banner (up to "Ctrl-C") is read; a server that exits early fails
    with its stderr."""
    process = subprocess.Popen(
        [SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    run = ServeRun()
    try:
        assert process.stdout is not None and process.stderr is not None
        while not (line := process.stdout.readline()).startswith("Ctrl-C"):
            assert line, process.stderr.read()
            run.banner.append(line)
        yield run
    finally:
        process.terminate()
        run.log = process.communicate(timeout=10)[1]


def served(entry: dict[str, Any], url: str) -> dict[str, Any]:
    """Point one key source of a configuration at a local server: the only change a documented
    example needs to run here."""
    entry.update(jwks_url=url, allow_http_loopback=True)
    return entry


def create_key_table(
    dynamodb: Any, table: str, *items: Mapping[str, Any], hash_key: str = "key_hash"
) -> None:
    """An on-demand DynamoDB API-key table through a boto3 client, holding ``items`` (in the
    client's typed form: ``{"owner": {"S": "etl"}}``)."""
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for item in items:
        dynamodb.put_item(TableName=table, Item=dict(item))


def key_item(key: str, owner: str, *scopes: str) -> dict[str, Any]:
    """A key table item (typed form) for ``key``, owned by ``owner`` with ``scopes``."""
    item: dict[str, Any] = {"key_hash": {"S": hash_api_key(key)}, "owner": {"S": owner}}
    if scopes:
        item["scopes"] = {"L": [{"S": scope} for scope in scopes]}
    return item


def unreachable_aws(monkeypatch: pytest.MonkeyPatch) -> AwsClientSettings:
    """Settings for an AWS endpoint where nothing listens (a 127.0.0.1 port free a moment
    ago), with short timeouts and one attempt; fake credentials are set so that no real ones
    and no instance metadata are ever looked up."""
    for name, value in FAKE_AWS_ENV.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return AwsClientSettings(
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        connect_timeout=0.2,
        read_timeout=0.2,
        max_attempts=1,
    )


def no_aws_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a boto3 client is made: building an authorizer must neither pay for
    boto3 (a cold start that only verifies JWTs) nor reach AWS; clients come at first use."""

    def no_client(self: LazyClient) -> None:
        raise AssertionError("an AWS client was created while building")

    monkeypatch.setattr(LazyClient, "_build", no_client)


def reason_of(
    validator: Validator,
    request: AuthRequest | Mapping[str, Any],
    raises: type[AuthorizerError] = Unauthorized,
) -> ReasonCode:
    """Why ``validator`` refuses ``request`` (an AuthRequest or a Lambda event); the refusal
    must be a ``raises``."""
    if not isinstance(request, AuthRequest):
        request = parse_event(request)
    with pytest.raises(raises) as caught:
        validator.validate(request)
    return caught.value.reason


#: Counters property tests report in the test summary (``tests/conftest.py`` prints them):
#: ``{"topic": {"what": count}}``.
PROPERTY_STATS: dict[str, dict[str, int]] = {}
