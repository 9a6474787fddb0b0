"""A :class:`~authorizers.jwks.fetch.Fetcher` on ``requests`` (the ``[requests]`` extra), for
functions that use it anyway or need its ``Session`` features (custom adapters, mTLS).

Chosen by name (``fetcher="requests"``, ``"fetcher": "requests"`` in the JSON config) or by
passing ``RequestsFetcher(session=...)``. The hardening is the shared one of
:mod:`authorizers.jwks.fetch`; ``requests`` itself is imported at the first fetch.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from authorizers._internal.extras import require_extra
from authorizers.jwks.fetch import (
    REQUEST_HEADERS,
    ca_bundle,
    check_response,
    describe_url,
    is_loopback,
    read_capped,
    run_within,
    track_socket,
)

if TYPE_CHECKING:
    import requests

__all__ = ["RequestsFetcher"]


@functools.cache
def _tracking_adapter_class() -> Any:
    """A requests adapter whose connections report their sockets to the current ``_Abort``.

    Built on first use: it subclasses requests/urllib3 classes, which must not load at import.
    """
    from requests.adapters import HTTPAdapter  # noqa: PLC0415 - lazy: cold start
    from urllib3 import connection, connectionpool  # noqa: PLC0415 - lazy: cold start

    def track(base: Any) -> Any:
        class Tracking(base):  # type: ignore[misc]
            def _new_conn(self) -> Any:
                sock = super()._new_conn()
                track_socket(sock)
                return sock

            def connect(self) -> None:
                super().connect()
                track_socket(self.sock)

        return Tracking

    class HttpPool(connectionpool.HTTPConnectionPool):
        ConnectionCls = track(connection.HTTPConnection)

    class HttpsPool(connectionpool.HTTPSConnectionPool):
        ConnectionCls = track(connection.HTTPSConnection)

    pools = {"http": HttpPool, "https": HttpsPool}

    class TrackingAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    return TrackingAdapter


class _RedactQueries(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included; a JWKS URL may carry a
    credential there (``?client_secret=``), so the query is masked before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?[redacted]" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


@functools.cache
def _redact_urllib3_request_lines() -> None:
    logging.getLogger("urllib3.connectionpool").addFilter(_RedactQueries())


class RequestsFetcher:
    """A :class:`~authorizers.jwks.fetch.Fetcher` on ``requests``.

    The request runs in a worker thread that the caller waits for at most ``timeout``; at the
    deadline its sockets are shut down, so neither slow headers, a trickling body nor a slow
    DNS answer can hold the caller longer. Proxies come from the environment (``HTTPS_PROXY``,
    ``NO_PROXY``; never for loopback); ``.netrc`` is never read, so no credential is ever sent.
    ``verify`` is a CA bundle path or ``True`` (the bundle the environment names, see
    :data:`~authorizers.jwks.fetch.CA_BUNDLE_VARIABLES`, else certifi's).

    ``session``: the application's own ``requests.Session``, used as it is configured (its
    proxies, trust settings and adapters are its owner's choice; the deadline still bounds
    the caller, status, redirect and size rules still apply).
    """

    def __init__(
        self, *, verify: bool | str = True, session: requests.Session | None = None
    ) -> None:
        if session is None:
            require_extra("requests", "requests", "RequestsFetcher")
        self.verify = verify
        self.session = session

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        # Import here, not in the worker: an abandoned worker must never hold the import lock,
        # and import time (slow on a small Lambda) is not the IdP's fault.
        session = self.session if self.session is not None else self._session(url)
        owned = self.session is None
        return run_within(
            url, timeout, lambda: self._get(session, url, timeout, max_bytes, close=owned)
        )

    def _session(self, url: str) -> requests.Session:
        import requests  # noqa: PLC0415 - lazy: cold start

        _redact_urllib3_request_lines()

        session = requests.Session()
        session.trust_env = False  # no .netrc credentials; proxies and CA bundle set below
        adapter = _tracking_adapter_class()()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        if not is_loopback(urlsplit(url).hostname or ""):
            session.proxies.update(requests.utils.get_environ_proxies(url))
        session.verify = ca_bundle(self.verify)
        return session

    @staticmethod
    def _get(
        session: requests.Session, url: str, timeout: float, max_bytes: int, *, close: bool
    ) -> bytes:
        where = describe_url(url)
        with session.get(
            url,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
            headers=REQUEST_HEADERS,
        ) as response:
            try:
                check_response(where, response.status_code, response.headers.get, max_bytes)
                return read_capped(
                    lambda size: response.raw.read(size, decode_content=False), where, max_bytes
                )
            finally:
                if close:
                    session.close()
