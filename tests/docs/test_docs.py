"""Docs that run: every fenced block of README.md and docs/*.md is run here by its language, or
marked ``<!-- not run: reason -->`` (conventions: ``tests/docs_blocks.py``).

- ``python``: executed in a fresh namespace (``run: pytest``: as a pytest module in a fresh
  interpreter; ``run: continues``: after the earlier blocks of its file it builds on);
- ``sh``: bash with ``-euo pipefail`` in an empty folder, this package's CLI on the ``PATH``;
- ``json``: parsed; a configuration document (``validators``) is loaded and built as the
  zero-code handler would; ``yaml``: parsed with CloudFormation tags; a template (``Resources``)
  is read by the local gateway's template loader;
- ``text`` (output, formats) is not code.

Every block runs with the documentation's environment (``DOC_ENV``), fake AWS credentials and
an AWS endpoint nobody listens on: a block never reaches AWS.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from docs_blocks import ROOT, Block, all_blocks, chain, doc_files, indented_code, named
from helpers import create_key_table
from servers.environ import scoped_environ
from servers.moto import FAKE_AWS_ENV

from authorizers.config import build_authorizer, load_config
from authorizers.errors import ReasonCode
from authorizers.local.template import load_template
from authorizers.testing import CognitoTestIssuer, assert_unauthorized, token_event

MARKERS = frozenset({"run", "not run", "example", "python"})
LANGUAGES = frozenset({"python", "sh", "console", "json", "yaml", "text"})
DOC_ENV = {
    "USER_POOL_ID": "eu-west-1_AbCdEf123",
    "APP_CLIENT_ID": "4h3q9examplec1ient1d",
    "API_KEY_TABLE": "api-keys",
    "REVOCATION_TABLE": "token-revocations",
    "CLIENT_SECRET": "a-client-secret-of-the-docs",
    "CLIENT_KEY_SECRET": "prod/my-api/client-key",
    "HMAC_SECRET": "a-shared-secret-of-the-docs-0123456789",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens there: no block reaches AWS
}
BLOCKS = all_blocks()
RUN = [b for b in BLOCKS if b.lang != "text" and b.marker("not run") is None]
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@pytest.fixture
def doc_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """An empty working folder, the documentation's environment, and no name resolution but
    loopback's: a block that would reach a documented host (login.example.com) fails."""
    resolve = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # fetchers pass ASCII as bytes
        if name not in LOOPBACK:
            raise OSError(f"a documentation block tried to reach {host!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    monkeypatch.chdir(tmp_path)
    environ = {**FAKE_AWS_ENV, **DOC_ENV}
    block = getattr(request.node, "callspec", None) and request.node.callspec.params.get("block")
    if block and "moto" in block.fixtures:  # started before this environment is applied
        moto = request.getfixturevalue("moto_reset")
        environ["AWS_ENDPOINT_URL"] = moto.endpoint_url
        dynamodb = moto.client("dynamodb")
        for table, key in (("api-keys", "key_hash"), ("token-revocations", "pk")):
            create_key_table(dynamodb, table, hash_key=key)
    with scoped_environ(environ):
        yield tmp_path


# -- setups a block can ask for (``<!-- run: name -->``) -------------------------------------


def _config_file(folder: Path) -> None:
    (folder / "authorizer.json").write_text(named("api-key-and-ip").code)


def _repo_template(folder: Path) -> None:
    (folder / "template.yaml").write_text((ROOT / "template.yaml").read_text())
    (folder / "samples").symlink_to(ROOT / "samples")  # the code the template names
    rules = {"routes": [{"allow": "GET /whoami"}, {"allow": "GET /pets/{id}"}]}
    (folder / "config.json").write_text(json.dumps(rules))


def _jwks_snapshot(folder: Path) -> None:
    pool = CognitoTestIssuer(DOC_ENV["USER_POOL_ID"], [DOC_ENV["APP_CLIENT_ID"]])
    (folder / "jwks.json").write_text(json.dumps(pool.jwks))


def _managed_template(folder: Path) -> None:
    sample = ROOT / "samples" / "managed_authorizers" / "template.yaml"
    (folder / "template.yaml").symlink_to(sample)  # read where it is: its code beside it


FIXTURES: dict[str, Callable[[Path], None]] = {
    "managed-template": _managed_template,  # template.yaml: the managed authorizers sample
    "jwks-snapshot": _jwks_snapshot,  # jwks.json: a Cognito pool's keys, as shipped
    "config-file": _config_file,  # authorizer.json: an example of configuration.md
    "repo-template": _repo_template,  # this repository's template.yaml (and a config.json)
    "continues": lambda _: None,
    "moto": lambda _: None,  # tables api-keys and token-revocations in moto (doc_env sets up)
    "pytest": lambda _: None,
    "fake-curl": lambda _: None,  # sh: curl prints its arguments instead of sending a request
}
SHELL_PRELUDE = {"fake-curl": "curl() { printf '%s\\n' \"$@\"; }\n"}


# -- the conventions ------------------------------------------------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.id)
def test_every_block_has_a_language_and_valid_markers(block: Block) -> None:
    assert block.lang in LANGUAGES, f"{block.id}: tag the block with one of {sorted(LANGUAGES)}"
    reason = block.marker("not run")
    assert reason is None or reason.strip(), f"{block.id}: 'not run' needs a reason"
    assert reason is None or block.marker("run") is None, f"{block.id}: run or not run?"
    names = {name for name, _ in block.markers} - MARKERS
    assert not names, f"{block.id}: unknown markers {sorted(names)}; known: {sorted(MARKERS)}"
    unknown = set(block.fixtures) - FIXTURES.keys()
    assert not unknown, f"{block.id}: unknown setups {sorted(unknown)}"
    assert block.lang != "console" or reason is not None, f"{block.id}: console is never run"
    defines_tests = block.lang == "python" and re.search(r"^def test_", block.code, re.M)
    assert not defines_tests or "pytest" in block.fixtures or reason, (
        f"{block.id} defines tests: mark it <!-- run: pytest --> so they run"
    )


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_no_indented_code_blocks(path: Path) -> None:
    """An indented block would escape the run: fence it."""
    assert not indented_code(path), f"{path.name}: fence the code at lines {indented_code(path)}"


#: A test module named by its path ("tests/X/test_Y.py", the placeholders of the layout rule
#: aside): a "not run" block points at the test that runs it instead.
TEST_PATH = re.compile(r"\btests/(?:[a-z_]+/)*test_[a-z0-9_]+\.py\b")


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: p.name)
def test_every_test_module_the_docs_name_exists(path: Path) -> None:
    """The relayout moved test modules: a stale path sends a reader to nothing."""
    named_paths = set(TEST_PATH.findall(path.read_text(encoding="utf-8")))
    assert sorted(p for p in named_paths if not (ROOT / p).is_file()) == []


