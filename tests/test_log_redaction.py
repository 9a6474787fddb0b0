"""The redaction guard really fails a run that leaks a registered secret, and says so safely.

Each test runs a small inner suite with the real ``tests/conftest.py`` through ``pytester``.
"""

from __future__ import annotations

import logging
import secrets
import textwrap
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from redaction import RedactionGuard, UndetectableSecretWarning

TESTS_DIR = Path(__file__).resolve().parent
TOKEN = jwt.encode({"sub": "alice"}, secrets.token_hex(32), algorithm="HS256")
SIGNATURE = TOKEN.rsplit(".", 1)[1]
API_KEY = "ak_" + secrets.token_urlsafe(24)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest((TESTS_DIR / "conftest.py").read_text())
    pytester.syspathinsert(TESTS_DIR)
    return pytester


def run(suite: pytest.Pytester, source: str) -> pytest.RunResult:
    suite.makepyfile(test_inner=textwrap.dedent(source))
    result = suite.runpytest_inprocess()
    output = result.stdout.str() + result.stderr.str()
    assert TOKEN not in output and SIGNATURE not in output and API_KEY not in output
    return result


def test_a_logged_token_fails_the_run_and_the_report_names_kind_and_place(
    suite: pytest.Pytester,
) -> None:
    result = run(
        suite,
        f"""
        import logging

        def test_leaks(register_secret):
            register_secret({TOKEN!r})
            logging.getLogger("app.auth").debug("checking %s", {TOKEN!r})
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*secrets leaked into logs or output*",
            "JWT registered by test_inner.py::test_leaks appeared in "
            "test_inner.py::test_leaks (log DEBUG app.auth)",
            "JWT signature registered by test_inner.py::test_leaks appeared in *",
            "FAILED redaction-guard*",
        ]
    )
    assert result.parseoutcomes() == {"passed": 1, "failed": 1}
    assert result.outlines[-1].strip("= ").startswith("1 failed, 1 passed in")


def test_a_signature_alone_on_stderr_is_caught(suite: pytest.Pytester) -> None:
    result = run(
        suite,
        f"""
        import sys

        def test_prints_signature(register_secret):
            register_secret({TOKEN!r})
            print("sig:", {SIGNATURE!r}, file=sys.stderr)
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["JWT signature registered by * (Captured stderr call)"])


def test_output_a_test_reads_back_through_capsys_or_capfd_is_checked(
    suite: pytest.Pytester,
) -> None:
    result = run(
        suite,
        f"""
        import os

        def test_capsys(capsys, register_secret):
            print(register_secret({API_KEY!r}, "API key"))
            assert capsys.readouterr().out.strip() == {API_KEY!r}

        def test_capfdbinary(capfdbinary, register_secret):
            os.write(2, register_secret({TOKEN!r}).encode())
            assert capfdbinary.readouterr().err.decode() == {TOKEN!r}
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random(
        [
            "API key registered by * appeared in *test_capsys (stdout read by the test)",
            "JWT registered by * appeared in *test_capfdbinary (stderr read by the test)",
        ]
    )


def test_a_secret_registered_after_it_was_printed_elsewhere_is_caught(
    suite: pytest.Pytester,
) -> None:
    result = run(
        suite,
        f"""
        def test_prints():
            print("key", {API_KEY!r})

        def test_registers_later(register_secret):
            register_secret({API_KEY!r}, "API key")
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "API key registered by test_inner.py::test_registers_later appeared in "
            "test_inner.py::test_prints (Captured stdout call)"
        ]
    )


