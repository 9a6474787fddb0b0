"""Suite-wide guard: a secret a test registered must never show up in logs or output.

The package promises never to log a token, signature, key, API key or secret. Unit tests can
only check the log lines they think of; this guard checks every line the suite produced. At
session start a handler on the root logger records every log record of every level (the root
level is lowered to NOTSET for the run); stdout and stderr come from pytest's own capture (so
``-s`` disables that part), including what tests read back through ``capsys``/``capfd``. At
session end, if any registered secret appears anywhere, the run fails and the report names the
kind of secret, the test that registered it and where it appeared, never the secret itself.

Usage in a test: ``register_secret(token)`` (fixture from ``tests/conftest.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import traceback
import warnings
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest

#: Shorter values, or values made of fewer distinct characters ("s" * 40, an all-zero
#: signature), turn up by accident in unrelated output: they can't be checked reliably.
MIN_SECRET_LENGTH = 8
MIN_DISTINCT_CHARACTERS = 4

#: Their DEBUG records dump whole HTTP exchanges (a Cognito password, the tokens it returns):
#: third-party wire logs, not the code under test. Their INFO and above are still checked.
WIRE_LOGGERS = frozenset({"botocore", "boto3", "s3transfer", "urllib3"})

#: How the guard's failure is named in the report.
GUARD_NODE_ID = "redaction-guard"

_JWS = re.compile(r"([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*\.([A-Za-z0-9_-]+)")
_PEM_BODY_LINE = re.compile(r"^[A-Za-z0-9+/=]{16,}$", re.MULTILINE)
_STANDARD_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


class UndetectableSecretWarning(UserWarning):
    """A registered value can't be looked for without false alarms."""


@dataclass(frozen=True, slots=True)
class Secret:
    value: str
    kind: str
    registered_by: str


@dataclass(frozen=True, slots=True)
class Leak:
    """One secret found in one place; carries no secret material."""

    kind: str
    registered_by: str
    where: str