# -- running them ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_the_block_runs(block: Block, doc_env: Path) -> None:
    for name in block.fixtures:
        FIXTURES[name](doc_env)
    RUNNERS[block.lang](block, doc_env)


def run_python(block: Block, folder: Path) -> dict[str, Any]:
    if "pytest" in block.fixtures:
        (folder / "test_doc_block.py").write_text(block.code)
        options = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-c", os.devnull]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                *options,
                "--rootdir",
                str(folder),
                "test_doc_block.py",
            ],
            check=False,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{block.id}:\n{done.stdout}\n{done.stderr}"
        return {}
    namespace: dict[str, Any] = {"__name__": "doc_block"}
    for part in chain(block):
        exec(compile(part.code, f"{part.doc}:{part.line}", "exec"), namespace)
    return namespace


def run_shell(block: Block, folder: Path) -> None:
    prelude = "".join(SHELL_PRELUDE.get(name, "") for name in block.fixtures)
    bin_dir = str(Path(sys.executable).parent)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", prelude + block.code],
        cwd=folder,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        input="live_a-key-you-already-have\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{block.id} exited {done.returncode}:\n{done.stderr}"


def run_json(block: Block, folder: Path) -> None:
    document = json.loads(block.code)
    if isinstance(document, dict) and "validators" in document:
        loaded, base_dir = load_config({**DOC_ENV, "AUTHORIZER_CONFIG": block.code})
        build_authorizer(loaded, base_dir=base_dir)


