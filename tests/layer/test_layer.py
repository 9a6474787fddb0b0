"""The Lambda layer build: target wheels, pruning, .pyc, a reproducible zip, and a layer that
authorizes a real token in a clean interpreter with nothing else on ``sys.path``.

Builds run offline from the wheel cache (``make layer-wheels`` / ``authorizers layer fetch``
fills it); without it the build tests skip rather than reach the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from lambda_runtime_api import (
    LOCAL_ARCH,
    LOCAL_VERSION,
    REPO,
    local_target,
    offline,
    python_version_of_layer,
    sam_built_layer,
    write_sample_handler,
)

from authorizers import layer
from authorizers.cli import main
from authorizers.layer import LayerBuildError, LayerTarget
from authorizers.testing.issuer import TestIssuer

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets/7"


def _name(requirement: str) -> str:
    return re.split(r"[\s;\[<>=!~]", requirement.strip(), maxsplit=1)[0].lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def package_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A frozen copy of the package (with pyproject), so concurrent edits cannot make two
    builds differ."""
    root = tmp_path_factory.mktemp("checkout")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "authorizers", root / "authorizers", ignore=ignore)
    return root / "authorizers"


@pytest.fixture(scope="module")
def local_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full layer for this interpreter's runtime, built through the CLI as sam build does."""
    target = local_target()
    out = tmp_path_factory.mktemp("layer")
    argv = ["layer", "build", "--runtime", target.runtime, "--arch", target.architecture]
    code = main([*argv, "--format", "dir", "--offline", "--out", str(out)])
    if code != 0:
        pytest.skip("wheel cache not filled (make layer-wheels)")
    return out / "python"


# -- targets and requirements -----------------------------------------------------------------


def test_wheel_platforms_follow_the_runtime_glibc() -> None:
    assert LayerTarget("python3.11", "x86_64").platforms == ("manylinux2014_x86_64",)
    assert LayerTarget("python3.13", "arm64").platforms == (
        "manylinux_2_34_aarch64",
        "manylinux_2_28_aarch64",
        "manylinux2014_aarch64",
    )
    assert LayerTarget().name == "python3.13-x86_64"
    with pytest.raises(ValueError, match="runtime"):
        LayerTarget("python3.9")
    with pytest.raises(ValueError, match="architecture"):
        LayerTarget("python3.13", "aarch64")  # Lambda calls it arm64


def test_requirements_are_the_project_dependencies_minus_the_runtime_sdk() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_name(item) for item in project["dependencies"]}
    wanted = {_name(item) for item in layer.runtime_requirements()}
    assert wanted == declared - {"boto3", "botocore"} == {"cryptography", "cachetools"}
    extras = layer.runtime_requirements(extras=("requests", "powertools"))
    assert {_name(item) for item in extras} == wanted | {"requests", "aws-lambda-powertools"}
    with pytest.raises(LayerBuildError, match="unknown layer extras"):
        layer.runtime_requirements(extras=("test",))  # dev tools never go into a layer


def test_requirements_come_from_the_checkout_and_drop_boto3(tmp_path: Path) -> None:
    (tmp_path / "authorizers").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "authorizers"\nversion = "9.9.9"\n'
        'dependencies = ["pyjwt>=2", "boto3>=1.34", "botocore", "cachetools"]\n'
    )
    source = tmp_path / "authorizers"
    assert layer.runtime_requirements(source) == ["pyjwt>=2", "cachetools"]
    assert layer.layer_file_name(LayerTarget(), source).startswith("authorizers-layer-9.9.9-")


def test_the_cli_takes_extras_by_name_and_refuses_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["layer", "build", "--out", str(tmp_path), "--offline"]
    assert main([*argv, "--with", "requests,pytest"]) == 2
    assert "unknown extras ['pytest']" in capsys.readouterr().err
    assert not list(tmp_path.iterdir()), "nothing built"


def test_without_a_checkout_the_installed_metadata_is_used(tmp_path: Path) -> None:
    wanted = layer.runtime_requirements(tmp_path / "authorizers")
    assert {_name(item) for item in wanted} == {"cryptography", "cachetools"}
    with_requests = layer.runtime_requirements(tmp_path / "authorizers", ("requests",))
    assert {_name(item) for item in with_requests} == {"cryptography", "cachetools", "requests"}
    assert not any("extra" in item for item in with_requests)


