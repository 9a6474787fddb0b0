"""The Node.js peer: aws-jwt-verify's ``JwtVerifier.verifySync`` (JWKS cached) on the same
kind of tokens, as a ratio to Node's raw ``crypto.verify`` of them, in interleaved rounds
inside one Node process (``node/verify.mjs``).

aws-jwt-verify is pinned in ``node/package.json`` (``package-lock.json`` carries its integrity
hash, no registry address) and installed with ``npm ci`` into the git-ignored
``.tools/aws-jwt-verify`` on first use. A ``--quick`` run never installs: without the
install it reports the section as skipped.

    python benchmarks/node_verify.py            # 500 tokens x 7 rounds
    python benchmarks/node_verify.py --quick    # smoke run (if installed)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AUDIENCE, REPO, TIMES, Row, Section, Tokens, common_arguments, ratio_table

NODE_DIR = Path(__file__).resolve().parent / "node"
TOOLS_DIR = REPO / ".tools" / "aws-jwt-verify"
INSTALL_FILES = ("package.json", "package-lock.json")
SCRIPT = "verify.mjs"
CASES = (  # (case name in verify.mjs, row name, floor case)
    ("raw RS256", "raw Node `crypto.verify` RS256", "raw RS256"),
    ("raw ES256", "raw Node `crypto.verify` ES256", "raw ES256"),
    ("RS256", "aws-jwt-verify `verifySync`, RS256", "raw RS256"),
    ("ES256", "aws-jwt-verify `verifySync`, ES256", "raw ES256"),
)


class NodeUnavailableError(RuntimeError):
    """Node.js is missing, or aws-jwt-verify is not installed and may not be."""


def _fingerprint() -> str:
    return hashlib.sha256(b"".join((NODE_DIR / n).read_bytes() for n in INSTALL_FILES)).hexdigest()


def ensure_installed(*, may_install: bool) -> Path:
    """The script to run, in the tools folder with the pinned aws-jwt-verify next to it."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeUnavailableError("Node.js with npm is not installed")
    stamp = TOOLS_DIR / ".installed"
    if not (stamp.is_file() and stamp.read_text() == _fingerprint()):
        if not may_install:
            raise NodeUnavailableError("aws-jwt-verify not installed (a full run installs it)")
        TOOLS_DIR.mkdir(parents=True, exist_ok=True)
        for name in INSTALL_FILES:
            shutil.copyfile(NODE_DIR / name, TOOLS_DIR / name)
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
        subprocess.run(command, cwd=TOOLS_DIR, stdin=subprocess.DEVNULL, check=True)
        stamp.write_text(_fingerprint())
    shutil.copyfile(NODE_DIR / SCRIPT, TOOLS_DIR / SCRIPT)  # resolves the install next to it
    return TOOLS_DIR / SCRIPT


def run(tokens: Tokens, *, may_install: bool = True) -> tuple[list[Row], dict[str, str]]:
    """Rows (µs per token, per round) and the versions Node reported."""
    script = ensure_installed(may_install=may_install)
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        data = Path(tmp, "input.json")
        document = {
            "issuer": tokens.rsa.issuer,
            "audience": AUDIENCE,
            "jwks": tokens.jwks,
            "rs": tokens.rs,
            "es": tokens.es,
        }
        data.write_text(json.dumps(document))
        done = subprocess.run(
            ["node", str(script), str(data)], capture_output=True, text=True, check=True
        )
    output = json.loads(done.stdout)
    micros = output["micros"]
    names = {case: name for case, name, _ in CASES}
    rows = [Row(name, names[floor], tuple(micros[case])) for case, name, floor in CASES]
    return rows, output["versions"]


def section(tokens: Tokens, *, may_install: bool = True) -> Section:
    try:
        rows, versions = run(tokens, may_install=may_install)
    except NodeUnavailableError as why:
        return Section("Warm path (Node.js peer)", f"Skipped: {why}.")
    body = (
        f"Node {versions['node']}, aws-jwt-verify {versions['aws-jwt-verify']}: CPU µs per "
        f"token (`process.cpuUsage`), {tokens.per_round} tokens in each of {tokens.rounds} "
        "interleaved rounds, the same tokens as the Python table; the ratio is to Node's own "
        "raw `crypto.verify` (the Node floor).\n\n"
        + ratio_table(rows, ratio=f"{TIMES} raw Node verify")
    )
    return Section("Warm path (Node.js peer)", body)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("aws-jwt-verify vs Node's raw verify")
    parser.add_argument("--tokens", type=int, default=500, help="tokens per case and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args(argv)
    tokens = Tokens.mint(*((10, 2) if args.quick else (args.tokens, args.rounds)))
    print(section(tokens, may_install=not args.quick).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
