"""A local server run as a child process, for the integration fixtures.

The child writes to a log file rather than a pipe: nobody has to drain a pipe, the port it
announces can be read back without a race, and the log stays around for debugging a failed
start. The child is stopped by its own pid only (terminate, wait, kill).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

#: How long a server may take to start on a slow, shared 2-core machine.
START_TIMEOUT = 30.0


class ServerStartError(RuntimeError):
    """The server did not come up; the message carries the tail of its log."""


class ServerProcess:
    """One child process whose stdout and stderr go to ``log_path``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        keep_stdin_open: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        # A child that watches its stdin exits by itself if the test run dies without cleanup.
        self.keep_stdin_open = keep_stdin_open
        self._process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            raise RuntimeError("already running")
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE if self.keep_stdin_open else subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # a Ctrl-C in the terminal is the test run's to handle
            )

    def wait_for_output(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match[str]:
        """Wait for ``pattern`` in what the child printed since it was started."""
        compiled = re.compile(pattern)
        found: re.Match[str] | None = None

        def appeared() -> bool:
            nonlocal found
            found = compiled.search(self.output())
            return found is not None

        self.wait_until(appeared, timeout, f"output matching {pattern!r}")
        assert found is not None
        return found

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``ready`` until it is true; fail early if the child has exited."""
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.running:
                raise ServerStartError(f"{self.argv[0]} exited before {what}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise ServerStartError(f"no {what} after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.05)

    def output(self) -> str:
        """What the child printed since this start (earlier starts share the log file)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode("utf-8", "replace")

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
