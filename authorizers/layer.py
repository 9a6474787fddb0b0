"""Build the Lambda layer: the framework plus its runtime dependencies, for one runtime and CPU.

Why not ``sam build`` with ``BuildMethod: python3.x``: that needs the target Python on PATH and
a container for anything else. Here pip resolves binary wheels for the *target* platform and
Python, so one machine builds every runtime/architecture pair without Docker.

Why a wheelhouse: installs run offline from cached wheels (fast, and the same wheels give the
same layer); the index is only asked when a wheel is missing or ``refresh`` is set.

Why byte-compile: ``/opt`` is read-only on Lambda, so without shipped ``.pyc`` files every cold
start recompiles every imported module. ``.pyc`` files are version-specific, so they are written
by a local interpreter of the target version (found, never assumed) or not at all.

Why a hand-written zip: sorted entries, fixed timestamps and permissions make the archive a
function of its inputs, so a rebuild that changes nothing changes no hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Lambda runtime id -> Python version. python3.11 runs on Amazon Linux 2 (glibc 2.26), the
#: others on Amazon Linux 2023 (glibc 2.34); that decides which manylinux wheels may be used.
RUNTIMES: dict[str, str] = {
    "python3.11": "3.11",
    "python3.12": "3.12",
    "python3.13": "3.13",
    "python3.14": "3.14",
}
_AL2_RUNTIMES = frozenset({"python3.11"})
#: Lambda architecture name -> wheel platform machine name.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"

#: Already in every Lambda Python runtime; shipping them again only costs size.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})
#: Lambda quotas: zip uploaded directly, and everything unzipped (function plus layers).
MAX_ZIP_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
#: Where Lambda extracts layers; compiled code records this path for tracebacks.
LAYER_MOUNT = "/opt/python"

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_DROPPED_DIRS = frozenset({"__pycache__", "tests"})
_DROPPED_SUFFIXES = frozenset({".pyc", ".pyo", ".pyi"})
_DIST_INFO_NOISE = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class LayerBuildError(RuntimeError):
    """The layer could not be built (pip, compilation, or a Lambda size limit)."""


@dataclass(frozen=True, slots=True)
class LayerTarget:
    """One Lambda runtime on one CPU architecture."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise ValueError(f"unsupported runtime {self.runtime!r}; one of {sorted(RUNTIMES)}")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unsupported architecture {self.architecture!r}")

    @property
    def python_version(self) -> str:
        return RUNTIMES[self.runtime]

    @property
    def platforms(self) -> tuple[str, ...]:
        """Wheel platform tags the runtime's glibc can load, most preferred first.

        pip does not expand ``manylinux_2_34`` to older tags by itself, so each is listed.
        """
        machine = ARCHITECTURES[self.architecture]
        glibc = ("2014",) if self.runtime in _AL2_RUNTIMES else ("_2_34", "_2_28", "2014")
        return tuple(f"manylinux{tag}_{machine}" for tag in glibc)

    @property
    def name(self) -> str:
        return f"{self.runtime}-{self.architecture}"


@dataclass(frozen=True, slots=True)
class LayerBuild:
    """What a build produced. ``compiled_with`` is the interpreter that wrote the ``.pyc``."""

    target: LayerTarget
    path: Path
    unzipped_bytes: int
    zipped_bytes: int | None
    compiled_with: str | None


def runtime_requirements() -> list[str]:
    """The package's own install requirements (no extras), so pyproject stays the one source."""
    requirements: list[str] = []
    for requirement in importlib.metadata.requires("authorizers") or []:
        spec, _, marker = requirement.partition(";")
        match = _REQUIREMENT_NAME.match(spec)
        if "extra" in marker or match is None:
            continue
        if match.group(1).lower().replace("_", "-") not in PROVIDED_BY_RUNTIME:
            requirements.append(requirement.strip())
    return requirements


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authorizers" / "layer"


