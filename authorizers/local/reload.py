"""``authorizers serve --reload``: restart a function when its code changes.

A poller, not an OS file-watch API (no dependency, the same on every platform): every
``interval`` seconds the files under each function's ``CodeUri`` are listed with their
modification time and size; a function whose folder changed is reset (its next invocation
imports the code afresh) and every authorizer's result cache is cleared, so the next request
shows the edit. :meth:`CodeWatcher.poll` is one check, for tests; ``wait`` is injectable.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authorizers.local.gateway import LocalGateway

#: Files per folder looked at; a CodeUri this large is not a function's code folder.
MAX_FILES = 20_000
_SKIPPED = {"__pycache__", ".git", ".venv", "node_modules", ".aws-sam"}

Fingerprint = frozenset[tuple[str, int, int]]


def fingerprint(folder: Path, max_files: int = MAX_FILES) -> Fingerprint:
    """``(path, mtime_ns, size)`` of the files under ``folder`` (bounded by ``max_files``)."""
    found: list[tuple[str, int, int]] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED)
        for name in sorted(files):
            if len(found) >= max_files:
                return frozenset(found)
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:  # removed while listing: the next poll sees it gone
                continue
            found.append((os.path.join(root, name), stat.st_mtime_ns, stat.st_size))
    return frozenset(found)


class CodeWatcher:
    """Polls the gateway's function folders; ``on_reload`` gets the restarted function ids."""

    def __init__(
        self,
        gateway: LocalGateway,
        *,
        interval: float = 0.5,
        on_reload: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.interval = interval
        self.on_reload = on_reload
        self.folders: dict[Path, list[str]] = {}
        for function_id, spec in gateway.template.functions.items():
            if spec.code_uri is not None:
                self.folders.setdefault(spec.code_uri, []).append(function_id)
        self._seen = {folder: fingerprint(folder) for folder in self.folders}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> list[str]:
        """Check once; restart the functions whose code changed and return their ids."""
        changed: list[str] = []
        for folder, function_ids in self.folders.items():
            now = fingerprint(folder)
            if now != self._seen[folder]:
                self._seen[folder] = now
                changed += function_ids
        if changed:
            self.gateway.runner.reset(changed)
            for stage in self.gateway.stages.values():
                stage.clear()
            if self.on_reload is not None:
                self.on_reload(changed)
        return changed

    def start(self, wait: Callable[[float], bool] | None = None) -> CodeWatcher:
        """Poll in a daemon thread until :meth:`stop`; ``wait(seconds)`` returns True to stop."""
        pause = wait or self._stop.wait

        def loop() -> None:
            while not pause(self.interval):
                self.poll()

        self._thread = threading.Thread(target=loop, name="code-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
