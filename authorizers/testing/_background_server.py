"""A ``ThreadingHTTPServer`` on 127.0.0.1 served from a background thread, as a context manager.

The local gateway and the test kit's JWKS server share this life cycle; each says how to build
its server (:meth:`BackgroundServer._build`) and what to release before it closes
(:meth:`BackgroundServer._before_close`).
"""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"


class BackgroundServer:
    """``start()`` binds and serves in a daemon thread; ``stop()`` shuts down and joins it."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _build(self) -> ThreadingHTTPServer:
        raise NotImplementedError

    def _before_close(self, server: ThreadingHTTPServer) -> None:
        """Called after the serve loop ended, before the socket closes (hook)."""

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        self._server = server = self._build()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (a second call does nothing)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        self._before_close(server)
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://{LOOPBACK}:{self.port}"