def _run(command: Sequence[str], what: str) -> None:
    """Run a tool quietly; on failure show its output (it never holds secrets: no tokens here)."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise LayerBuildError(
            f"{what} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )


_PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
_CACHE_FORMAT = 1


def _pip_target_args(target: LayerTarget) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp"]
    args += ["--python-version", target.python_version]
    for platform in target.platforms:
        args += ["--platform", platform]
    return args


def _install_offline(
    target: LayerTarget, site_dir: Path, requirements: Sequence[str], wheelhouse: Path
) -> bool:
    command = [*_PIP, "install", "--no-compile", "--no-index", "--find-links", str(wheelhouse)]
    command += ["--target", str(site_dir), *_pip_target_args(target), *requirements]
    done = subprocess.run(command, capture_output=True, check=False)  # noqa: S603
    if done.returncode != 0:
        shutil.rmtree(site_dir, ignore_errors=True)  # a partial install must not leak through
    return done.returncode == 0


def _download(target: LayerTarget, requirements: Sequence[str], wheelhouse: Path) -> None:
    log.info("downloading wheels for %s into %s", target.name, wheelhouse)
    wheelhouse.mkdir(parents=True, exist_ok=True)
    command = [*_PIP, "download", "--dest", str(wheelhouse), *_pip_target_args(target)]
    _run([*command, *requirements], "pip download")


def _tree_key(target: LayerTarget, requirements: Sequence[str], wheelhouse: Path) -> str:
    wheels = sorted(path.name for path in wheelhouse.glob("*.whl"))
    inputs = json.dumps([_CACHE_FORMAT, target.name, sorted(requirements), wheels])
    return hashlib.sha256(inputs.encode()).hexdigest()[:20]


def dependency_tree(
    target: LayerTarget, requirements: Sequence[str], cache_dir: Path, *, refresh: bool = False
) -> Path:
    """The installed, pruned dependencies for ``target``, cached under ``cache_dir``.

    Wheels are kept in a per-target wheelhouse and installed with ``--no-index``; the index is
    asked only when the wheelhouse cannot satisfy ``requirements`` (or on ``refresh``). The
    installed tree is cached by its exact inputs (requirements + wheel file names), so a repeat
    build copies it instead of running pip.
    """
    wheelhouse = cache_dir / "wheels" / target.name
    if refresh or not wheelhouse.is_dir():
        _download(target, requirements, wheelhouse)
    trees = cache_dir / "trees"
    trees.mkdir(parents=True, exist_ok=True)
    cached = trees / f"{target.name}-{_tree_key(target, requirements, wheelhouse)}"
    if cached.is_dir():
        return cached
    with tempfile.TemporaryDirectory(dir=trees, prefix=".partial-") as partial:
        site_dir = Path(partial, "python")
        if not _install_offline(target, site_dir, requirements, wheelhouse):
            _download(target, requirements, wheelhouse)
            if not _install_offline(target, site_dir, requirements, wheelhouse):
                raise LayerBuildError(f"pip could not install {list(requirements)}")
            cached = trees / f"{target.name}-{_tree_key(target, requirements, wheelhouse)}"
        prune(site_dir)
        with contextlib.suppress(OSError):  # a concurrent build may have stored it first
            site_dir.rename(cached)
    return cached


def copy_package(site_dir: Path, source: Path) -> None:
    """Copy the ``authorizers`` package from ``source``, plus minimal metadata so that
    ``importlib.metadata.version("authorizers")`` works inside Lambda."""
    ignore = shutil.ignore_patterns("__pycache__", "tests", ".*", "*.pyc", "*.pyo")
    shutil.copytree(source, site_dir / "authorizers", ignore=ignore)
    version = importlib.metadata.version("authorizers")
    dist_info = site_dir / f"authorizers-{version}.dist-info"
    dist_info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: authorizers\nVersion: {version}\n"
    (dist_info / "METADATA").write_text(metadata, encoding="utf-8")


def prune(site_dir: Path) -> None:
    """Drop what Lambda never runs: console scripts, tests, stubs, caches, install records."""
    shutil.rmtree(site_dir / "bin", ignore_errors=True)
    for path in sorted(site_dir.rglob("*"), reverse=True):  # children before parents
        if path.is_dir() and path.name in _DROPPED_DIRS:
            shutil.rmtree(path)
        elif path.is_file() and (
            path.suffix in _DROPPED_SUFFIXES
            or (path.parent.name.endswith(".dist-info") and path.name in _DIST_INFO_NOISE)
        ):
            path.unlink()


def _python_version_of(executable: str) -> str | None:
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run(  # noqa: S603
            [executable, "-I", "-c", probe], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    name, _, version = done.stdout.strip().partition(" ")
    return version if done.returncode == 0 and name == "cpython" else None


def _pyenv_candidates(version: str) -> list[str]:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return []
    try:
        root = subprocess.run(  # noqa: S603
            [pyenv, "root"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        names = subprocess.run(  # noqa: S603
            [pyenv, "versions", "--bare"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return []
    matching = [name for name in names if name == version or name.startswith(f"{version}.")]
    return [str(Path(root, "versions", name, "bin", f"python{version}")) for name in matching]


def find_interpreter(version: str) -> str | None:
    """A local CPython of ``version`` ("3.13"): this one, ``pythonX.Y`` on PATH, or pyenv's."""
    candidates = (
        [sys.executable] if f"{sys.version_info[0]}.{sys.version_info[1]}" == version else []
    )
    on_path = shutil.which(f"python{version}")
    candidates += [on_path] if on_path else []
    candidates += _pyenv_candidates(version)
    for candidate in candidates:
        if Path(candidate).exists() and _python_version_of(candidate) == version:
            return candidate
    return None


