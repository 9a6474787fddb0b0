"""Build the Lambda layer: the framework's runtime and its dependencies, per runtime and CPU.

- the layer holds what a deployed authorizer imports: the development tools (local gateway,
  CLI, test kit, this builder, the demo; :data:`DEV_ONLY`) stay in the pip install, and an
  opt-in feature's package comes only when asked for (``extras``: ``--with requests,powertools``);

- pip picks binary wheels for the *target* platform and Python, so one machine builds every
  runtime/architecture pair with neither Docker nor the target interpreter;
- wheels are cached in a wheelhouse and installed offline, and the installed tree is cached by
  its exact inputs: repeated builds are fast, and the index is asked only for missing wheels;
- ``/opt`` is read-only on Lambda, so modules without shipped ``.pyc`` are recompiled on every
  cold start; ``.pyc`` are version-specific, so a local interpreter of the target version
  writes them, or none does;
- the zip is written entry by entry (sorted names, fixed dates and modes): same inputs, same hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from authorizers.layer._interpreters import find_interpreter, python_version_of

#: Lambda runtime id -> Python version. python3.11 runs on Amazon Linux 2 (glibc 2.26), the
#: others on Amazon Linux 2023 (glibc 2.34); that decides which manylinux wheels may be used.
RUNTIMES = {f"python3.{minor}": f"3.{minor}" for minor in (11, 12, 13, 14)}
_AL2_RUNTIMES = frozenset({"python3.11"})
#: Lambda architecture name -> wheel platform machine name.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"

#: Parts of the package a deployed authorizer never imports (tests/layer/test_layer.py checks that
#: the runtime part imports none of them): development tools, left out of the layer.
DEV_ONLY = (
    "cli",
    "local",
    "testing",
    "demo",
    "layer",
    "plan",
)
#: Extras a layer may carry (``--with``): the packages of opt-in runtime features.
LAYER_EXTRAS = ("requests", "powertools")
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
#: The package this module belongs to: what goes into the layer unless told otherwise.
PACKAGE_SOURCE = Path(__file__).resolve().parents[1]  # authorizers/, this is authorizers/layer/


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
        """Wheel tags the runtime's glibc loads, best first (pip will not expand them itself)."""
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


_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _package_metadata(package_source: Path, extras: Sequence[str] = ()) -> tuple[str, list[str]]:
    """Version and install requirements (with those of ``extras``): from ``pyproject.toml``
    when building from a checkout (the truth at build time, even if the installed metadata is
    stale), else as installed."""
    pyproject = package_source.parent / "pyproject.toml"
    if pyproject.is_file():
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "authorizers":
            optional = project.get("optional-dependencies", {})
            wanted = list(project.get("dependencies", []))
            for extra in extras:
                wanted += optional.get(extra, [])
            return str(project["version"]), wanted
    import importlib.metadata  # noqa: PLC0415 - 40 ms, and rarely needed

    wanted = []
    for item in importlib.metadata.requires("authorizers") or []:
        requirement, _, marker = item.partition(";")
        named = _EXTRA_MARKER.search(marker)
        if named is None or named.group(1) in extras:
            wanted.append(requirement.strip() if named else item)
    return importlib.metadata.version("authorizers"), wanted


def runtime_requirements(
    package_source: Path = PACKAGE_SOURCE, extras: Sequence[str] = ()
) -> list[str]:
    """The package's own requirements (and those of ``extras``, from :data:`LAYER_EXTRAS`),
    minus what the Lambda runtime provides."""
    unknown = sorted(set(extras) - set(LAYER_EXTRAS))
    if unknown:
        raise LayerBuildError(f"unknown layer extras {unknown}; one of {list(LAYER_EXTRAS)}")
    requirements = []
    for requirement in _package_metadata(package_source, extras)[1]:
        match = _REQUIREMENT_NAME.match(requirement)
        name = match.group(1).lower().replace("_", "-") if match else ""
        if name not in PROVIDED_BY_RUNTIME:
            requirements.append(requirement.strip())
    return requirements


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authorizers" / "layer"


_PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
_CACHE_FORMAT = 1  # bump when what goes into a cached dependency tree changes


def _run(command: Sequence[str], what: str) -> bool:
    """Run a tool quietly; a failure raises with its output when ``what`` names the step."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0 and what:
        raise LayerBuildError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.returncode == 0


def _pip_target_args(target: LayerTarget) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version"]
    args.append(target.python_version)
    for platform in target.platforms:
        args += ["--platform", platform]
    return args


def _download(target: LayerTarget, requirements: Sequence[str], wheelhouse: Path) -> None:
    command = [*_PIP, "download", "--dest", str(wheelhouse), *_pip_target_args(target)]
    _run([*command, *requirements], "pip download")


def _tree_path(target: LayerTarget, requirements: Sequence[str], cache_dir: Path) -> Path:
    wheels = sorted(path.name for path in (cache_dir / "wheels" / target.name).glob("*.whl"))
    inputs = json.dumps([_CACHE_FORMAT, target.name, sorted(requirements), wheels])
    return cache_dir / "trees" / f"{target.name}-{hashlib.sha256(inputs.encode()).hexdigest()[:20]}"


def dependency_tree(
    target: LayerTarget,
    requirements: Sequence[str],
    cache_dir: Path,
    *,
    refresh: bool = False,
    offline: bool = False,
    compile_with: str | None = None,
) -> Path:
    """The installed, pruned, maybe compiled dependencies for ``target``, cached by their
    exact inputs (requirements, wheel names, compiled or not): a repeated build links them.

    Wheels are installed from the per-target wheelhouse with ``--no-index``; the index is asked
    only for missing wheels (or on ``refresh``), never when ``offline``.
    """
    wheelhouse = cache_dir / "wheels" / target.name
    if refresh and not offline:
        _download(target, requirements, wheelhouse)
    key = [*requirements, f"compiled={compile_with is not None}"]
    if (cached := _tree_path(target, key, cache_dir)).is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cached.parent, prefix=".partial-") as partial:
        site_dir = Path(partial, "python")
        install = [*_PIP, "install", "--no-compile", "--no-index", "--find-links", str(wheelhouse)]
        install += ["--target", str(site_dir), *_pip_target_args(target), *requirements]
        if not _run(install, ""):
            if offline:
                raise LayerBuildError(
                    f"the wheel cache {wheelhouse} cannot satisfy {list(requirements)} offline;"
                    f" run: authorizers layer fetch --runtime {target.runtime}"
                    f" --arch {target.architecture}"
                )
            shutil.rmtree(site_dir, ignore_errors=True)  # no leftovers of the failed attempt
            _download(target, requirements, wheelhouse)
            _run(install, "pip install")
            cached = _tree_path(target, key, cache_dir)
        prune(site_dir)
        if compile_with is not None:
            compile_tree(site_dir, compile_with)
        for path in site_dir.rglob("*"):  # builds hard-link these files: keep them pristine
            if path.is_file():
                path.chmod(path.stat().st_mode & ~0o222)
        with contextlib.suppress(OSError):  # a concurrent build may have stored it first
            site_dir.rename(cached)
    return cached


def _link_or_copy(source: str, destination: str) -> None:
    """Hard-link a (read-only) cached file: a build then writes almost nothing."""
    try:
        os.link(source, destination)
    except OSError:  # another file system, or links not supported
        shutil.copy2(source, destination)


def fetch(
    target: LayerTarget, cache_dir: Path, *, refresh: bool = False, extras: Sequence[str] = ()
) -> Path:
    """Prepare everything a default build of ``target`` needs, so it can then run offline."""
    compiler = find_interpreter(target.python_version)
    requirements = runtime_requirements(extras=extras)
    return dependency_tree(target, requirements, cache_dir, refresh=refresh, compile_with=compiler)


def copy_package(site_dir: Path, source: Path) -> None:
    """Copy the runtime part of the ``authorizers`` package from ``source`` (not
    :data:`DEV_ONLY`), plus minimal metadata so that ``importlib.metadata.version("authorizers")``
    works inside Lambda."""
    noise = shutil.ignore_patterns("__pycache__", "tests", ".*", "*.pyc", "*.pyo", "*.pyi")

    def ignore(folder: str, names: list[str]) -> set[str]:
        """The noise anywhere, and the development tools at the top (never copied)."""
        skipped = noise(folder, names)
        return skipped | set(DEV_ONLY).intersection(names) if Path(folder) == source else skipped

    shutil.copytree(source, site_dir / "authorizers", ignore=ignore)
    version = _package_metadata(source)[0]
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
        elif path.suffix in _DROPPED_SUFFIXES or (
            path.parent.suffix == ".dist-info" and path.name in _DIST_INFO_NOISE
        ):
            path.unlink()


def compile_tree(site_dir: Path, interpreter: str, only: Path | None = None) -> None:
    """Write ``.pyc`` next to every module (of ``only``, if given) in ``site_dir``, recording
    the path Lambda imports them from (``/opt/python/...``), not this machine's.

    ``unchecked-hash`` pycs do not depend on file times (reproducible) and skip the source
    check at import; the layer is immutable, so they can never go stale.
    """
    command = [interpreter, "-I", "-m", "compileall", "-q", "-j", "1", "-s", str(site_dir)]
    command += ["-p", LAYER_MOUNT, "--invalidation-mode", "unchecked-hash"]
    command.append(str(only or site_dir))
    _run(command, "byte-compilation")


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


def layer_file_name(target: LayerTarget, package_source: Path = PACKAGE_SOURCE) -> str:
    return f"authorizers-layer-{_package_metadata(package_source)[0]}-{target.name}.zip"


def build_layer(
    target: LayerTarget,
    out_dir: Path,
    *,
    as_zip: bool = True,
    byte_compile: bool = True,
    compile_with: str | None = None,
    cache_dir: Path | None = None,
    refresh: bool = False,
    offline: bool = False,
    requirements: Sequence[str] | None = None,
    extras: Sequence[str] = (),
    package_source: Path = PACKAGE_SOURCE,
) -> LayerBuild:
    """Build the layer for ``target`` into ``out_dir``: a zip, or (``as_zip=False``, for
    ``sam build``) the ``python/`` tree itself.

    ``.pyc`` are written by ``compile_with``, else by a local interpreter of the target version
    if there is one (none if not ``byte_compile``). ``requirements`` and ``package_source``
    default to this package's own (another checkout, a pinned set).
    """
    interpreter = compile_with
    if interpreter is None and byte_compile:
        interpreter = find_interpreter(target.python_version)
    elif interpreter is not None and python_version_of(interpreter) != target.python_version:
        raise LayerBuildError(f"{interpreter} is not CPython {target.python_version}")
    wanted = (
        runtime_requirements(package_source, extras) if requirements is None else list(requirements)
    )
    cache = cache_dir or default_cache_dir()
    dependencies = dependency_tree(
        target, wanted, cache, refresh=refresh, offline=offline, compile_with=interpreter
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="authorizers-layer-") as staging:
        site_dir = Path(staging if as_zip else out_dir, "python")
        shutil.rmtree(site_dir, ignore_errors=True)
        shutil.copytree(dependencies, site_dir, copy_function=_link_or_copy)
        copy_package(site_dir, package_source)
        if interpreter is not None:
            compile_tree(site_dir, interpreter, only=site_dir / "authorizers")
        unzipped = sum(path.stat().st_size for path in site_dir.rglob("*") if path.is_file())
        if unzipped > MAX_UNZIPPED_BYTES:
            raise LayerBuildError(f"layer unzips to {unzipped} bytes, over Lambda's limit")
        if not as_zip:
            return LayerBuild(target, site_dir, unzipped, None, interpreter)
        zip_path = out_dir / layer_file_name(target, package_source)
        write_reproducible_zip(Path(staging), zip_path)
    zipped = zip_path.stat().st_size
    if zipped > MAX_ZIP_BYTES:
        raise LayerBuildError(f"layer zip is {zipped} bytes, over Lambda's direct-upload limit")
    return LayerBuild(target, zip_path, unzipped, zipped, interpreter)
