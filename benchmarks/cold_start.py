"""Cold start: a fresh interpreter imports the handler module (building the authorizer) and
makes the first authorization, fetching the JWKS from a JwksServer on 127.0.0.1.

Ours (``functions/our_authorizer.py``) against the naive stack (``functions/naive_authorizer.py``:
PyJWT ``PyJWKClient`` + requests + Powertools response class and Logger), in interleaved runs,
as CPU time of the child (imports are CPU-bound; CPU time ignores the neighbours). Where:

- this interpreter and its environment, ``.pyc`` present;
- the Lambda layer for python3.13 x86_64 built by :mod:`authorizers.layer` (offline, from its
  wheel cache), extracted, with its ``.pyc`` and built without them (``--no-compile``; a
  read-only ``/opt`` means every cold start compiles every module again), when a local
  python3.13 exists;
- under the real Lambda bootstrap (``awslambdaric``) against the local Runtime API stand-in
  of the tests, when ``make lambda-runtime-tools`` installed it.

    python benchmarks/cold_start.py            # 7 runs per stack and place
    python benchmarks/cold_start.py --quick    # smoke run: this interpreter only, 1 run
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
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
    TIMES,
    Budget,
    Section,
    common_arguments,
    markdown_table,
    print_section,
    python_version,
    run_child,
)

from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer

FUNCTIONS = Path(__file__).resolve().parent / "functions"
PROBE = FUNCTIONS / "probe.py"
AUDIENCE = "https://api.example.test"
ROUTE = "GET /pets/1"
LAYER_RUNTIME = "python3.13"
#: name -> (handler module, extra environment)
STACKS: dict[str, tuple[str, Mapping[str, str]]] = {
    "ours": ("our_authorizer", {}),
    "ours, http.client fetcher": ("our_authorizer", {"BENCH_FETCHER": "http.client"}),
    "naive": ("naive_authorizer", {}),
    "naive without requests": ("naive_authorizer", {"BENCH_NAIVE_REQUESTS": "0"}),
    "ours, token cache of 1024": ("our_authorizer", {"BENCH_CACHE_SIZE": "1024"}),
    "bootstrap only": ("bootstrap_only", {}),
}
#: What the cold start compares (the cache size changes nothing before the first request).
COLD_STACKS = ("ours", "ours, http.client fetcher", "naive", "naive without requests")


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


def build_layers(workdir: Path) -> tuple[list[LayerZip], str | None]:
    """The python3.13 x86_64 layer with and without ``.pyc``, extracted; and why not, if not."""
    from authorizers.layer import (  # noqa: PLC0415 - only the full run builds layers
        LayerBuildError,
        LayerTarget,
        build_layer,
    )
    from authorizers.layer._interpreters import find_interpreter  # noqa: PLC0415

    target = LayerTarget(runtime=LAYER_RUNTIME, architecture="x86_64")
    interpreter = find_interpreter(target.python_version)
    if interpreter is None:
        return [], f"no local python{target.python_version} to run the layer with"
    layers: list[LayerZip] = []
    for label, compiled in (("with .pyc", True), ("without .pyc", False)):
        out = workdir / label.replace(" ", "-").replace(".", "")
        try:
            build = build_layer(target, out, byte_compile=compiled, offline=True)
        except LayerBuildError as error:
            first_line = str(error).splitlines()[0]
            return layers, f"layer build failed offline ({first_line})"
        assert build.zipped_bytes is not None
        with zipfile.ZipFile(build.path) as archive:
            archive.extractall(out / "opt")
        layers.append(LayerZip(label, build.zipped_bytes, build.unzipped_bytes, out / "opt/python"))
    return layers, interpreter


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


def run(*, runs: int = 7, quick: bool = False) -> Section:
    here = f"this interpreter (Python {python_version()}, .pyc present)"
    places = [Place(here, sys.executable, stacks=("ours", "naive") if quick else COLD_STACKS)]
    notes: list[str] = []
    layers: list[LayerZip] = []
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp, fixture() as fix:
        if not quick:
            layers, interpreter = build_layers(Path(tmp))
            if layers and interpreter:
                for layer in layers:
                    label = f"layer {LAYER_RUNTIME} x86_64 {layer.label}"
                    places.append(
                        Place(
                            label,
                            interpreter,
                            (layer.site,),
                            ("ours", "ours, http.client fetcher", "naive"),
                        )
                    )
            else:
                notes.append(f"Layer runs skipped: {interpreter}.")
        found = measure(fix, places, runs, warm_up=not quick)
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
        "authorization. Interpreter start-up (the same for both) is not included.",
        markdown_table([*header, f"{TIMES} naive (CPU)"], rows),
    ]
    if layers:
        sizes = [
            [
                f"{LAYER_RUNTIME} x86_64 {layer.label}",
                f"{layer.zip_bytes / 2**20:.1f} MiB",
                f"{layer.unzipped_bytes / 2**20:.1f} MiB",
            ]
            for layer in layers
        ]
        body += [
            "Layer built by `authorizers.layer` (what the runs above used):",
            markdown_table(["layer", "zip", "unzipped"], sizes),
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
    budgets = [Budget(f"cold start, {places[0].label}", 0.5, _ratio(found, places[0].label))]
    budgets += [Budget(f"cold start, {p.label}", 0.5, _ratio(found, p.label)) for p in places[1:]]
    highlights = [
        f"Layer {LAYER_RUNTIME} x86_64 {layer.label}: {layer.zip_bytes / 2**20:.1f} MiB zipped, "
        f"{layer.unzipped_bytes / 2**20:.1f} MiB unzipped (Lambda allows 50 / 250 MiB)."
        for layer in layers
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
