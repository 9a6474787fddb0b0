"""The README's example is real code: it builds, and it answers like the README says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from authorizers.testing import CognitoTestIssuer, assert_unauthorized, token_event

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README lost its Python example"
    namespace: dict[str, Any] = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    return namespace


def test_the_readme_example_builds_without_network_and_exposes_a_handler() -> None:
    example = _example()
    assert callable(example["handler"])


@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
def test_the_readme_authorizer_answers_401_to_a_missing_or_bad_token(header: str | None) -> None:
    handler = _example()["handler"]
    assert_unauthorized(handler, token_event("GET /pets/1", header or ""))


def test_the_readme_authorizer_rejects_a_token_of_another_pool_without_fetching_keys() -> None:
    other_pool = CognitoTestIssuer("eu-west-1_Other1234", ["4h3q9examplec1ient1d"])
    handler = _example()["handler"]
    token = other_pool.access_token(scopes=["pets/write"])
    assert_unauthorized(handler, token_event("POST /pets", f"Bearer {token}"))
