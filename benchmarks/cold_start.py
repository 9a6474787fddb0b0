"""Cold start: a fresh interpreter imports the handler module (building the authorizer) and
makes the first authorization, fetching the JWKS from a JwksServer on 127.0.0.1.

Ours (``functions/our_authorizer.py``, default configuration) against the naive stack
(``functions/naive_authorizer.py``: PyJWT ``PyJWKClient`` + ``jwt.decode`` + requests + a
Powertools Logger line + a blueprint-style policy dict), in interleaved runs, as CPU time of
the child (imports are CPU-bound; CPU time ignores the neighbours). The method ARN is one of
the realistic routes of ``_common.ROUTES``. Where:

- this interpreter and its environment, ``.pyc`` present;
- a Lambda layer for python3.13 x86_64 built by :mod:`authorizers.layer` (offline, from its
  wheel cache) with the extras and PyJWT (so both stacks run from it), extracted, with its
  ``.pyc`` and built without them (``--no-compile``; a read-only ``/opt`` means every cold
  start compiles every module again), when a local python3.13 exists;
- under the real Lambda bootstrap (``awslambdaric``) against the local Runtime API stand-in
  of the tests, when ``make lambda-runtime-tools`` installed it.

Also: where the import time goes, by top-level package (``python -X importtime``), and the
product layer's size with and without ``--with requests,powertools``.

    python benchmarks/cold_start.py            # 7 runs per stack and place
    python benchmarks/cold_start.py --quick    # smoke run: this interpreter only, 1 run
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    REPO,
    ROUTES,
    TIMES,
    Budget,
    Section,
    common_arguments,
    markdown_table,
    print_section,
    python_version,
    route_arns,
    run_child,
)

from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer

FUNCTIONS = Path(__file__).resolve().parent / "functions"
PROBE = FUNCTIONS / "probe.py"
AUDIENCE = "https://api.example.test"
ROUTE = ROUTES[0]
LAYER_RUNTIME = "python3.13"
#: What the layers the runs use carry besides the runtime: the extras, and PyJWT for naive.
LAYER_EXTRAS = ("requests", "powertools")
NAIVE_PACKAGES = ("pyjwt>=2.14",)
#: name -> (handler module, extra environment)
STACKS: dict[str, tuple[str, Mapping[str, str]]] = {
    "ours": ("our_authorizer", {}),
    'ours, fetcher="requests"': ("our_authorizer", {"BENCH_FETCHER": "requests"}),
    "naive": ("naive_authorizer", {}),
    "naive without requests": ("naive_authorizer", {"BENCH_NAIVE_REQUESTS": "0"}),
    "ours, token cache of 1024": ("our_authorizer", {"BENCH_CACHE_SIZE": "1024"}),
    "bootstrap only": ("bootstrap_only", {}),
}
REQUESTS_STACK = 'ours, fetcher="requests"'
#: What the cold start compares (the cache size changes nothing before the first request).
COLD_STACKS = ("ours", REQUESTS_STACK, "naive", "naive without requests")
#: The goals (ratios to the naive stack, CPU time, one run).
GOAL_PYC = 0.5
GOAL_NO_PYC = 0.35


@dataclass(frozen=True)
class Place:
    """Where the functions run: an interpreter and what is on its path."""

    label: str
    python: str
    path: tuple[Path, ...] = ()
    stacks: tuple[str, ...] = ("ours", "naive")


@dataclass
class Runs:
    """Per place and stack, the probe results of each run."""

    results: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, place: str, stack: str, result: dict[str, Any]) -> None:
        self.results.setdefault((place, stack), []).append(result)

    def median(self, place: str, stack: str, key: str) -> float:
        return float(statistics.median(r[key] for r in self.results[(place, stack)]))


class Fixture:
    """A JWKS server on 127.0.0.1, a token issuer and the environment both stacks read."""

    def __init__(self, server: JwksServer, issuer: TestIssuer) -> None:
        self.server = server
        self.issuer = issuer
        self.arn = token_event(ROUTE, "x")["methodArn"]

    def environment(self, stack: str, place: Place) -> dict[str, str]:
        module, extra = STACKS[stack]
        path = [str(FUNCTIONS), *(str(p) for p in place.path)]
        return {
            "PYTHONPATH": os.pathsep.join(path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "BENCH_MODULE": module,
            "BENCH_ISSUER": self.issuer.issuer,
            "BENCH_AUDIENCE": AUDIENCE,
            "BENCH_JWKS_URL": self.server.jwks_url,
            "BENCH_TOKEN": self.issuer.mint(),
            "BENCH_ARN": self.arn,
            "BENCH_ARNS": json.dumps(route_arns()),
            "AWS_REGION": "us-east-1",
            **extra,
        }


@contextlib.contextmanager
def fixture() -> Iterator[Fixture]:
    issuer = TestIssuer(audience=AUDIENCE)
    with JwksServer(issuer.jwks) as server:
        yield Fixture(server, issuer)


def probe(fix: Fixture, place: Place, stack: str, **env: str) -> dict[str, Any]:
    environment = fix.environment(stack, place) | env
    return run_child([place.python, "-s", str(PROBE)], env=environment)


def measure(fix: Fixture, places: Sequence[Place], runs: int, *, warm_up: bool = True) -> Runs:
    """One unmeasured run per place and stack first (warms the page cache; in this
    interpreter it also writes any missing ``.pyc`` of this checkout, while a layer stays as
    built), then ``runs`` interleaved rounds."""
    found = Runs()
    for place in places if warm_up else ():
        for stack in place.stacks:
            probe(fix, place, stack, PYTHONDONTWRITEBYTECODE="" if not place.path else "1")
    for _ in range(runs):
        for place in places:
            for stack in place.stacks:
                found.add(place.label, stack, probe(fix, place, stack))
    return found


# -- the layer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerZip:
    label: str
    zip_bytes: int
    unzipped_bytes: int
    site: Path


def build_layers(workdir: Path) -> tuple[list[LayerZip], list[LayerZip], str | None]:
    """The layers the runs use (python3.13 x86_64, runtime + extras + PyJWT, with and without
    ``.pyc``, extracted), the product layers (with ``.pyc``: the runtime alone and
    ``--with requests,powertools``; for their sizes); and the interpreter, or why not."""
    from authorizers._internal.interpreters import find_interpreter  # noqa: PLC0415
    from authorizers.layer import (  # noqa: PLC0415 - only the full run builds layers
        LayerBuildError,
        LayerTarget,
        build_layer,
        runtime_requirements,
    )

    target = LayerTarget(runtime=LAYER_RUNTIME, architecture="x86_64")
    interpreter = find_interpreter(target.python_version)
    if interpreter is None:
        return [], [], f"no local python{target.python_version} to run the layer with"
    for_runs = [*runtime_requirements(extras=LAYER_EXTRAS), *NAIVE_PACKAGES]
    runs: list[LayerZip] = []
    products: list[LayerZip] = []
    builds = [  # the product first: its sizes need only `authorizers layer fetch --with ...`
        ("runtime only", products, {}),
        ("--with requests,powertools", products, {"extras": LAYER_EXTRAS}),
        ("with .pyc", runs, {"requirements": for_runs}),
        ("without .pyc", runs, {"requirements": for_runs, "byte_compile": False}),
    ]
    for label, into, options in builds:
        out = workdir / "".join(c if c.isalnum() else "-" for c in label)
        try:
            build = build_layer(target, out, offline=True, **options)  # type: ignore[arg-type]
        except LayerBuildError as error:
            first_line = str(error).splitlines()[0]
            return runs, products, f"layer build failed offline ({first_line})"
        assert build.zipped_bytes is not None
        with zipfile.ZipFile(build.path) as archive:
            archive.extractall(out / "opt")
        zipped, unzipped = build.zipped_bytes, build.unzipped_bytes
        into.append(LayerZip(label, zipped, unzipped, out / "opt/python"))
    return runs, products, interpreter


# -- where the import time goes ---------------------------------------------------------------


def _import_times(fix: Fixture, place: Place, stack: str) -> dict[str, int]:
    """Self import time (µs) per module of one fresh run under ``-X importtime``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment |= fix.environment(stack, place)
    done = subprocess.run(
        [place.python, "-s", "-X", "importtime", str(PROBE)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    times: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if self_us.isdigit():
            times[name] = int(self_us)
    return times


def imports_by_package(fix: Fixture, place: Place, stack: str, runs: int) -> dict[str, float]:
    """Import time (self, ms) per top-level package: per module the fastest of ``runs``
    interleaved-enough fresh runs (a busy neighbour inflates single imports at random), summed
    by package. ``-X importtime`` slows imports a little: read the shares, not the sum."""
    best: dict[str, int] = {}
    for _ in range(runs):
        for name, micros in _import_times(fix, place, stack).items():
            best[name] = min(best.get(name, micros), micros)
    totals: dict[str, float] = {}
    for name, micros in best.items():
        package = name.split(".")[0]
        totals[package] = totals.get(package, 0.0) + micros / 1000
    return totals


def imports_table(
    fix: Fixture, place: Place, runs: int, stacks: Sequence[str] = ("ours", "naive"), top: int = 15
) -> str:
    found = {stack: imports_by_package(fix, place, stack, runs) for stack in stacks}
    packages = sorted(
        {name for totals in found.values() for name in totals},
        key=lambda name: -max(totals.get(name, 0.0) for totals in found.values()),
    )
    rows = [[name, *(f"{found[s].get(name, 0.0):.1f}" for s in stacks)] for name in packages[:top]]
    rest = packages[top:]
    rows.append(["(the rest)", *(f"{sum(found[s].get(n, 0.0) for n in rest):.1f}" for s in stacks)])
    rows.append(["(everything)", *(f"{sum(found[s].values()):.1f}" for s in stacks)])
    return markdown_table(["top-level package", *(f"{s} (ms)" for s in stacks)], rows)


# -- awslambdaric ---------------------------------------------------------------------------


def ric_python() -> str | None:
    python = REPO / ".tools" / f"awslambdaric-{python_version()}" / "bin" / "python"
    return str(python) if (python.parent.parent / ".installed").is_file() else None


def under_bootstrap(fix: Fixture, python: str, stack: str, workdir: Path) -> dict[str, float]:
    """Start ``python -m awslambdaric`` against the Runtime API stand-in, invoke once: wall
    time from spawn to the answer, and the CPU time of the function process."""
    sys.path.insert(0, str(REPO / "tests"))
    import sysconfig  # noqa: PLC0415

    from lambda_runtime_api import (  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
        LambdaRuntimeApi,
        running_function,
    )

    env = fix.environment(stack, Place("ric", python))
    module = env.pop("BENCH_MODULE")
    layer_dirs = [FUNCTIONS, REPO, Path(sysconfig.get_paths()["purelib"])]
    env.pop("PYTHONPATH")
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {env['BENCH_TOKEN']}"}
    event["methodArn"] = fix.arn
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with LambdaRuntimeApi() as api:
        started = time.perf_counter()
        with running_function(
            python,
            f"{module}.handler",
            api,
            task_root=FUNCTIONS,
            layer_dirs=layer_dirs,
            log_path=workdir / f"{module}.log",
            env=env,
        ):
            outcome = api.invoke(event, timeout=60)
            wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if outcome.result is None:
        raise RuntimeError(f"{stack} under awslambdaric failed: {outcome.error}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_ms": wall * 1000, "cpu_ms": cpu * 1000}


def bootstrap_table(fix: Fixture, python: str, workdir: Path, runs: int) -> str:
    """Ours, the naive stack and a function importing nothing under ``awslambdaric``."""
    stacks = ("ours", "naive", "bootstrap only")
    found: dict[str, list[dict[str, float]]] = {stack: [] for stack in stacks}
    for _ in range(runs):
        for stack, results in found.items():
            results.append(under_bootstrap(fix, python, stack, workdir))
    rows = []
    for key, what in (("cpu_ms", "CPU"), ("wall_ms", "wall, spawn to answer")):
        ours, naive, alone = (statistics.median(r[key] for r in found[s]) for s in stacks)
        cells = [f"{ours:.0f}", f"{naive:.0f}", f"{alone:.0f}", f"{ours / naive:.2f}"]
        rows.append([what, *cells, f"{(ours - alone) / (naive - alone):.2f}"])
    header = ["ms", "ours", "naive", "bootstrap only", f"{TIMES} naive", "without the bootstrap"]
    return markdown_table(header, rows)


# -- the report -----------------------------------------------------------------------------


def _ratio(runs: Runs, place: str, key: str = "cpu_ms") -> float:
    return runs.median(place, "ours", key) / runs.median(place, "naive", key)


def _sizes(layers: Sequence[LayerZip], what: str) -> list[list[str]]:
    return [
        [
            f"{LAYER_RUNTIME} x86_64 {what}{layer.label}",
            f"{layer.zip_bytes / 2**20:.1f} MiB",
            f"{layer.unzipped_bytes / 2**20:.1f} MiB",
        ]
        for layer in layers
    ]


def run(*, runs: int = 7, quick: bool = False) -> Section:
    here = f"this interpreter (Python {python_version()}, .pyc present)"
    places = [Place(here, sys.executable, stacks=("ours", "naive") if quick else COLD_STACKS)]
    notes: list[str] = []
    layers: list[LayerZip] = []
    products: list[LayerZip] = []
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp, fixture() as fix:
        if not quick:
            layers, products, interpreter = build_layers(Path(tmp))
            if len(layers) == 2 and interpreter:
                for layer in layers:
                    label = f"layer {LAYER_RUNTIME} x86_64 {layer.label}"
                    stacks = ("ours", REQUESTS_STACK, "naive")
                    places.append(Place(label, interpreter, (layer.site,), stacks))
            else:
                notes.append(f"Layer runs skipped: {interpreter}.")
        found = measure(fix, places, runs, warm_up=not quick)
        import_runs = 1 if quick else 5
        imports = imports_table(fix, places[0], runs=import_runs)
        ric = None if quick else ric_python()
        ric_table = "" if ric is None else bootstrap_table(fix, ric, Path(tmp), max(5, runs))
        if ric is None and not quick:
            notes.append("awslambdaric runs skipped: run `make lambda-runtime-tools` first.")
    rows = []
    for place in places:
        for stack in place.stacks:
            cells = [place.label, stack]
            for key in ("init_cpu_ms", "first_cpu_ms", "cpu_ms", "wall_ms"):
                cells.append(f"{found.median(place.label, stack, key):.0f}")
            ratio = found.median(place.label, stack, "cpu_ms") / found.median(
                place.label, "naive", "cpu_ms"
            )
            cells.append(f"{ratio:.2f}")
            rows.append(cells)
    header = ["where", "stack", "import + build", "1st authorization", "total CPU", "wall"]
    body = [
        f"Medians of {runs} interleaved fresh-interpreter runs per stack, in ms of CPU time of "
        "the child (wall time for reference); the JWKS is fetched from 127.0.0.1 by the first "
        'authorization. Interpreter start-up (the same for both) is not included. "ours" is '
        "the default configuration (the standard-library fetcher); the naive stack is PyJWT "
        "`PyJWKClient` + `jwt.decode` + requests + a Powertools Logger line + a blueprint-style "
        "policy dict.",
        markdown_table([*header, f"{TIMES} naive (CPU)"], rows),
        f"Where the import time goes in {places[0].label}: self time per top-level package, "
        f"each module's fastest of {import_runs} fresh run(s) (`python -X importtime`, which "
        "slows imports a little: read the shares); the 15 largest packages of either stack.",
        imports,
    ]
    if layers or products:
        body += [
            "Layers built by `authorizers.layer`: the product layer (the runtime alone, and "
            "with `--with requests,powertools`), and the one the runs above used (the extras "
            "and PyJWT, so that both stacks run from it):",
            markdown_table(
                ["layer", "zip", "unzipped"],
                _sizes(products, "") + _sizes(layers, "for the runs, "),
            ),
        ]
    if ric_table:
        body += [
            "Under the Lambda bootstrap (`awslambdaric` against the local Runtime API stand-in): "
            f"first invocation, medians of {max(5, runs)} runs. The bootstrap's own share "
            "(a function that imports nothing) is the same for every function; the last column "
            "leaves it out.",
            ric_table,
        ]
    body += notes
    budgets = [
        Budget(
            f"cold start, default config, {place.label}",
            GOAL_NO_PYC if "without .pyc" in place.label else GOAL_PYC,
            _ratio(found, place.label),
        )
        for place in places
    ]
    highlights = [
        f"Layer {LAYER_RUNTIME} x86_64 {layer.label}: {layer.zip_bytes / 2**20:.1f} MiB zipped, "
        f"{layer.unzipped_bytes / 2**20:.1f} MiB unzipped (Lambda allows 50 / 250 MiB)."
        for layer in products
    ]
    return Section("Cold start", "\n\n".join(body), budgets, highlights)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("Cold start of ours vs the naive stack")
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per stack")
    args = parser.parse_args(argv)
    print_section(run(runs=1 if args.quick else args.runs, quick=args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
