"""Local CPython interpreters by version: ``.pyc`` files only load on the version that wrote
them, so a layer for python3.13 is byte-compiled by a local 3.13 or not at all."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path


def python_version_of(executable: str) -> str | None:
    """``"3.13"`` if ``executable`` is a CPython that runs, else ``None``."""
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    command = [executable, "-I", "-c", probe]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return None
    name, _, version = done.stdout.strip().partition(" ")
    return version if name == "cpython" else None


def _pyenv_candidates(version: str) -> list[str]:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return []
    try:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=True)  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return []
    found = Path(done.stdout.strip(), "versions").glob(f"{version}.*/bin/python{version}")
    return sorted((str(path) for path in found), reverse=True)  # newest patch release first


@functools.cache
def find_interpreter(version: str) -> str | None:
    """A local CPython of ``version`` ("3.13"): this one, pyenv's, or ``pythonX.Y`` on PATH
    (last: a pyenv shim there takes most of a second just to fail)."""
    if sys.implementation.name == "cpython" and f"3.{sys.version_info[1]}" == version:
        return sys.executable
    for candidate in [*_pyenv_candidates(version), shutil.which(f"python{version}")]:
        if candidate and python_version_of(candidate) == version:
            return candidate
    return None
