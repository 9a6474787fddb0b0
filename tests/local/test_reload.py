"""``authorizers serve --reload``: an edited authorizer (or a module it imports) answers the next
request with the new code, its cached results gone; unchanged code is left alone."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import requests

from authorizers.local.gateway import LocalGateway
from authorizers.local.reload import CodeWatcher, fingerprint
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Authz:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: authz/, Handler: app.handler, Runtime: python3.13}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: backend/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Hello: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /hello, Method: GET}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Auth:
        DefaultAuthorizer: Token
        Authorizers:
          Token:
            FunctionArn: !GetAtt Authz.Arn
            Identity: {Header: Authorization, ReauthorizeEvery: 300}
"""

AUTHORIZER = """
from rules import EFFECT

def handler(event, context):
    return {
        "principalId": "user",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": EFFECT, "Action": "execute-api:Invoke", "Resource": "*"}]},
    }
"""

BACKEND = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
"""


def _write(path: Path, text: str) -> None:
    """Write and move the mtime forward: a file system's clock may be coarser than the test."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def _project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    _write(tmp_path / "authz" / "app.py", AUTHORIZER)
    _write(tmp_path / "authz" / "rules.py", 'EFFECT = "Allow"\n')
    _write(tmp_path / "backend" / "app.py", BACKEND)
    return tmp_path / "template.yaml"


def test_an_edit_restarts_only_the_changed_function_and_clears_the_cache(tmp_path):
    gateway = LocalGateway(load_template(_project(tmp_path)))
    reloaded: list[list[str]] = []
    watcher = CodeWatcher(gateway, on_reload=reloaded.append)
    headers = {"Authorization": "Bearer t"}
    with LocalServer(gateway) as server, requests.Session() as http:
        url = server.url + "/Api/hello"
        assert http.get(url, headers=headers, timeout=10).status_code == 200
        assert watcher.poll() == []  # nothing changed: nothing restarts
        _write(tmp_path / "authz" / "rules.py", 'EFFECT = "Deny"\n')  # a module it imports
        assert watcher.poll() == ["Authz"]
        denied = http.get(url, headers=headers, timeout=10)
        assert denied.status_code == 403  # not the cached Allow, not the old module
        assert gateway.records[-1].cache == "miss"
        _write(tmp_path / "authz" / "rules.py", 'EFFECT = "Allow"\n')
        (tmp_path / "backend" / "extra.txt").write_text("new file")
        assert sorted(watcher.poll()) == ["Authz", "Backend"]
        assert http.get(url, headers=headers, timeout=10).status_code == 200
    assert reloaded == [["Authz"], ["Authz", "Backend"]]


def test_the_poll_loop_uses_the_injected_wait(tmp_path):
    gateway = LocalGateway(load_template(_project(tmp_path)))
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        """The loop's clock: an edit lands during the first wait, the second one stops it."""
        waits.append(seconds)
        if len(waits) == 1:
            _write(tmp_path / "authz" / "app.py", AUTHORIZER + "\n# edited\n")
        return len(waits) > 1

    reloaded: list[list[str]] = []
    watcher = CodeWatcher(gateway, interval=0.25, on_reload=reloaded.append)
    watcher.start(wait=wait)
    watcher.stop()
    assert waits == [0.25, 0.25] and reloaded == [["Authz"]]


def test_a_fingerprint_is_bounded_and_skips_caches(tmp_path):
    for index in range(5):
        (tmp_path / f"m{index}.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m0.pyc").write_bytes(b"\0")
    assert len(fingerprint(tmp_path)) == 5
    assert len(fingerprint(tmp_path, max_files=3)) == 3
