"""The zero-code sample: ``config.json`` run by the generic handler ``authorizers.handler``,
exactly as the template deploys it (API keys from moto's in-process DynamoDB), and its token
path against a local OpenID provider."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from authorizers.config import build_authorizer, load_config
from authorizers.keystores.base import new_api_key
from authorizers.testing import (
    TestIssuer,
    assert_allows,
    assert_denies,
    assert_unauthorized,
    token_event,
)

HERE = Path(__file__).parent
TABLE = "zero-code-keys"
AUDIENCE = "https://api.example.com"
KEY, _ = new_api_key("machine_")


@pytest.fixture
def environment(monkeypatch, api_key_table) -> Iterator[dict[str, str]]:
    env = {
        "AUTHORIZER_CONFIG_FILE": "config.json",  # relative to LAMBDA_TASK_ROOT, as in Lambda
        "LAMBDA_TASK_ROOT": str(HERE),
        "ISSUER": "https://login.example.com",
        "AUDIENCE": AUDIENCE,
        "API_KEY_TABLE": TABLE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUTHORIZER_CONFIG", raising=False)
    with api_key_table(TABLE, {KEY: {"owner": "reporting-job", "scopes": ["reports:read"]}}):
        yield env


@pytest.fixture
def generic_handler(environment):
    """``authorizers.handler`` imported afresh: it reads its configuration at import."""
    sys.modules.pop("authorizers.handler", None)
    yield importlib.import_module("authorizers.handler").handler
    sys.modules.pop("authorizers.handler", None)


def test_machine_clients_use_an_api_key_in_the_authorization_header(generic_handler):
    event = token_event("GET /config/reports/9", f"ApiKey {KEY}")
    response = generic_handler(event, None)
    assert response["principalId"] == "reporting-job"
    assert_allows(response, event, "GET /config/whoami")


@pytest.mark.parametrize("authorization", ["ApiKey not-a-known-key", "Bearer not.a.jwt", "Basic x"])
def test_anything_else_is_a_401(generic_handler, authorization):
    assert_unauthorized(generic_handler, token_event("GET /config/whoami", authorization))


def test_people_use_a_token_of_the_openid_provider(environment):
    issuer = TestIssuer(audience=AUDIENCE)
    with issuer.serve() as provider:  # discovery and keys on 127.0.0.1, over plain HTTP
        environment = {**environment, "ISSUER": provider.url}
        document, base_dir = load_config(environment)
        document["validators"][0]["allow_http_loopback"] = True  # the one test-only change
        authorizer = build_authorizer(document, base_dir=base_dir, environ=environment)
        event = token_event("GET /config/whoami", f"Bearer {issuer.mint(scope='profile')}")
        response = authorizer.handler(event, None)
    assert response["principalId"] == "user-1"
    assert response["context"] == {"scope": "profile"}
    assert_allows(response, event)
    assert_denies(response, "GET /config/reports/9")  # no reports:read scope
