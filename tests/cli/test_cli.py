"""The ``authorizers`` command, run as a new user would: the installed console script, in a
fresh directory, checked by exit code and output."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from helpers import SCRIPT

from authorizers import ApiKeyValidator
from authorizers.cli import CliError, main
from authorizers.cli.revoke import parse_time
from authorizers.event_parsing import parse_event
from authorizers.keystores import StaticKeyStore
from authorizers.testing import request_event

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"


def run(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [SCRIPT, *args],
        check=False,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


class InProcess:
    """``main()`` in this process (fast, for error matrices): same exit codes and output."""

    def __init__(self, cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
        self.cwd, self.monkeypatch, self.capsys = cwd, monkeypatch, capsys

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.monkeypatch.chdir(self.cwd)
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> InProcess:
    return InProcess(tmp_path, monkeypatch, capsys)


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


POLICY = {
    "principalId": "user-1",
    "policyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{API}/GET/pets/*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{API}/GET/pets/x"},
        ],
    },
    "context": {"tenant": "t1"},
}


# --- the command itself --------------------------------------------------------------------


def test_help_lists_every_command(tmp_path: Path) -> None:
    """Quick by construction, not by a timed assertion: the next test checks that ``--help``
    imports none of the heavy modules."""
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("simulate", "invoke", "mint", "events"):
        assert command in result.stdout
    assert "Exit codes" in result.stdout


def test_help_does_not_import_the_heavy_modules() -> None:
    code = (
        "import sys; from authorizers.cli import main; main(['--help']);"
        "print(sorted(m for m in ('cryptography', 'jwt', 'boto3', 'requests') if m in sys.modules),"
        " file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", ["simulate", "invoke", "mint", "events"])
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = run(tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: authorizers {command}")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run(tmp_path).returncode == 2
    unknown = run(tmp_path, "frobnicate")
    assert unknown.returncode == 2
    assert "invalid choice: 'frobnicate'" in unknown.stderr


# --- simulate ------------------------------------------------------------------------------


def test_simulate_allow_exits_0_and_explains(tmp_path: Path) -> None:
    response = write_json(tmp_path / "response.json", POLICY)
    result = run(tmp_path, "simulate", "response.json", "GET /pets/1", f"{API}/GET/pets/2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("allow (200)") == 2
    assert "decided by Statement[0]" in result.stdout
    assert response.exists()


def test_simulate_deny_exits_1(tmp_path: Path) -> None:
    write_json(tmp_path / "response.json", POLICY)
    result = run(tmp_path, "simulate", "response.json", "GET /pets/1", "GET /pets/x", "POST /pets")
    assert result.returncode == 1
    lines = result.stdout
    assert "explicit_deny (403)" in lines and "implicit_deny (403)" in lines


def test_simulate_evaluates_conditions_with_given_keys(tmp_path: Path, cli: InProcess) -> None:
    condition = {"StringEquals": {"aws:UserAgent": "curl/8"}}
    deny = {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": f"{API}/*"}
    allow = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{API}/*"}
    document = {"Version": "2012-10-17", "Statement": [allow, deny | {"Condition": condition}]}
    write_json(tmp_path / "r.json", {"principalId": "u", "policyDocument": document})
    assert cli("simulate", "r.json", "GET /x").returncode == 1  # key unknown: the Deny applies
    for agent, code in (("curl/8", 1), ("wget", 0)):
        result = cli("simulate", "r.json", "GET /x", "--condition-key", f"aws:UserAgent={agent}")
        assert result.returncode == code, agent


def test_simulate_reads_stdin_and_prints_json(tmp_path: Path) -> None:
    result = run(tmp_path, "simulate", "--json", "-", "GET /pets/1", stdin=json.dumps(POLICY))
    assert result.returncode == 0
    summary = json.loads(result.stdout)
    assert summary["decision"] == "allow"
    assert summary["context"] == {"tenant": "t1", "principalId": "user-1"}
    assert summary["statement_index"] == 0


def test_simulate_invalid_response_exits_1_with_reasons(tmp_path: Path, cli: InProcess) -> None:
    write_json(tmp_path / "bad.json", {**POLICY, "context": {"groups": ["a"]}})
    result = cli("simulate", "bad.json", "GET /pets/1")
    assert result.returncode == 1
    assert "invalid (500)" in result.stdout
    assert "context['groups'] is list" in result.stdout


def test_simulate_other_api_and_options(tmp_path: Path, cli: InProcess) -> None:
    china = "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/"
    policy = {
        **POLICY,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "execute-api:*", "Resource": china + "*"}],
        },
    }
    write_json(tmp_path / "r.json", policy)
    assert cli("simulate", "r.json", "GET /a", "--api", china).returncode == 1
    result = cli("simulate", "r.json", "GET /a", "--api", china, "--actions", "iam")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "GET /x"], "cannot read missing.json"),
        (["notjson.txt", "GET /x"], "notjson.txt is not valid JSON"),
        (["r.json", "fetch /x"], "is not 'VERB /path'"),
        (["r.json", "arn:aws:s3:::bucket"], "not an execute-api ARN"),
        (["r.json", "GET /x", "--api-kind", "soap"], "invalid choice: 'soap'"),
    ],
)
def test_simulate_input_errors_exit_2(
    tmp_path: Path, cli: InProcess, args: list[str], message: str
) -> None:
    write_json(tmp_path / "r.json", POLICY)
    (tmp_path / "notjson.txt").write_text("{nope")
    result = cli("simulate", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# --- mint ----------------------------------------------------------------------------------


def test_mint_generates_saves_and_publishes_a_key(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "mint",
        "--save-key", "key.pem",
        "--jwks-out", "jwks.json",
        "--subject", "alice",
        "--scope", "pets:read", "--scope", "pets:write",
        "--claim", "tenant=t1", "--claim", "level=3", "--claim", 'roles=["a"]',
        "--claims", '{"email": "alice@example.com"}',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert "\n" not in token and token.count(".") == 2  # stdout is the token alone
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    claims = jwt.decode(
        token, jwt.PyJWK(jwks["keys"][0]), algorithms=["RS256"], audience="https://api.example.test"
    )
    assert claims["sub"] == "alice"
    assert claims["scope"] == "pets:read pets:write"
    assert (claims["tenant"], claims["level"], claims["roles"]) == ("t1", 3, ["a"])
    assert claims["email"] == "alice@example.com"
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert "PRIVATE KEY" in (tmp_path / "key.pem").read_text()
    assert "d" not in jwks["keys"][0]

    again = run(tmp_path, "mint", "--key", "key.pem", "--expires-in", "60", "--no-audience")
    assert again.returncode == 0
    header = jwt.get_unverified_header(again.stdout.strip())
    assert header["kid"] == jwks["keys"][0]["kid"]  # the thumbprint: stable across runs
    assert "aud" not in jwt.decode(again.stdout.strip(), options={"verify_signature": False})


def test_mint_ec_and_broken_tokens(tmp_path: Path) -> None:
    result = run(tmp_path, "mint", "--key-type", "EC", "--alg", "ES384", "--jwks-out", "j.json")
    assert result.returncode == 0
    assert json.loads((tmp_path / "j.json").read_text())["keys"][0]["crv"] == "P-384"
    broken = run(tmp_path, "mint", "--broken", "alg_none")
    assert jwt.get_unverified_header(broken.stdout.strip())["alg"] == "none"
    assert "neither saved" in broken.stderr  # an unverifiable token is pointed out


def test_mint_from_json_file_and_headers(tmp_path: Path, cli: InProcess) -> None:
    write_json(tmp_path / "claims.json", {"custom:role": "admin"})
    result = cli("mint", "--key-type", "EC", "--claims", "@claims.json", "--header", "typ=at+jwt")
    assert result.returncode == 0
    token = result.stdout.strip()
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert jwt.decode(token, options={"verify_signature": False})["custom:role"] == "admin"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "nope.pem"], "cannot read nope.pem"),
        (["--key", "garbage.pem"], "is not an unencrypted PEM private key"),
        (["--claim", "novalue"], "--claim 'novalue' is not NAME=VALUE"),
        (["--claims", "[1]"], "--claims must be a JSON object"),
        (["--claims", "{bad"], "--claims is not valid JSON"),
        (["--key-type", "EC", "--alg", "RS256"], "does not fit key type EC"),
        (["--key-type", "DSA"], "invalid choice: 'DSA'"),
        (["--jwks-out", "no/such/dir/j.json"], "cannot write no/such/dir/j.json"),
    ],
)
def test_mint_input_errors_exit_2(
    tmp_path: Path, cli: InProcess, args: list[str], message: str
) -> None:
    (tmp_path / "garbage.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n")
    result = cli("mint", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # no token when something was wrong


def test_main_can_be_called_in_process(cli: InProcess, tmp_path: Path) -> None:
    write_json(tmp_path / "r.json", POLICY)
    assert "allow (200)" in cli("simulate", "r.json", "GET /pets/1").stdout
    assert cli("simulate", "--bogus").returncode == 2


# --- invoke and events ----------------------------------------------------------------------

HANDLER_MODULE = textwrap.dedent(
    """
    def handler(event, context):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        token = event.get("authorizationToken") or headers.get("authorization")
        if token != "Bearer good":
            raise Exception("Unauthorized")
        assert context.aws_request_id and context.get_remaining_time_in_millis() > 0
        arn = event.get("methodArn") or event["routeArn"]
        return {
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": arn}
            ]},
        }

    def broken(event, context):
        raise RuntimeError("boom " + str(event.get("authorizationToken")))

    not_callable = 42
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(HANDLER_MODULE)
    return tmp_path


