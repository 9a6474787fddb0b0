"""The package's shape, checked: no import cycle (type-only imports included) and, in every
package with lazy exports, ``__all__``, the export table and the typed imports agree."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(importlib.import_module("authorizers").__file__ or "").parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _target(module: str, name: str) -> str:
    """``from module import name``: the submodule when there is one, else the module."""
    candidate = f"{module}.{name}"
    return candidate if candidate in MODULES else module


def _resolve(current: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = current if MODULES[current].name == "__init__.py" else current.rpartition(".")[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def imports_of(module: str) -> set[str]:
    """Every module of this package that ``module`` imports anywhere (run time, lazy inside a
    function, or under ``TYPE_CHECKING``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(module, node)
            found.update(_target(source, alias.name) for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None; iterative DFS."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in sorted(graph):
        if state.get(root):
            continue
        stack: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            child = todo.pop()
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, sorted(graph[child])))
    return None


def test_the_package_has_no_import_cycle_type_only_imports_included() -> None:
    graph = {module: imports_of(module) for module in MODULES}
    assert find_cycle(graph) is None


#: The layers data flows through, and what each lower layer must never import: keys come
#: before the validators that use them (docs/architecture.md).
LOWER_LAYERS = {
    "authorizers.jwks": ("authorizers.validators", "authorizers.rules", "authorizers.local"),
    "authorizers.keystores": ("authorizers.validators", "authorizers.rules", "authorizers.local"),
}


@pytest.mark.parametrize("layer", sorted(LOWER_LAYERS))
def test_a_lower_layer_imports_nothing_of_the_layers_above_it(layer: str) -> None:
    above = LOWER_LAYERS[layer]
    reaching = {
        module: sorted(name for name in imports_of(module) if name.startswith(above))
        for module in MODULES
        if module == layer or module.startswith(layer + ".")
    }
    assert {module: names for module, names in reaching.items() if names} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _lazy_packages() -> list[str]:
    return [
        name
        for name, path in MODULES.items()
        if path.name == "__init__.py" and "_EXPORTS" in path.read_text(encoding="utf-8")
    ]


def _typed_imports(path: Path) -> dict[str, str]:
    """``name -> module`` of the ``if TYPE_CHECKING:`` block's ``from m import n as n``."""
    typed: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom), ast.unparse(statement)
                for alias in statement.names:
                    assert alias.asname == alias.name, f"{alias.name}: re-export it as itself"
                    typed[alias.name] = statement.module or ""
    return typed


@pytest.mark.parametrize("package", _lazy_packages())
def test_all_the_export_table_and_the_typed_imports_agree(package: str) -> None:
    module = importlib.import_module(package)
    exports: dict[str, str] = module._EXPORTS
    assert sorted(module.__all__) == sorted(exports)
    assert _typed_imports(MODULES[package]) == exports
    for name, source in exports.items():  # each name is where the table says
        assert getattr(module, name) == getattr(importlib.import_module(source), name)


def test_every_package_that_reexports_does_so_lazily_and_typed() -> None:
    assert {"authorizers", "authorizers.testing", "authorizers.local"} <= set(_lazy_packages())


def test_mypy_sees_every_exported_name_typed_and_a_misspelt_one_as_an_error(
    tmp_path: Path,
) -> None:
    """``authorizers.testing.X`` used to be ``Any`` (a module ``__getattr__``): now every name
    of every export table has its real type, and a name not in the table is an error."""
    pytest.importorskip("mypy", reason="mypy comes with the lint extra (the main venv)")
    lines = []
    for package in _lazy_packages():
        lines.append(f"import {package}")
        exports = importlib.import_module(package)._EXPORTS
        lines += [f"reveal_type({package}.{name})  # {package}.{name}" for name in exports]
        lines.append(f"{package}.NoSuchName  # {package}: misspelt")
    snippet = tmp_path / "uses_the_exports.py"
    snippet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.11", str(snippet)],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,  # the project's mypy cache: seconds when `make lint` ran first
        check=False,
    )
    messages = [line for line in result.stdout.splitlines() if snippet.name in line]
    revealed = [line for line in messages if "Revealed type is" in line]
    errors = [line for line in messages if ": error:" in line]
    exported = sum(len(importlib.import_module(p)._EXPORTS) for p in _lazy_packages())
    assert len(revealed) == exported, result.stdout[-2000:]
    assert not [line for line in revealed if 'Revealed type is "Any"' in line]
    assert len(errors) == len(_lazy_packages())
    assert all('has no attribute "NoSuchName"' in line for line in errors)