def byte_compile(site_dir: Path, interpreter: str) -> None:
    """Write ``.pyc`` next to every module, as Lambda will import them from ``/opt/python``.

    ``unchecked-hash`` pycs do not depend on file times (reproducible) and skip the source
    check at import; the layer is immutable, so they can never go stale.
    """
    command = [interpreter, "-I", "-m", "compileall", "-q", "-j", "1", "-s", str(site_dir)]
    command += ["-p", LAYER_MOUNT, "--invalidation-mode", "unchecked-hash", str(site_dir)]
    _run(command, "byte-compilation")


def tree_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def write_reproducible_zip(root: Path, zip_path: Path) -> None:
    """Zip ``root``'s contents: sorted names, fixed dates, 0644/0755 modes, max compression."""
    files = sorted(
        (path.relative_to(root).as_posix(), path) for path in root.rglob("*") if path.is_file()
    )
    partial = zip_path.with_name(zip_path.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the mode bits below are honoured
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(zip_path)


def layer_file_name(target: LayerTarget) -> str:
    return f"authorizers-layer-{importlib.metadata.version('authorizers')}-{target.name}.zip"


def build_layer(
    target: LayerTarget,
    out_dir: Path,
    *,
    as_zip: bool = True,
    compile_with: str | None = None,
    byte_compile_if_possible: bool = True,
    cache_dir: Path | None = None,
    refresh: bool = False,
    requirements: Sequence[str] | None = None,
    package_source: Path | None = None,
) -> LayerBuild:
    """Build the layer for ``target`` into ``out_dir``: a zip, or (``as_zip=False``, for
    ``sam build``) the ``python/`` tree itself.

    ``requirements`` and ``package_source`` default to this package's own requirements and
    source directory; overriding them builds a layer from another checkout or a pinned set.
    """
    interpreter = compile_with
    if interpreter is None and byte_compile_if_possible:
        interpreter = find_interpreter(target.python_version)
    elif interpreter is not None and _python_version_of(interpreter) != target.python_version:
        raise LayerBuildError(f"{interpreter} is not CPython {target.python_version}")
    wanted = runtime_requirements() if requirements is None else list(requirements)
    dependencies = dependency_tree(
        target, wanted, cache_dir or default_cache_dir(), refresh=refresh
    )
    with tempfile.TemporaryDirectory(prefix="authorizers-layer-") as staging:
        site_dir = Path(staging, "python")
        shutil.copytree(dependencies, site_dir)
        copy_package(site_dir, package_source or Path(__file__).resolve().parent)
        prune(site_dir)
        if interpreter is not None:
            byte_compile(site_dir, interpreter)
        unzipped = tree_size(site_dir)
        if unzipped > MAX_UNZIPPED_BYTES:
            raise LayerBuildError(f"layer unzips to {unzipped} bytes, over Lambda's limit")
        out_dir.mkdir(parents=True, exist_ok=True)
        if not as_zip:
            destination = out_dir / "python"
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(site_dir, destination)
            return LayerBuild(target, destination, unzipped, None, interpreter)
        zip_path = out_dir / layer_file_name(target)
        write_reproducible_zip(Path(staging), zip_path)
    zipped = zip_path.stat().st_size
    if zipped > MAX_ZIP_BYTES:
        raise LayerBuildError(f"layer zip is {zipped} bytes, over Lambda's direct-upload limit")
    return LayerBuild(target, zip_path, unzipped, zipped, interpreter)