def test_invoke_generated_event_and_checks(project: Path) -> None:
    result = run(project, "invoke", "app:handler", "--kind", "token", "--token", "Bearer good")
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout[: result.stdout.index("\nallow")])
    assert response["principalId"] == "user-1"
    assert f"allow (200) for {API}/GET/pets/1 [rest]" in result.stdout
    checked = run(
        project, "invoke", "app.py:handler", "--kind", "token", "--token", "Bearer good",
        "--route", "GET /pets/7", "--check", "GET /pets/8",
    )  # fmt: skip
    assert checked.returncode == 1  # the method-scoped policy does not cover /pets/8
    assert f"implicit_deny (403) for {API}/GET/pets/8" in checked.stdout


@pytest.fixture
def isolated_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process ``invoke`` adds the project to sys.path and imports ``app``: undo both."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "app", raising=False)


@pytest.mark.usefixtures("isolated_imports")
@pytest.mark.parametrize("kind", ["request", "http-v1", "http-v2", "websocket"])
def test_invoke_every_event_kind(project: Path, cli: InProcess, kind: str) -> None:
    result = cli("invoke", "app:handler", "--kind", kind, "--token", "Bearer good", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["results"][0]["decision"] == "allow"


def test_invoke_unauthorized_and_crash(project: Path) -> None:
    denied = run(project, "invoke", "app:handler", "--kind", "token", "--token", "Bearer nope")
    assert denied.returncode == 1
    assert denied.stdout.startswith("raised Exception('Unauthorized')\nunauthorized (401)")
    crash = run(project, "invoke", "app:broken", "--kind", "token", "--token", "Bearer s3cr3t")
    assert crash.returncode == 1
    assert "raised RuntimeError" in crash.stdout and "invalid (500)" in crash.stdout
    assert "s3cr3t" not in crash.stdout + crash.stderr  # the message may hold the token
    shown = run(
        project,
        "invoke",
        "app:broken",
        "--kind",
        "token",
        "--token",
        "Bearer s3cr3t",
        "--traceback",
    )
    assert "RuntimeError: boom Bearer s3cr3t" in shown.stderr  # only when asked


def test_invoke_event_from_a_file_and_from_events(project: Path) -> None:
    sample = run(project, "events", "http-v2", "--token", "Bearer good", "--route", "POST /orders")
    (project / "event.json").write_text(sample.stdout)
    result = run(project, "invoke", "app:handler", "--event", "event.json", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["arn"].endswith("/$default/POST/orders")
    piped = run(project, "invoke", "app:handler", "--event", "-", stdin=sample.stdout)
    assert piped.returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["app:missing", "--kind", "token"], "app has no attribute 'missing'"),
        (["app:not_callable", "--kind", "token"], "app:not_callable is not callable"),
        (["nomodule:handler", "--kind", "token"], "cannot import nomodule: ModuleNotFoundError"),
        (["other.py:handler", "--kind", "token"], "no such file: other.py"),
        (["app", "--kind", "token"], "is not 'module:function'"),
        (["app:handler", "--event", "nope.json"], "cannot read nope.json"),
        (["app:handler", "--event", "list.json"], "the event must be a JSON object"),
        (["app:handler", "--event", "odd.json"], "cannot evaluate"),
        (["app:handler", "--kind", "token", "--check", "pets"], "is not 'VERB /path'"),
        (["app:handler", "--kind", "request", "--header", "X"], "--header 'X' is not NAME=VALUE"),
        (["app:handler"], "one of the arguments --event --kind is required"),
    ],
)
@pytest.mark.usefixtures("isolated_imports")
def test_invoke_input_errors_exit_2(
    project: Path, cli: InProcess, args: list[str], message: str
) -> None:
    write_json(project / "list.json", [1])
    write_json(project / "odd.json", {"type": "TOKEN"})
    result = cli("invoke", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_events_prints_every_kind(tmp_path: Path) -> None:
    result = run(tmp_path, "events")
    assert result.returncode == 0
    events = json.loads(result.stdout)
    assert list(events) == ["token", "request", "http-v1", "http-v2", "websocket"]
    assert events["token"]["authorizationToken"] == "Bearer example-token"
    assert events["http-v2"]["version"] == "2.0"
    assert events["websocket"]["methodArn"].endswith("/prod/$connect")


def test_events_options(cli: InProcess) -> None:
    result = cli(
        "events", "request", "--route", "DELETE /pets/9", "--token", "",
        "--header", "X-Api-Key=k1", "--query", "a=1", "--query", "a=2",
        "--stage-variable", "env=test", "--api-id", "zzz111", "--stage", "beta",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    event = json.loads(result.stdout)
    assert (
        event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:zzz111/beta/DELETE/pets/9"
    )
    assert event["headers"]["X-Api-Key"] == "k1"
    assert "Authorization" not in event["headers"]
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["stageVariables"] == {"env": "test"}


def test_events_errors_exit_2(cli: InProcess) -> None:
    bad_route = cli("events", "token", "--route", "GET pets")
    assert bad_route.returncode == 2
    assert "route must look like 'GET /pets/1'" in bad_route.stderr
    missing = cli("events", "http-v2", "--identity-source", "$request.header.Nope")
    assert missing.returncode == 2
    assert "is missing or empty" in missing.stderr
    assert cli("events", "soap").returncode == 2


def test_api_key_new_prints_a_key_whose_hash_a_key_store_accepts(
    tmp_path: Path, register_secret: Callable[..., Any]
) -> None:
    result = run(tmp_path, "api-key", "new", "--prefix", "live_")
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    key = register_secret(issued["key"])
    assert key.startswith("live_") and len(key) >= 40
    assert issued["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    validator = ApiKeyValidator(StaticKeyStore({issued["key_hash"]: {"owner": "partner-a"}}))
    identity = validator.validate(parse_event(request_event("GET /x", headers={"x-api-key": key})))
    assert identity.principal_id == "partner-a"


def test_api_key_hash_reads_the_key_from_stdin_only(tmp_path: Path) -> None:
    result = run(tmp_path, "api-key", "hash", stdin="abc123\n")
    assert result.returncode == 0
    assert result.stdout.strip() == hashlib.sha256(b"abc123").hexdigest()
    empty = run(tmp_path, "api-key", "hash", stdin="")
    assert empty.returncode == 2
    assert "standard input" in empty.stderr
    assert run(tmp_path, "api-key", "hash", "abc123").returncode == 2  # never as an argument


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "1e9", "yesterday", "2026-12-07T10:00"])
def test_revoke_times_are_finite_epoch_seconds_or_iso_with_an_offset(text: str) -> None:
    """The same reading as a key record's times; ``float()`` used to let ``inf``/``nan`` pass
    and fail only at the write, as "could not write"."""
    with pytest.raises(CliError, match="--before"):
        parse_time(text, "--before", 1_700_000_000.0)


def test_revoke_times_that_are_read() -> None:
    now = 1_700_000_000.0
    assert parse_time("now", "--before", now) == now
    assert parse_time("1699999940.5", "--before", now) == 1_699_999_940.5
    assert parse_time("2023-11-14T22:13:20Z", "--before", now) == now
