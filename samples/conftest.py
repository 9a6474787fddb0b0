"""What the samples' tests share: import a sample's ``app.py`` afresh with its environment.

Each sample reads its settings at import, as a Lambda function does at init, so every test
imports it again under a unique module name (the samples all have an ``app.py``) after
setting the environment it wants; ``None`` removes a variable.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

LoadApp = Callable[..., ModuleType]


@pytest.fixture
def load_app(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> LoadApp:
    """``load_app(NAME="value", OTHER=None)`` imports the calling test's sibling ``app.py``."""
    sample_dir = Path(str(request.path)).parent

    def load(**environment: str | None) -> ModuleType:
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        path = sample_dir / "app.py"
        spec = importlib.util.spec_from_file_location(f"sample_{sample_dir.name}_app", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
