"""Run inside a fresh interpreter: import a handler module (which builds its authorizer), make
the first authorization (which fetches the JWKS), optionally many more, and print what that
cost. Standard library only, so the probe itself adds nothing the function would not import.

Environment: ``BENCH_MODULE`` (handler module), ``BENCH_TOKEN`` and ``BENCH_ARN`` (the first
event), ``BENCH_TOKENS_FILE`` + ``BENCH_REPEAT`` (then ``BENCH_REPEAT`` more authorizations,
cycling over the tokens in the file, one a line, and over the method ARNs of ``BENCH_ARNS``, a
JSON list, when given).
"""

from __future__ import annotations

import time

WALL_0, CPU_0 = time.perf_counter(), time.process_time()

import importlib  # noqa: E402 - the clocks start first
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

MARKER = "BENCH-RESULT "  # _common.RESULT_MARKER: the probe imports nothing of the benchmarks


def peak_rss_kib() -> int:
    """This process image's peak RSS. ``VmHWM`` where Linux has it: ``ru_maxrss`` of a process
    spawned by a large parent starts at the parent's RSS (the high-water mark of the image
    replaced by exec is kept), which would measure the benchmark, not the function."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 2)


def _event(token: str, arn: str) -> dict[str, str]:
    return {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": arn}


def main() -> None:
    result_stream = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the functions' log lines go nowhere
    module = importlib.import_module(os.environ["BENCH_MODULE"])
    cpu_1 = time.process_time()
    arn = os.environ["BENCH_ARN"]
    response = module.handler(_event(os.environ["BENCH_TOKEN"], arn), None)
    wall_2, cpu_2 = time.perf_counter(), time.process_time()
    if response["policyDocument"]["Statement"][0]["Effect"] != "Allow":
        raise SystemExit("the first authorization was not an Allow")
    result = {
        "init_cpu_ms": _ms(CPU_0, cpu_1),
        "first_cpu_ms": _ms(cpu_1, cpu_2),
        "cpu_ms": _ms(CPU_0, cpu_2),
        "wall_ms": _ms(WALL_0, wall_2),
        "first_rss_kib": peak_rss_kib(),
    }
    repeat = int(os.environ.get("BENCH_REPEAT", "0"))
    if repeat:
        # One token a line, read as needed: the peak is the function's, not a token list's.
        arns = json.loads(os.environ.get("BENCH_ARNS") or "[]") or [arn]
        with open(os.environ["BENCH_TOKENS_FILE"]) as file:
            for n in range(repeat):
                line = file.readline()
                if not line:  # cycle
                    file.seek(0)
                    line = file.readline()
                module.handler(_event(line.strip(), arns[n % len(arns)]), None)
        result["rss_kib"] = peak_rss_kib()
        result["ru_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result_stream.write(MARKER + json.dumps(result) + "\n")


main()
