"""Outcome assertions and golden policy snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authorizers.testing.assertions import (
    assert_allows,
    assert_context,
    assert_denies,
    assert_invalid,
    assert_unauthorized,
    call_handler,
)
from authorizers.testing.events import token_event
from authorizers.testing.simulator import GatewayDecision
from authorizers.testing.snapshots import UPDATE_ENV, PolicySnapshot, normalise

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"
EVENT = {"type": "TOKEN", "authorizationToken": "tok", "methodArn": f"{API}/GET/pets/1"}


def policy(*statements: tuple[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}
                for effect, resource in statements
            ],
        },
        **extra,
    }


PETS = policy(("Allow", f"{API}/GET/pets/*"), ("Deny", f"{API}/GET/pets/secret"))


def test_assert_allows_passes_and_returns_the_results() -> None:
    results = assert_allows(PETS, "GET /pets/1", f"{API}/GET/pets/2", EVENT)
    assert [r.statement_index for r in results] == [0, 0, 0]


def test_assert_allows_failure_names_the_deciding_statement() -> None:
    with pytest.raises(AssertionError) as denied:
        assert_allows(PETS, "GET /pets/1", "GET /pets/secret")
    message = str(denied.value)
    assert message.startswith(f"expected {API}/GET/pets/secret to be allowed, but got:")
    assert "explicit_deny (403)" in message
    assert 'decided by Statement[1]: {"Action": "execute-api:Invoke", "Effect": "Deny"' in message


def test_implicit_deny_failure_lists_the_statements_that_did_not_match() -> None:
    with pytest.raises(AssertionError) as denied:
        assert_allows(PETS, "POST /pets")
    message = str(denied.value)
    assert "implicit_deny (403)" in message
    assert "no Allow statement matched" in message
    assert (
        f'[0] {{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "{API}/GET/pets/*"}}'
        in message
    )
    assert "[1]" in message


def test_assert_denies_explicit_and_implicit() -> None:
    assert_denies(PETS, "GET /pets/secret", "POST /pets")
    assert_denies(PETS, "GET /pets/secret", explicit=True)
    assert_denies(PETS, "POST /pets", explicit=False)
    with pytest.raises(AssertionError, match=r"denied \(explicit_deny, 403\)"):
        assert_denies(PETS, "POST /pets", explicit=True)
    with pytest.raises(AssertionError, match=r"denied \(implicit_deny, 403\)"):
        assert_denies(PETS, "GET /pets/secret", explicit=False)
    with pytest.raises(AssertionError, match=r"allow \(200\)"):
        assert_denies(PETS, "GET /pets/1")
    with pytest.raises(AssertionError, match="invalid"):
        assert_denies({"principalId": "x"}, "GET /pets/1")  # a 500 is not a 403


def test_assert_invalid() -> None:
    result = assert_invalid({**PETS, "context": {"roles": ["a"]}})
    assert result.decision is GatewayDecision.INVALID
    with pytest.raises(AssertionError, match="expected an invalid response"):
        assert_invalid(PETS, "GET /pets/1")


def raises_unauthorized(event: Any, context: Any) -> Any:
    raise Exception("Unauthorized")


def returns_deny(event: Any, context: Any) -> Any:
    return policy(("Deny", event["methodArn"]))


def raises_other(event: Any, context: Any) -> Any:
    raise ValueError(f"cannot parse {event['authorizationToken']}")


def raises_lowercase(event: Any, context: Any) -> Any:
    raise Exception("unauthorized")


def test_assert_unauthorized() -> None:
    assert_unauthorized(raises_unauthorized, EVENT)
    with pytest.raises(AssertionError, match=r"explicit_deny \(403\)"):
        assert_unauthorized(returns_deny, EVENT)
    secret_event = {**EVENT, "authorizationToken": "eyJsecret.token.value"}
    with pytest.raises(AssertionError) as other:
        assert_unauthorized(raises_other, secret_event)
    assert "raised ValueError" in str(other.value)
    assert "eyJsecret" not in str(other.value)  # the exception's message is not repeated
    assert "must raise Exception('Unauthorized') exactly" in str(other.value)
    with pytest.raises(AssertionError, match="exactly"):
        assert_unauthorized(raises_lowercase, EVENT)


def test_call_handler_returns_the_exception() -> None:
    outcome = call_handler(raises_other, EVENT)
    assert isinstance(outcome, ValueError)
    assert call_handler(returns_deny, EVENT)["principalId"] == "user-1"


def test_assert_context_subset_exact_and_template() -> None:
    response = {**PETS, "context": {"tenant": "t1", "admin": True, "level": 3}}
    assert_context(response, {"tenant": "t1"})
    assert_context(response, {"tenant": "t1", "admin": True, "level": 3}, exact=True)
    assert_context(response, {"admin": "true", "principalId": "user-1"}, template=True)
    with pytest.raises(AssertionError, match=r"'level': expected 1, got 3"):
        assert_context(response, {"level": 1})
    with pytest.raises(AssertionError, match=r"'admin': expected 1, got True"):
        assert_context(response, {"admin": 1})  # True == 1, but not the same JSON
    with pytest.raises(AssertionError, match=r"'missing': expected 'x', got '<missing>'"):
        assert_context(response, {"missing": "x"})
    with pytest.raises(AssertionError, match=r"'level': unexpected"):
        assert_context(response, {"tenant": "t1", "admin": True}, exact=True)
    with pytest.raises(AssertionError, match="expected a valid response"):
        assert_context({**PETS, "context": {"x": None}}, {})
    simple = {"isAuthorized": True, "context": {"groups": ["a"]}}
    assert_context(simple, {"groups": ["a"]}, exact=True)


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_is_written_in_update_mode_then_compared(tmp_path: Path) -> None:
    snapshot = PolicySnapshot(tmp_path, "test_x", update=False)
    with pytest.raises(AssertionError, match=r"no policy snapshot test_x\.json yet"):
        snapshot(PETS)
    PolicySnapshot(tmp_path, "test_x", update=True)(PETS)
    stored = json.loads((tmp_path / "test_x.json").read_text())
    assert stored == normalise(PETS)
    snapshot(PETS)  # matches
    reordered = policy(("Deny", [f"{API}/GET/pets/secret"]), ("Allow", f"{API}/GET/pets/*"))
    snapshot(reordered)  # statement order and string-vs-list do not matter
    changed = policy(("Allow", f"{API}/GET/*"), ("Deny", f"{API}/GET/pets/secret"))
    with pytest.raises(AssertionError) as differs:
        snapshot(changed)
    message = str(differs.value)
    assert "policy differs from test_x.json" in message
    assert f'-          "{API}/GET/pets/*"' in message
    assert f'+          "{API}/GET/*"' in message


def test_snapshot_names_and_redaction(tmp_path: Path) -> None:
    snapshot = PolicySnapshot(tmp_path, "test_y[param 1]", update=True)
    response = {**PETS, "usageIdentifierKey": "sk_live_abc", "context": {"at": 123, "k": "v"}}
    snapshot(response, "admin", redact=["context.at", "no.such.path"])
    path = tmp_path / "test_y_param_1_-admin.json"
    text = path.read_text()
    assert "sk_live_abc" not in text
    assert json.loads(text)["context"] == {"at": "<redacted>", "k": "v"}
    assert json.loads(text)["usageIdentifierKey"] == "<redacted>"
    assert normalise(response)["usageIdentifierKey"] == "<redacted>"
    assert response["usageIdentifierKey"] == "sk_live_abc"  # the input is not changed


def test_snapshot_update_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UPDATE_ENV, "1")
    PolicySnapshot(tmp_path, "env")(PETS)
    assert (tmp_path / "env.json").exists()
    monkeypatch.setenv(UPDATE_ENV, "0")
    assert PolicySnapshot(tmp_path, "env").update is False


def test_bare_routes_belong_to_the_api_of_the_event_given_with_them() -> None:
    other = "arn:aws:execute-api:eu-west-1:210987654321:zzz999/beta"
    response = policy(("Allow", f"{other}/GET/*"))
    event = token_event(
        "GET /pets/1",
        "tok",
        region="eu-west-1",
        account_id="210987654321",
        api_id="zzz999",
        stage="beta",
    )
    results = assert_allows(response, event, "GET /pets/2")
    assert results[1].arn == f"{other}/GET/pets/2"
    assert_denies(response, "GET /pets/2")  # alone, a bare route is on the default API
    assert_allows(response, "GET /pets/2", api=f"{other}/GET/")