class _TaggedLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (``!Ref``, ``!GetAtt``...) taken as plain data."""


def _untagged(loader: yaml.SafeLoader, _: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


_TaggedLoader.add_multi_constructor("!", _untagged)


def run_yaml(block: Block, folder: Path) -> None:
    document = yaml.load(block.code, Loader=_TaggedLoader)
    assert isinstance(document, dict), f"{block.id}: not a YAML mapping"
    if "Resources" in document:  # a whole template: read it as `authorizers serve` would
        path = folder / "template.yaml"
        path.write_text(block.code)
        assert not load_template(path).warnings, f"{block.id}: the loader warns"


RUNNERS: dict[str, Callable[[Block, Path], Any]] = {
    "python": run_python,
    "sh": run_shell,
    "json": run_json,
    "yaml": run_yaml,
}


def test_the_docs_are_counted() -> None:
    """The suite sees the blocks: a broken fence pattern would run nothing and pass."""
    assert len(BLOCKS) >= 50
    assert {b.lang for b in RUN} >= {"python", "sh", "json", "yaml"}
    assert any("pytest" in b.fixtures for b in RUN)


# -- what some blocks must do, beyond running -------------------------------------------------


def test_the_readme_example_answers_401_to_a_missing_bad_or_foreign_token(doc_env: Path) -> None:
    """The README's authorizer: no network call to build, 401 without fetching any key."""
    readme = next(b for b in BLOCKS if b.doc == "README.md" and b.lang == "python")
    handler = run_python(readme, doc_env)["handler"]
    other_pool = CognitoTestIssuer("eu-west-1_Other1234", ["4h3q9examplec1ient1d"])
    foreign = f"Bearer {other_pool.access_token(scopes=['pets/write'])}"
    for header in ("", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", foreign):
        assert_unauthorized(handler, token_event("POST /pets", header))


def test_every_reason_code_has_a_troubleshooting_entry() -> None:
    text = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    headings = {line.removeprefix("## ").strip("` ") for line in text.splitlines()}
    missing = [code.value for code in ReasonCode if code.value not in headings]
    assert not missing, f"docs/troubleshooting.md has no '## `code`' entry for {missing}"


def test_a_config_document_that_does_not_load_fails_its_block(
    doc_env: Path, tmp_path: Path
) -> None:
    """The JSON runner validates, it does not only parse."""
    broken = Block("x.md", 1, "json", json.dumps({"validators": [{"type": "jwt"}]}), ())
    with pytest.raises(Exception, match="issuer"):
        run_json(broken, tmp_path)


def test_a_block_of_tests_fails_when_one_of_its_tests_fails(doc_env: Path) -> None:
    code = "def test_one():\n    pass\n\n\ndef test_two():\n    assert 1 == 2\n"
    with pytest.raises(AssertionError, match="1 failed, 1 passed"):
        run_python(Block("x.md", 1, "python", code, (("run", "pytest"),)), doc_env)


def test_a_python_block_cannot_reach_a_documented_host(doc_env: Path) -> None:
    code = "import requests\nrequests.get('https://login.example.com/', timeout=3)\n"
    with pytest.raises(Exception, match=r"login\.example\.com"):
        run_python(Block("x.md", 1, "python", code, ()), doc_env)


def test_a_failing_shell_block_fails(doc_env: Path) -> None:
    with pytest.raises(AssertionError, match="exited 1"):
        run_shell(Block("x.md", 1, "sh", "false\ntrue\n", ()), doc_env)


def test_yaml_blocks_are_read_with_cloudformation_tags(doc_env: Path) -> None:
    run_yaml(Block("x.md", 1, "yaml", "A: !GetAtt F.Arn\nB: !Ref X\n", ()), doc_env)
    with pytest.raises(yaml.YAMLError):
        run_yaml(Block("x.md", 1, "yaml", "A: [\n", ()), doc_env)
