"""What every benchmark script shares: CPU timing in interleaved rounds, ratio and budget
tables, the facts about the machine, runs in fresh interpreters.

Why CPU time of the measuring thread (or child process): the benchmark machines are shared and
busy, and wall time would mostly measure the neighbours. Why interleaved rounds: noise that
lasts seconds then hits every case alike, so the ratio of two medians taken in one run holds
still while the absolute numbers wander. Compare ratios, not microseconds.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The line a child process prints its measurements on (the rest of its output is ignored).
RESULT_MARKER = "BENCH-RESULT "
#: Packages whose versions each report names.
PACKAGES = ("pyjwt", "cryptography", "requests", "cachetools", "aws-lambda-powertools")
#: The multiplication sign of ratios.
TIMES = "\u00d7"


# -- timing -------------------------------------------------------------------------------


def cpu_micros(call: Callable[[Any], object], inputs: Sequence[Any]) -> float:
    """CPU time of this thread per item, in µs, for ``call(item)`` over ``inputs``."""
    start = time.thread_time_ns()
    for item in inputs:
        call(item)
    return (time.thread_time_ns() - start) / len(inputs) / 1000


@dataclass(frozen=True)
class Row:
    """One measured case: its value in every round and the row it is compared with."""

    name: str
    floor: str
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)


@dataclass
class Case:
    """``call`` gets each item of ``inputs(round)``; ``floor`` names the reference row."""

    name: str
    floor: str
    call: Callable[[Any], object]
    inputs: Callable[[int], Sequence[Any]]


def interleaved(cases: Sequence[Case], rounds: int) -> list[Row]:
    """Every case once per round, round after round; µs of CPU per item in each round."""
    timings: dict[str, list[float]] = {case.name: [] for case in cases}
    for round_ in range(rounds):
        for case in cases:
            timings[case.name].append(cpu_micros(case.call, case.inputs(round_)))
    return [Row(case.name, case.floor, tuple(timings[case.name])) for case in cases]


def ratios(rows: Sequence[Row]) -> dict[str, float]:
    """Each row over its floor row: the median of the ratios of the same round (a busy spell
    slows both sides of one round alike, so it cancels out of the ratio)."""
    by_name = {row.name: row for row in rows}

    def ratio(row: Row) -> float:
        floor = by_name[row.floor].values
        return float(statistics.median(v / f for v, f in zip(row.values, floor, strict=True)))

    return {row.name: ratio(row) for row in rows}


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send ``sys.stdout`` (decision log lines) to the null device, buffered as usual."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


# -- tokens, the floor and the common peer --------------------------------------------------

#: The audience every benchmark token is minted for and every verifier expects.
AUDIENCE = "https://api.example.test"


@dataclass(frozen=True)
class Tokens:
    """The tokens of one warm-path run, per round: RS256 and ES256 tokens of two test
    issuers with the same issuer name and audience (one JWK Set holds both keys)."""

    rsa: Any  # authorizers.testing.issuer.TestIssuer
    ec: Any
    rs: list[list[str]]
    es: list[list[str]]

    @classmethod
    def mint(cls, per_round: int, rounds: int) -> Tokens:
        from authorizers.testing.issuer import TestIssuer  # noqa: PLC0415

        rsa = TestIssuer(alg="RS256", audience=AUDIENCE)
        ec = TestIssuer(alg="ES256", audience=AUDIENCE)

        def batches(issuer: Any) -> list[list[str]]:
            return [
                [issuer.mint(scope="read write") for _ in range(per_round)] for _ in range(rounds)
            ]

        return cls(rsa, ec, batches(rsa), batches(ec))

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": self.rsa.jwks["keys"] + self.ec.jwks["keys"]}

    @property
    def per_round(self) -> int:
        return len(self.rs[0])

    @property
    def rounds(self) -> int:
        return len(self.rs)


#: Route templates of a realistic REST API: resources with ids and sub-resources, so every
#: method ARN has a path of 8+ characters (the log line's credential-masking scan skips
#: shorter ones, which would flatter the measurement).
_RESOURCES = ("customers", "orders", "invoices", "payments", "shipments", "inventory", "stores")
_SUBS = ("", "/items", "/history", "/notes")
_VERBS = ("GET", "GET", "POST", "PUT", "DELETE", "PATCH")


def realistic_routes(count: int = 64) -> list[str]:
    """``count`` distinct ``"VERB /path"`` routes (deterministic), each path 8+ characters."""
    routes: list[str] = []
    n = 0
    while len(routes) < count:
        resource = _RESOURCES[n % len(_RESOURCES)]
        sub = _SUBS[(n // len(_RESOURCES)) % len(_SUBS)]
        verb = _VERBS[n % len(_VERBS)]
        identifier = f"{(n * 2654435761) % 16**8:08x}"  # an id-like segment
        route = f"{verb} /v1/{resource}/{identifier}{sub}"
        if route not in routes:
            routes.append(route)
        n += 1
    assert all(len(route.split(" ", 1)[1]) >= 8 for route in routes)
    return routes


#: The routes every benchmark draws its method ARNs from.
ROUTES = realistic_routes()


def token_events(tokens: Sequence[str]) -> list[dict[str, Any]]:
    """REST TOKEN events for ``tokens``, their method ARNs drawn from :data:`ROUTES` in turn."""
    from authorizers.testing.events import token_event  # noqa: PLC0415

    return [
        token_event(ROUTES[n % len(ROUTES)], f"Bearer {token}") for n, token in enumerate(tokens)
    ]


def route_arns() -> list[str]:
    """The method ARNs of :data:`ROUTES`."""
    return [event["methodArn"] for event in token_events(["x"] * len(ROUTES))]


#: What PyJWT is told to require, so it checks what our validator checks.
PYJWT_OPTIONS: Any = {"require": ["exp", "iat", "iss", "aud"]}


def raw_verifier(issuer: Any) -> Callable[[str], object]:
    """The floor for a :class:`~authorizers.testing.issuer.TestIssuer`'s tokens: decode the
    signature and call ``cryptography``'s verify on the signing input, nothing else."""
    import jwt  # noqa: PLC0415 - base64url decoding as PyJWT does it
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec, padding  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: PLC0415
        encode_dss_signature,
    )

    public: Any = issuer.key.private_key.public_key()
    if issuer.alg == "RS256":
        pad, digest = padding.PKCS1v15(), hashes.SHA256()

        def verify_rsa(token: str) -> object:
            signing_input, _, signature = token.rpartition(".")
            raw = jwt.utils.base64url_decode(signature)
            return public.verify(raw, signing_input.encode(), pad, digest)

        return verify_rsa
    algorithm = ec.ECDSA(hashes.SHA256())

    def verify_ecdsa(token: str) -> object:
        signing_input, _, signature = token.rpartition(".")
        raw = jwt.utils.base64url_decode(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        return public.verify(der, signing_input.encode(), algorithm)

    return verify_ecdsa


# -- tables and verdicts ------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table; columns after the first are right-aligned (numbers)."""
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio_table(
    rows: Sequence[Row], *, unit: str = "µs", ratio: str = f"{TIMES} raw verify"
) -> str:
    """min / median / max per row, and its ratio to the row's floor (see :func:`ratios`)."""
    of = ratios(rows)
    return markdown_table(
        ["case", f"min {unit}", f"median {unit}", f"max {unit}", ratio],
        [
            [
                row.name,
                f"{min(row.values):.1f}",
                f"{row.median:.1f}",
                f"{max(row.values):.1f}",
                f"{of[row.name]:.2f}",
            ]
            for row in rows
        ],
    )


@dataclass(frozen=True)
class Budget:
    """A limit on a ratio measured in one run; ``None`` = could not be measured here."""

    what: str
    limit: float
    measured: float | None

    @property
    def verdict(self) -> str:
        if self.measured is None:
            return "not measured"
        return "goal met" if self.measured <= self.limit else "**goal not met**"

    def cells(self) -> list[str]:
        shown = "-" if self.measured is None else f"{self.measured:.2f}{TIMES}"
        return [self.what, f"≤ {self.limit:g}{TIMES}", shown, self.verdict]


def budget_table(budgets: Sequence[Budget]) -> str:
    return markdown_table(["goal", "limit", "measured", "verdict"], [b.cells() for b in budgets])


@dataclass
class Section:
    """One part of the report: markdown, the budgets it decided, lines for the summary."""

    title: str
    body: str
    budgets: list[Budget] = field(default_factory=list)
    highlights: list[str] = field(default_factory=list)  # one-liners for the summary

    def markdown(self) -> str:
        parts = [f"## {self.title}", self.body.strip()]
        if self.budgets:
            parts.append(budget_table(self.budgets))
        return "\n\n".join(parts) + "\n"


# -- the machine --------------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    found = {}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_facts() -> list[tuple[str, str]]:
    from cryptography.hazmat.backends.openssl import backend  # noqa: PLC0415 - only here

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    facts = [
        ("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores ({platform.machine()})"),
        ("load average (1, 5, 15 min)", load),
        ("OS", platform.platform(terse=True)),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("OpenSSL (cryptography)", backend.openssl_version_text()),
    ]
    facts += [(name, version) for name, version in versions().items()]
    return facts


def facts_table(facts: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts)


# -- fresh interpreters -------------------------------------------------------------------


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    """Run a child process; the JSON it printed after :data:`RESULT_MARKER`.

    The environment is this one without ``PYTHON*`` variables (they would change what the
    child imports), plus ``env``.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment.update(env or {})
    done = subprocess.run(
        list(command),
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT_MARKER))
            return result
    raise RuntimeError(f"{command[0]} printed no result (exit {done.returncode}):\n{done.stderr}")


def print_section(section: Section) -> None:
    print(section.markdown())


def common_arguments(description: str) -> Any:
    """An argument parser with ``--quick`` (a tiny smoke run, as the tests do)."""
    import argparse  # noqa: PLC0415 - scripts only

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (for tests)")
    return parser


def python_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"