class RedactionGuard:
    """A pytest plugin object: one per test session (``pytester`` sessions get their own)."""

    def __init__(self) -> None:
        self._secrets: dict[str, Secret] = {}
        self._captured: defaultdict[str, list[str]] = defaultdict(list)
        self._where = "outside tests"
        self._handler = _RecordingHandler(self)
        self._root_level: int | None = None

    # --- registration ------------------------------------------------------------------------

    def register(self, value: str | bytes, kind: str | None = None) -> str | bytes:
        """Remember ``value`` as secret; returns it, so ``t = register_secret(mint())`` works.

        A JWT also registers its signature segment; a PEM key registers each line of its body
        (a fragment of a key is as bad as the key); bytes that are not text register their hex
        and base64 forms, the ways they would end up in a log. A value too short or too uniform
        to be told apart from ordinary output is not checked, with a warning; such a derived
        form (an all-zero signature of a test token) is skipped silently.
        """
        for text, label, derived in _forms(value, kind):
            problem = _undetectable(text)
            if problem is None:
                self._secrets.setdefault(text, Secret(text, label, self._where))
            elif not derived:
                message = f"{label} not checked: {problem}; use a random test value"
                warnings.warn(UndetectableSecretWarning(message), stacklevel=2)
        return value

    # --- capture -----------------------------------------------------------------------------

    def capture(self, source: str, text: str) -> None:
        if text:
            self._captured[f"{self._where} ({source})"].append(text)

    def watch(self, fixture: pytest.CaptureFixture[Any]) -> pytest.CaptureFixture[Any]:
        """Also check what a test reads back through ``capsys``/``capfd``: pytest's report
        sections only get the output nobody read."""
        read = fixture.readouterr

        def readouterr() -> Any:
            result = read()
            for stream, read_back in (("stdout", result.out), ("stderr", result.err)):
                text = (
                    read_back.decode("utf-8", "replace")
                    if isinstance(read_back, bytes)
                    else read_back
                )
                self.capture(f"{stream} read by the test", text)
            return result

        setattr(fixture, "readouterr", readouterr)  # noqa: B010 - mypy forbids assigning a method
        return fixture

    def start(self) -> None:
        root = logging.getLogger()
        self._root_level = root.level
        root.addHandler(self._handler)
        root.setLevel(logging.NOTSET)

    def stop(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self._handler)
        if self._root_level is not None:
            root.setLevel(self._root_level)
            self._root_level = None

    def leaks(self) -> list[Leak]:
        found: list[Leak] = []
        for where, texts in self._captured.items():
            joined = "\n".join(texts)
            found.extend(
                Leak(secret.kind, secret.registered_by, where)
                for secret in self._secrets.values()
                if secret.value in joined
            )
        return found

    # --- pytest hooks ------------------------------------------------------------------------

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._where = nodeid

    def pytest_runtest_logfinish(self) -> None:
        self._where = "outside tests"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._capture_sections(report)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._capture_sections(report)

    def pytest_warning_recorded(self, warning_message: object) -> None:
        self.capture("warning", str(getattr(warning_message, "message", warning_message)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        leaks = self.leaks()
        if not leaks:
            return
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            # A failed report of its own: listed under FAILURES and counted in the final
            # "N passed, N failed" line like any other failure, by every plugin that reads stats.
            reporter.stats.setdefault("failed", []).append(_failure_report(leaks))

    def pytest_unconfigure(self) -> None:
        self.stop()

    def _capture_sections(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        # The call report repeats the setup sections and teardown repeats both: keyed by title,
        # the latest copy wins, so nothing is counted twice.
        for title, content in report.sections:
            if title.startswith(("Captured stdout", "Captured stderr")):
                self._captured[f"{report.nodeid} ({title})"] = [content]


def _failure_report(leaks: list[Leak]) -> pytest.TestReport:
    lines = [
        f"{leak.kind} registered by {leak.registered_by} appeared in {leak.where}" for leak in leaks
    ]
    return pytest.TestReport(
        nodeid=GUARD_NODE_ID,
        location=(GUARD_NODE_ID, None, "secrets leaked into logs or output"),
        keywords={},
        outcome="failed",
        longrepr="\n".join(lines),
        when="call",
    )


class _RecordingHandler(logging.Handler):
    def __init__(self, guard: RedactionGuard) -> None:
        super().__init__(logging.NOTSET)
        self._guard = guard

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO and record.name.partition(".")[0] in WIRE_LOGGERS:
            return
        try:
            self._guard.capture(f"log {record.levelname} {record.name}", _record_text(record))
        except Exception:  # a guard must never break the code under test
            self.handleError(record)


def _record_text(record: logging.LogRecord) -> str:
    """Everything a formatter could print: message, exception, stack and ``extra`` fields."""
    try:
        parts = [record.getMessage()]
    except Exception:  # a bad format string is the test's problem, not a reason to look away
        parts = [f"{record.msg!r} {record.args!r}"]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    extra = {k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_FIELDS}
    if extra:
        parts.append(repr(extra))
    return "\n".join(parts)


def _forms(value: str | bytes, kind: str | None) -> list[tuple[str, str, bool]]:
    """The strings to look for: (text, label safe to print, derived from ``value``)."""
    if isinstance(value, bytes):
        raw = value
        try:
            value = raw.decode("ascii")
        except UnicodeDecodeError:
            label = kind or "binary secret"
            return [
                (raw.hex(), f"{label} (hex)", False),
                (base64.b64encode(raw).decode().rstrip("="), f"{label} (base64)", False),
                (base64.urlsafe_b64encode(raw).decode().rstrip("="), f"{label} (base64url)", False),
            ]
    if "-----BEGIN" in value:
        label = kind or "PEM key"
        return [(value, label, False)] + [
            (line, f"{label} fragment", True) for line in _PEM_BODY_LINE.findall(value)
        ]
    jws = _JWS.fullmatch(value)
    if jws is not None and _is_json_object(jws.group(1)):
        label = kind or "JWT"
        return [(value, label, False), (jws.group(2), f"{label} signature", True)]
    return [(value, kind or "secret", False)]


def _undetectable(text: str) -> str | None:
    if len(text) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(text)) < MIN_DISTINCT_CHARACTERS:
        return f"fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    return None


def _is_json_object(segment: str) -> bool:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(decoded, dict)