# -- pruning, compilation, zip ------------------------------------------------------------------


def test_prune_drops_what_lambda_never_runs(tmp_path: Path) -> None:
    files = [
        "bin/normalizer",
        "pkg/__init__.py",
        "pkg/py.typed",
        "pkg/core.pyi",
        "pkg/__pycache__/core.cpython-313.pyc",
        "pkg/tests/test_core.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/INSTALLER",
        "pkg-1.0.dist-info/licenses/LICENSE",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    layer.prune(tmp_path)
    kept = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert kept == [
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "pkg/__init__.py",
        "pkg/py.typed",
    ]


def _tree(root: Path, mtime: float, mode: int) -> Path:
    for name, body in [("python/b/mod.py", "b = 2\n"), ("python/a.py", "a = 1\n")]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
        path.chmod(mode)
        os.utime(path, (mtime, mtime))
    tool = root / "python/tool.so"
    tool.write_bytes(b"\x7fELF")
    tool.chmod(0o700)
    return root


def test_zip_depends_on_contents_only(tmp_path: Path) -> None:
    first, second = tmp_path / "one.zip", tmp_path / "two.zip"
    layer.write_reproducible_zip(_tree(tmp_path / "t1", 1_600_000_000, 0o600), first)
    layer.write_reproducible_zip(_tree(tmp_path / "t2", 1_700_000_000, 0o664), second)
    assert _sha256(first) == _sha256(second)
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["python/a.py", "python/b/mod.py", "python/tool.so"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = [(info.external_attr >> 16) & 0o777 for info in infos]
    assert modes == [0o644, 0o644, 0o755]


def test_find_interpreter_checks_the_version_it_returns() -> None:
    assert layer.find_interpreter(LOCAL_VERSION) == sys.executable
    assert layer.find_interpreter("3.99") is None


def test_compiling_with_a_wrong_interpreter_is_refused(tmp_path: Path) -> None:
    other = "3.12" if LOCAL_VERSION != "3.12" else "3.13"
    with pytest.raises(LayerBuildError, match="is not CPython"):
        layer.build_layer(LayerTarget(f"python{other}"), tmp_path, compile_with=sys.executable)


# -- real builds (offline, from the wheel cache) --------------------------------------------


def test_same_inputs_give_the_same_zip(tmp_path: Path, package_snapshot: Path) -> None:
    target = local_target()
    builds = [
        offline(
            layer.build_layer,
            target,
            tmp_path / out,
            requirements=["cachetools"],
            package_source=package_snapshot,
        )
        for out in ("first", "second")
    ]
    assert builds[0].compiled_with == sys.executable
    assert builds[0].path.name == f"authorizers-layer-0.1.0-{target.name}.zip"
    assert _sha256(builds[0].path) == _sha256(builds[1].path)
    with zipfile.ZipFile(builds[0].path) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    assert all(name.startswith("python/") for name in names)
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    assert f"python/authorizers/__pycache__/authorizer.{tag}.pyc" in names
    assert not [name for name in names if _dev_only(name.removeprefix("python/"))]
    assert "python/authorizers/py.typed" in names
    assert "python/authorizers-0.1.0.dist-info/METADATA" in names


def _dev_only(name: str) -> bool:
    """Whether a layer path (``authorizers/...``, sources and ``.pyc``) is a development tool."""
    parts = name.split("/")
    if parts[0] != "authorizers":
        return False
    module = "/".join(part for part in parts[1:] if part != "__pycache__").split(".", 1)[0]
    stems = [tool.removesuffix(".py") for tool in layer.DEV_ONLY]
    return any(module == stem or module.startswith(f"{stem}/") for stem in stems)


def test_the_dev_only_check_recognises_the_tools_in_every_form() -> None:
    """The layer tests assert no path is ``_dev_only``: it must say yes to a tool."""
    tag = f"cpython-{sys.version_info[0]}{sys.version_info[1]}"
    for tool in ("authorizers/cli/api_key.py", f"authorizers/testing/__pycache__/issuer.{tag}.pyc"):
        assert _dev_only(tool), tool
    for runtime in ("authorizers/authorizer.py", "authorizers/client.py", "cli/api_key.py"):
        assert not _dev_only(runtime), runtime


def test_the_layer_holds_the_runtime_and_nothing_else(local_layer: Path) -> None:
    top = {path.name for path in local_layer.iterdir()}
    assert {"authorizers", "cryptography", "cachetools"} <= top
    assert not {"jwt", "requests", "urllib3", "aws_lambda_powertools"} & top, "extras only"
    assert not {"bin", "boto3", "botocore", "pytest"} & top
    files = [path for path in local_layer.rglob("*") if path.is_file()]
    assert not [path for path in files if path.suffix == ".pyi" or "tests" in path.parts]
    assert not [path for path in files if path.name in {"RECORD", "INSTALLER", "REQUESTED"}]
    names = [path.relative_to(local_layer).as_posix() for path in files]
    assert not [name for name in names if _dev_only(name)], "development tools stay out"
    assert (local_layer / "authorizers" / "handler.py").is_file()
    assert (local_layer / "authorizers" / "py.typed").is_file()
    pyc = local_layer / "authorizers" / "__pycache__"
    assert sorted(pyc.glob("authorizer.cpython-*.pyc")), "modules ship compiled"
    assert (local_layer / "cryptography" / "__pycache__").is_dir()


_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import authorizers
missing = {}
for module in pkgutil.walk_packages(authorizers.__path__, "authorizers."):
    try:
        importlib.import_module(module.name)
    except ModuleNotFoundError as error:  # only a missing part of the package counts here
        if (error.name or "").startswith("authorizers"):
            missing[module.name] = error.name
print(json.dumps(missing))
"""


def test_no_runtime_module_needs_a_development_tool(local_layer: Path) -> None:
    """Every module the layer ships imports in a clean interpreter without the tools left
    out (third-party imports such as boto3 may be missing: they are imported on use)."""
    issuer = {"issuer": "https://idp.example", "jwks_url": "https://idp.example/j", "audience": "a"}
    config = {"validators": [{"type": "jwt", "issuers": [issuer]}]}  # authorizers.handler's
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _IMPORT_EVERY_MODULE, str(local_layer)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"AUTHORIZER_CONFIG": json.dumps(config), "LANG": "C.UTF-8"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {}


_ZERO_CODE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import authorizers.handler as entry
print(json.dumps({
    "fetcher": type(entry.authorizer._validator._issuers["https://idp.example"].keys.cache.fetcher).__name__,
    "modules": sorted({m.split(".")[0] for m in sys.modules}),
    "file": entry.__file__,
}))
"""


@pytest.mark.parametrize(
    ("extras", "fetcher"),
    [((), "HttpClientFetcher"), (("requests", "powertools"), "RequestsFetcher")],
)
def test_the_zero_code_handler_imports_from_the_layer(
    tmp_path: Path, package_snapshot: Path, extras: tuple[str, ...], fetcher: str
) -> None:
    """Built with and without ``--with requests,powertools``: the zero-code handler imports
    from the layer alone in a clean interpreter and builds its authorizer; the extras' packages
    are there when asked for and imported only when the configuration uses them."""
    target = local_target()
    build = offline(
        layer.build_layer,
        target,
        tmp_path / "layer",
        as_zip=False,
        extras=extras,
        package_source=package_snapshot,
    )
    top = {path.name for path in build.path.iterdir()}
    assert ({"requests", "aws_lambda_powertools"} <= top) == bool(extras)
    issuer = {
        "issuer": "https://idp.example",
        "jwks_url": "https://idp.example/jwks",
        "audience": "a",
    }
    validator: dict[str, Any] = {"type": "jwt", "issuers": [issuer]}
    config: dict[str, Any] = {"validators": [validator]}
    if extras:
        validator["fetcher"] = "requests"
        config["observability"] = {"type": "powertools"}
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _ZERO_CODE, str(build.path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"AUTHORIZER_CONFIG": json.dumps(config), "LANG": "C.UTF-8", "AWS_REGION": "x"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["file"].startswith(str(build.path))
    assert found["fetcher"] == fetcher
    assert "jwt" not in found["modules"] and "requests" not in found["modules"]
    assert ("aws_lambda_powertools" in found["modules"]) == bool(extras)


def test_fetch_is_a_no_op_once_the_cache_is_filled(
    local_layer: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = local_target()
    argv = ["layer", "fetch", "--runtime", target.runtime, "--arch", target.architecture]
    assert main(argv) == 0
    assert f"{target.name}: wheels cached" in capsys.readouterr().out


# -- the layer at work: only the layer on sys.path ----------------------------------------------

_CLEAN_RUN = """
import json, sys
layer, task, event = sys.argv[1:4]
sys.path[:0] = [layer, task]
import token_authorizer, authorizers, cryptography
try:
    outcome = {"result": token_authorizer.handler(json.loads(event), None)}
except Exception as error:
    outcome = {"raised": str(error)}
outcome["from_layer"] = all(m.__file__.startswith(layer) for m in (authorizers, cryptography))
outcome["site"] = [entry for entry in sys.path if "site-packages" in entry]
print(json.dumps(outcome))
"""


def authorize_in_clean_interpreter(python: str, layer_dir: Path, tmp_path: Path) -> None:
    """``-I -S``: no user site, no site-packages, no PYTHON* variables - only the layer."""
    issuer = TestIssuer()
    handler_dir = tmp_path / "task"
    write_sample_handler(handler_dir)
    env = {
        "AUTHZ_ISSUER": issuer.issuer,
        "AUTHZ_AUDIENCE": str(issuer.audience),
        "AUTHZ_JWKS": json.dumps(issuer.jwks),
        "LANG": "C.UTF-8",
    }

    def run(token: str) -> dict[str, Any]:
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": ARN}
        argv = [python, "-I", "-S", "-c", _CLEAN_RUN, str(layer_dir), str(handler_dir)]
        done = subprocess.run(
            [*argv, json.dumps(event)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        assert outcome["from_layer"] and outcome["site"] == []
        return outcome

    allowed = run(f"Bearer {issuer.mint(subject='alice')}")["result"]
    assert allowed["principalId"] == "alice"
    [statement] = allowed["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*"]
    assert run(f"Bearer {issuer.mint_broken('bad_signature')}") == {
        "raised": "Unauthorized",
        "from_layer": True,
        "site": [],
    }


def test_local_layer_authorizes_in_a_clean_interpreter(local_layer: Path, tmp_path: Path) -> None:
    authorize_in_clean_interpreter(sys.executable, local_layer, tmp_path)


def test_python313_layer_authorizes_under_python313(tmp_path: Path, package_snapshot: Path) -> None:
    python = layer.find_interpreter("3.13")
    if python is None or LOCAL_ARCH not in layer.ARCHITECTURES:
        pytest.skip("no local Python 3.13")
    build = offline(
        layer.build_layer,
        LayerTarget("python3.13", LOCAL_ARCH),
        tmp_path / "layer",
        as_zip=False,
        package_source=package_snapshot,
    )
    authorize_in_clean_interpreter(python, build.path, tmp_path)


def test_sam_built_layer_authorizes_in_a_clean_interpreter(tmp_path: Path) -> None:
    built = sam_built_layer()
    python = layer.find_interpreter(python_version_of_layer(built))
    if python is None:
        pytest.skip(f"no local Python {python_version_of_layer(built)}")
    authorize_in_clean_interpreter(python, built, tmp_path)


def test_sam_built_layer_is_what_the_cli_builds(tmp_path: Path) -> None:
    """Byte for byte, apart from the package sources, which other work may have changed since
    ``sam build`` ran (the zip's reproducibility is tested above on a frozen snapshot)."""
    built = sam_built_layer()
    target = LayerTarget(f"python{python_version_of_layer(built)}", LOCAL_ARCH)
    fresh = offline(layer.build_layer, target, tmp_path, as_zip=False).path

    def digest(root: Path) -> dict[str, str]:
        files = [path for path in root.rglob("*") if path.is_file()]
        names = [path.relative_to(root).as_posix() for path in files]
        return {
            name: _sha256(path)
            for name, path in zip(names, files, strict=True)
            if not name.startswith("authorizers/")
        }

    assert digest(built) == digest(fresh)
    assert (built / "authorizers" / "__pycache__").is_dir()
