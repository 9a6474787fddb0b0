"""The benchmark scripts keep working: each runs in its ``--quick`` form (a smoke run whose
numbers mean nothing) in a fresh interpreter, as ``make bench`` runs them, and the report
lands between its markers in the document without touching the hand-written rest.
(``bench_jwt.py`` has its own smoke test in tests/validators/test_jwt.py.)"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature

from authorizers.authorizer import Authorizer
from authorizers.errors import Unauthorized
from authorizers.jwks import StaticJwks
from authorizers.testing.events import token_event
from authorizers.testing.issuer import DEFAULT_AUDIENCE, BrokenToken, TestIssuer
from authorizers.validators.jwt import JwtValidator

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
BEGIN = "<!-- bench:begin"
END = "<!-- bench:end -->"


def quick(script: str, *args: str) -> str:
    """Run ``benchmarks/<script> --quick``; its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AUTHORIZER"))}
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "warm.py",
            [
                "| raw `cryptography` RS256 verify |",
                "| ours: Authorizer.handler, new RS256 token |",
                "| ours: Authorizer.handler, repeated token |",
                "| Powertools auth_alpha JWTVerifier.authorize (TOKEN event) |",
                "| naive handler: PyJWKClient + decode + Logger + blueprint policy dict |",
                "| warm, new RS256 token through the whole handler | ≤ 2\u00d7 |",
                "| warm, repeated token through the whole handler | ≤ 0.25\u00d7 |",
                "| + the decision log line: `handler`, default |",
                "| hand-fused minimal handler (`floor_handler.py`) |",
                "| the product's work fused, with its models (`fused_handler.py`) |",
                "| the product's work fused, without models (`fused_handler.py`) |",
            ],
        ),
        ("node_verify.py", ["## Warm path (Node.js peer)"]),
        (
            "bench_policy.py",
            [
                "| compile 300 routes + broadest policy |",
                "| refusal, 1,600-byte ARN, 300 live patterns |",
                "| complete universe: compacted |",
            ],
        ),
        (
            "cold_start.py",
            [
                "| this interpreter (Python",
                "| ours |",
                "| naive |",
                "| cold start, default config, this interpreter (Python",
                "≤ 0.5\u00d7",
                "| top-level package | ours (ms) | naive (ms) |",
                "| authorizers |",
            ],
        ),
        (
            "memory.py",
            [
                "| ours |",
                "| naive |",
                "| peak RSS after the 1st authorization, default config | ≤ 0.75\u00d7 |",
                "| peak RSS after 20 distinct tokens, default config | ≤ 0.8\u00d7 |",
            ],
        ),
        (
            "dpop_check.py",
            ["| bearer: JwtValidator.validate, new RS256 token |", "| DPoP: same token, new"],
        ),
        (
            "jwks_traffic.py",
            [
                "| known kid | 200 in 100 s | 1 | ≤ 1 | ok | allow 200 |",
                "| invented kids (flood) | 200 in 100 s |",
                "| IdP down from the start (HTTP 503) | 200 in 1,000 s |",
            ],
        ),
        (
            "revocation.py",
            [
                "| + RevocationCheck (cached answers) |",
                "| IntrospectionValidator.introspect, repeated token |",
                "| introspection requests (cache_ttl 60 s) | 200 | 1,000 | ok |",
            ],
        ),
    ],
)
def test_each_script_runs_quick(script: str, expected: list[str]) -> None:
    output = quick(script)
    assert output.startswith("## ")
    for line in expected:
        assert line in output
    assert "**over**" not in output  # JWKS fetches stay within what the cache policy allows
    for row in (r for r in output.splitlines() if r.startswith("| raw ")):
        assert row.endswith("| 1.00 |")  # every floor is its own unit
    if script == "node_verify.py":  # measured, or skipped because nothing may be installed
        assert "| aws-jwt-verify `verifySync`, RS256 |" in output or "Skipped: " in output


