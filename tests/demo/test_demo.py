"""``make demo``: one row per outcome a user must understand, from a clone or an installed copy."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from authorizers.cli import main
from authorizers.demo import TEMPLATE, Row, explain
from authorizers.demo.stack import API_KEY

REPO = Path(__file__).resolve().parents[2]

#: label -> (route, status, cache, reason, words of the sentence that explains it)
EXPECTED = {
    "alice's Cognito token": ("GET /RestApi/whoami", "200", "miss", "ok", "allowed"),
    "alice's token, another route": ("GET /RestApi/pets/7", "200", "hit",
                                     "cached response allows", "was not invoked"),
    "no Authorization header": ("GET /RestApi/whoami", "401", "-", "identity source missing",
                                "without invoking"),
    "expired token": ("GET /RestApi/whoami", "401", "miss", "expired", "refused the credential"),
    "token of another app client": ("GET /RestApi/whoami", "401", "miss", "wrong_audience",
                                    "refused the credential"),
    "bob's token (not an admin)": ("GET /RestApi/admin/users", "403", "miss",
                                   "insufficient_group", "does not allow this route"),
    "bob's token, another route": ("DELETE /RestApi/admin/reports", "403", "hit",
                                   "cached policy has no Allow", "From the result cache"),
    "carol's token (group admins)": ("GET /RestApi/admin/users", "200", "miss", "ok", "allowed"),
    "known API key": ("GET /RestApi/partner/whoami", "200", "miss", "ok", "allowed"),
    "unknown API key": ("GET /RestApi/partner/whoami", "401", "miss", "unknown_api_key",
                        "refused the credential"),
    "token of an unreachable OIDC provider": ("GET /RestApi/reports", "500", "miss",
                                              "key_unavailable", "answers 500"),
    "JWT with scope pets/read": ("GET /HttpApi/pets", "200", "miss", "ok", "isAuthorized: true"),
    "JWT without that scope": ("GET /HttpApi/pets", "403", "miss", "insufficient_scope",
                               "isAuthorized: false"),
    "token in the query": ("WebSocketApi $connect", "101", "miss", "ok", "WebSocket is open"),
    "no token": ("WebSocketApi $connect", "401", "-", "identity source missing",
                 "without invoking"),
}  # fmt: skip


def _rows(output: str) -> dict[str, tuple[list[str], str]]:
    """label -> (the row's cells, the sentence under it)."""
    lines = output.splitlines()
    rows = {}
    for line, below in zip(lines, [*lines[1:], ""], strict=True):
        label = next((label for label in EXPECTED if line.startswith(label + "  ")), None)
        if label is not None:
            cells = [cell.strip() for cell in line[len(label) :].split("  ") if cell.strip()]
            rows[label] = (cells, below.strip())
    return rows


def _check(output: str) -> None:
    rows = _rows(output)
    assert set(rows) == set(EXPECTED), output
    for label, (route, status, cache, reason, why) in EXPECTED.items():
        cells, sentence = rows[label]
        assert cells[0] == route and cells[1] == status, (label, cells)
        assert cache in cells and (reason in cells[-1]), (label, cells)
        assert sentence.startswith("why: ") and why in sentence, (label, sentence)


def test_the_demo_shows_every_outcome_with_its_route_and_why(capsys):
    assert main(["demo"]) == 0
    _check(capsys.readouterr().out)


def test_every_outcome_has_a_sentence_and_an_unknown_one_says_so():
    simple = {"JWT with scope pets/read", "JWT without that scope"}
    for label, (route, status, cache, reason, why) in EXPECTED.items():
        row = Row(label, route, int(status), cache=cache, reason=reason,
                  simple_response=label in simple)  # fmt: skip
        assert why in explain(row), label
    assert explain(Row("x", "GET /", 502)).startswith("Unexpected")


def test_the_published_demo_key_is_the_one_in_the_store():
    store = json.loads((TEMPLATE.parent / "configs" / "api_key.json").read_text())
    keys = store["validators"][0]["store"]["keys"]
    assert list(keys) == [hashlib.sha256(API_KEY.encode()).hexdigest()]


@pytest.mark.slow
def test_the_demo_runs_from_an_installed_copy_anywhere(tmp_path):
    """A wheel built from a copy of the source, unpacked, and run from an unrelated cwd: the
    demo needs nothing of the clone (its template and configs are package data)."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "authorizers", source / "authorizers", ignore=ignore)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), "."]
    subprocess.run(build, cwd=source, check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("authorizers-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "authorizers.demo"],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"The demo's API: {site / 'authorizers' / 'demo' / 'template.yaml'}" in result.stdout
    _check(result.stdout)
