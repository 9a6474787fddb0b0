"""What the samples' tests share: import a sample's ``app.py`` afresh with its environment,
serve a test issuer's keys, and an API-key table in moto's in-process DynamoDB.

Each sample reads its settings at import, as a Lambda function does at init, so every test
imports it again under a unique module name (the samples all have an ``app.py``) after
setting the environment it wants; ``None`` removes a variable.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from authorizers.keystores.base import hash_api_key
from authorizers.testing import JwksServer, TestIssuer

LoadApp = Callable[..., ModuleType]


@pytest.fixture
def load_app(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> LoadApp:
    """``load_app(NAME="value", OTHER=None)`` imports the calling test's sibling ``app.py``."""
    sample_dir = Path(str(request.path)).parent

    def load(**environment: str | None) -> ModuleType:
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        path = sample_dir / "app.py"
        spec = importlib.util.spec_from_file_location(f"sample_{sample_dir.name}_app", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="module")
def keys(issuer: TestIssuer) -> Iterator[JwksServer]:
    """The test module's ``issuer`` fixture's keys on 127.0.0.1 (its issuer URL unchanged)."""
    with JwksServer(issuer.jwks) as server:
        yield server


@contextmanager
def key_table(table: str, records: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """Fake credentials and moto's in-process DynamoDB holding an API-key table: ``records``
    maps each key, as a client sends it, to its record; the table stores the key's hash."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        created = boto3.resource("dynamodb").create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for key, record in records.items():
            created.put_item(Item={"key_hash": hash_api_key(key), **record})
        yield


@pytest.fixture(scope="session")
def api_key_table() -> Callable[..., Any]:
    """:func:`key_table`: ``with api_key_table("keys", {key: {"owner": "o"}}): ...``."""
    return key_table
