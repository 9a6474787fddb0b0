"""Golden policy snapshots: the response an authorizer gives, kept as reviewed JSON files.

A policy is security-relevant output; a snapshot turns every change to it into a visible diff
in review. Snapshots compare *meaning*, not formatting: statements, actions and resources are
sorted and single values become lists, because API Gateway does not care about their order.
``usageIdentifierKey`` (an API key) is always redacted, so no secret lands in the repository.

Update with ``pytest --update-policy-snapshots`` or ``AUTHORIZERS_UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

UPDATE_ENV = "AUTHORIZERS_UPDATE_SNAPSHOTS"
REDACTED = "<redacted>"
ALWAYS_REDACTED = ("usageIdentifierKey",)


def update_requested() -> bool:
    return os.environ.get(UPDATE_ENV, "").strip().lower() in ("1", "true", "yes")


def normalise(response: Mapping[str, Any], redact: Iterable[str] = ()) -> dict[str, Any]:
    """A canonical copy: sorted statements, list-valued Action/Resource, redacted paths
    (dotted, e.g. ``"context.issuedAt"``)."""
    result: dict[str, Any] = copy.deepcopy(dict(response))
    document = result.get("policyDocument")
    if isinstance(document, dict) and isinstance(document.get("Statement"), list):
        statements = document["Statement"]
        for statement in statements:  # a deep copy: changed in place
            if isinstance(statement, dict):
                for member in ("Action", "Resource", "NotAction", "NotResource"):
                    value = statement.get(member)
                    if isinstance(value, str | list):
                        statement[member] = sorted([value] if isinstance(value, str) else value)
        document["Statement"] = sorted(statements, key=lambda s: json.dumps(s, sort_keys=True))
    for path in (*ALWAYS_REDACTED, *redact):
        *parents, leaf = path.split(".")
        node: Any = result
        for name in parents:
            node = node.get(name) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            node[leaf] = REDACTED
    return result


def render(response: Mapping[str, Any], redact: Iterable[str] = ()) -> str:
    return json.dumps(normalise(response, redact), indent=2, sort_keys=True) + "\n"


class PolicySnapshot:
    """Compares responses with JSON files in ``directory`` named ``<prefix>[-<name>].json``."""

    def __init__(self, directory: str | Path, prefix: str = "", *, update: bool | None = None):
        self.directory = Path(directory)
        self.prefix = prefix
        self.update = update_requested() if update is None else update

    def path(self, name: str = "") -> Path:
        stem = "-".join(part for part in (self.prefix, name) if part) or "snapshot"
        return self.directory / (re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_") + ".json")

    def assert_match(
        self, response: Mapping[str, Any], name: str = "", *, redact: Iterable[str] = ()
    ) -> None:
        """Fail with a diff if ``response`` differs from the stored snapshot (or none exists);
        in update mode, write it instead."""
        path = self.path(name)
        actual = render(response, redact)
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        how = f"run pytest with --update-policy-snapshots (or {UPDATE_ENV}=1)"
        if not path.exists():
            raise AssertionError(f"no policy snapshot {path.name} yet: {how} to create it")
        expected = path.read_text(encoding="utf-8")
        if expected != actual:
            diff = difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path.name} (snapshot)",
                tofile="response",
            )
            raise AssertionError(
                f"policy differs from {path.name}; {how} if intended:\n" + "".join(diff)
            )

    __call__ = assert_match