def test_the_report_replaces_only_its_block(tmp_path: Path) -> None:
    document = tmp_path / "performance.md"
    document.write_text(
        f"# Performance\n\nHand-written method.\n\n{BEGIN} old -->\nstale numbers\n{END}\n\n"
        "## Changes\n\nHand-written history.\n"
    )
    printed = quick("bench_report.py", "--output", str(document))
    text = document.read_text()
    assert text.startswith("# Performance\n\nHand-written method.\n\n")
    assert text.endswith(f"{END}\n\n## Changes\n\nHand-written history.\n")
    assert "stale numbers" not in text
    assert text.count(BEGIN) == text.count(END) == 1
    for title in ("## Budget verdicts", "## Warm path (Python)", "## Cold start", "## Memory"):
        assert title in text
    assert "## JWKS traffic" in text and "## Machine and versions" in text
    assert str(REPO) not in printed and str(Path.home()) not in text  # no path of this machine


# -- the fused handler measures the product's work, not less -------------------------------


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any, Any]:
    """(issuer, the product's Authorizer, the fused handler with and without models)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    from fused_handler import fused_handler  # noqa: PLC0415 - a benchmark module

    issuer = TestIssuer(key_type="RSA")
    validator = JwtValidator(
        issuer=issuer.issuer, keys=StaticJwks(issuer.jwks), audience=DEFAULT_AUDIENCE
    )
    return (
        issuer,
        Authorizer(validator),
        fused_handler(validator),
        fused_handler(validator, models=False),
    )


def _logged(call: Any, event: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        result = call(event)
    record = json.loads(stream.getvalue())
    for name in ("timestamp", "latency_ms", "DecisionLatency"):
        record.pop(name)
    record["_aws"].pop("Timestamp")
    return result, record


def test_the_fused_handler_answers_and_logs_as_the_product_does(handlers: Any) -> None:
    issuer, product, fused, bare = handlers
    routes = ["GET /v1/customers/8f3a2b10/items", "POST /v1/orders", "DELETE /a"]
    for index, route in enumerate(routes * 2):
        for in_path in (False, True):
            token = issuer.mint(subject=f"user-{index}", scope="read write")  # new each time
            signature = token.split(".")[2]
            path = f"GET /v1/{signature}/x" if in_path else route  # a token sent in the URL
            event = token_event(path, f"Bearer {token}" if index % 2 else token)
            expected, expected_line = _logged(product.handler, event)
            if in_path:  # the product masks it: the fused handlers must do that work too
                assert "[redacted]" in expected_line["route"]
                assert signature not in expected_line["route"]
            for handler in (fused, bare):
                answer, line = _logged(handler, dict(event))
                assert answer == expected
                assert line == expected_line


@pytest.mark.parametrize(
    "kind", [BrokenToken.EXPIRED, BrokenToken.BAD_SIGNATURE, BrokenToken.WRONG_ALG,
             BrokenToken.MISSING_KID, BrokenToken.NOT_YET_VALID, BrokenToken.FOREIGN_KEY],
)  # fmt: skip
def test_the_fused_handler_refuses_what_the_product_refuses(
    handlers: Any, kind: BrokenToken
) -> None:
    issuer, product, fused, bare = handlers
    event = token_event("GET /v1/orders", issuer.mint_broken(kind))
    refusals = (ValueError, Unauthorized, InvalidSignature)  # never an answer
    with contextlib.redirect_stdout(io.StringIO()):
        with pytest.raises(Exception, match="Unauthorized"):
            product.handler(event)
        for handler in (fused, bare):
            with pytest.raises(refusals):
                handler(event)
    with contextlib.redirect_stdout(io.StringIO()):
        wrong_audience = token_event("GET /x", issuer.mint(audience="https://other.example"))
        for handler in (fused, bare):
            with pytest.raises(Unauthorized):
                handler(wrong_audience)
