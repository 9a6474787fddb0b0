"""Lazy re-exports for package ``__init__`` modules (PEP 562), written once.

A package lists ``name -> module`` and gets the ``__getattr__``/``__dir__`` pair that imports a
module on first use of one of its names and then caches the name in the package's namespace,
so ``import authorizers`` (or ``.testing``, ``.jwks``, ``.local``) costs nothing up front.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``; ``exports`` maps a name to its module."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