def test_exception_text_and_structured_extra_fields_are_checked(suite: pytest.Pytester) -> None:
    result = run(
        suite,
        f"""
        import logging

        log = logging.getLogger("app")

        def test_exception(register_secret):
            key = register_secret({API_KEY!r}, "API key")
            try:
                raise ValueError("bad key " + key)
            except ValueError:
                log.exception("lookup failed")

        def test_extra(register_secret):
            key = register_secret({API_KEY!r}, "API key")
            log.info("lookup", extra={{"api_key": key}})
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines_random(
        [
            "API key registered by * appeared in test_inner.py::test_exception (log ERROR app)",
            "API key registered by * appeared in test_inner.py::test_extra (log INFO app)",
        ]
    )


def test_a_fragment_of_a_private_key_pem_is_caught(suite: pytest.Pytester) -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    fragment = pem.splitlines()[2]
    result = run(
        suite,
        f"""
        import logging

        def test_key(register_secret):
            register_secret({pem!r}, "signing key")
            logging.getLogger("app").warning("loaded %s", {fragment!r})
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert fragment not in result.stdout.str()
    result.stdout.fnmatch_lines(["signing key fragment registered by *"])


def test_a_binary_hmac_secret_is_caught_in_hex(suite: pytest.Pytester) -> None:
    key = bytes(range(200, 232))
    result = run(
        suite,
        f"""
        def test_hmac(register_secret):
            register_secret({key!r}, "HMAC secret")
            print({key.hex()!r})
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["HMAC secret (hex) registered by *"])


def test_redacted_output_passes_and_third_party_wire_debug_logs_are_ignored(
    suite: pytest.Pytester,
) -> None:
    result = run(
        suite,
        f"""
        import logging

        def test_clean(register_secret):
            token = register_secret({TOKEN!r})
            header_and_claims = token.rsplit(".", 1)[0]  # not secret: no signature
            logging.getLogger("app").info("token %s.<redacted>", header_and_claims)
            logging.getLogger("botocore.endpoint").debug("request body %s", token)
            print("kid=abc reason=expired")
        """,
    )
    assert result.ret == pytest.ExitCode.OK
    assert result.parseoutcomes() == {"passed": 1}


def test_third_party_loggers_are_still_checked_from_info_up(suite: pytest.Pytester) -> None:
    result = run(
        suite,
        f"""
        import logging

        def test_wire(register_secret):
            logging.getLogger("urllib3").warning("%s", register_secret({API_KEY!r}))
        """,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_exit_code_of_a_real_pytest_process_is_a_failure(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR))
    suite.makepyfile(
        test_inner=f"""
        def test_leaks(register_secret):
            print(register_secret({API_KEY!r}))
        """
    )
    result = suite.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert API_KEY not in result.stdout.str()
    assert result.outlines[-1].strip("= ").startswith("1 failed, 1 passed in")


def test_the_root_logger_is_put_back_after_the_session() -> None:
    root = logging.getLogger()
    before_level, before_handlers = root.level, list(root.handlers)
    guard = RedactionGuard()
    guard.start()
    assert root.level == logging.NOTSET
    guard.stop()
    assert (root.level, root.handlers) == (before_level, before_handlers)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("short", "shorter than 8"), (b"tiny", "shorter than 8"), ("s" * 40, "fewer than 4")],
)
def test_values_too_short_or_uniform_to_detect_reliably_are_not_checked_with_a_warning(
    value: str | bytes, problem: str
) -> None:
    guard = RedactionGuard()
    with pytest.warns(UndetectableSecretWarning, match=problem):
        assert guard.register(value) == value
    guard.capture("log", f"text with {value!r} in it")
    assert guard.leaks() == []


def test_an_all_zero_signature_of_a_test_token_is_skipped_but_the_token_is_checked() -> None:
    header_and_claims = TOKEN.rsplit(".", 1)[0]
    zero_signed = f"{header_and_claims}.{'A' * 43}"
    guard = RedactionGuard()
    guard.register(zero_signed, "forged token")
    guard.capture("stdout", "A" * 100)
    assert guard.leaks() == []
    guard.capture("stdout", f"Bearer {zero_signed}")
    assert [leak.kind for leak in guard.leaks()] == ["forged token"]
