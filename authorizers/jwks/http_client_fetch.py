"""The default fetcher, on the standard library's ``http.client``.

Why the default: importing ``requests`` (with urllib3, charset_normalizer, idna, certifi)
costs a cold start ~65 ms more CPU and ~8 MiB more RSS than ``http.client``, for one GET
every ten minutes; ``http.client`` (``ssl`` included) is imported at the first fetch, not
before. The hardening is the same as
:class:`~authorizers.jwks.requests_fetch.RequestsFetcher`'s and shared with it
(:func:`~authorizers.jwks.fetch.run_within` for the total deadline,
:func:`~authorizers.jwks.fetch.check_response` and :func:`~authorizers.jwks.fetch.read_capped`);
``http.client`` never follows redirects, reads no ``.netrc`` and sends no credentials.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from authorizers.jwks._transport import (
    REQUEST_HEADERS,
    FetchError,
    ca_bundle,
    check_response,
    describe_url,
    is_loopback,
    read_capped,
    run_within,
    track_socket,
)

if TYPE_CHECKING:
    import http.client
    import ssl

_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def proxy_for(url: str) -> str | None:
    """The proxy URL the environment names for ``url`` (``HTTPS_PROXY`` or ``ALL_PROXY``,
    unless ``NO_PROXY`` matches the host), read as ``urllib`` and ``requests`` read it; never
    one for a loopback host. ``urllib.request`` is imported only when such a variable is set."""
    host = urlsplit(url).hostname or ""
    if is_loopback(host) or not any(os.environ.get(name) for name in _PROXY_VARIABLES):
        return None
    import urllib.request  # noqa: PLC0415 - only functions behind a proxy pay for it

    if urllib.request.proxy_bypass_environment(host):  # type: ignore[attr-defined]
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get("https") or proxies.get("all")


def _ascii(host: Any) -> Any:
    """An ASCII host name as bytes, anything else as it is. The standard library sends a str
    name through the IDNA codec both to resolve it and to name it in TLS (SNI); importing the
    codec (with ``stringprep`` and ``unicodedata``) costs ~0.35 MiB of RSS and a few ms of a
    cold start, for names every IdP writes in ASCII. The name checked against the certificate
    is the same: for ASCII, the codec's output is its input. Internationalized names keep it."""
    return host.encode("ascii") if isinstance(host, str) and host.isascii() else host


def _connect(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None
) -> socket.socket:
    """``socket.create_connection`` (what ``http.client`` calls) with the host as :func:`_ascii`."""
    host, port = address
    return socket.create_connection((_ascii(host), port), timeout, source_address)


class HttpClientFetcher:
    """The default :class:`~authorizers.jwks.fetch.Fetcher`.

    One connection per fetch (``Connection: close``), run in a worker thread the caller waits
    for at most ``timeout``. Proxies come from the environment (``HTTPS_PROXY``/``NO_PROXY``:
    an ``http://`` proxy, tunnelled with CONNECT; never for loopback), so a VPC function
    behind a proxy needs no code. ``verify`` is ``True`` (the bundle the environment names,
    see :data:`~authorizers.jwks.fetch.CA_BUNDLE_VARIABLES`, else the system's trust store),
    a CA bundle path, or ``False`` (tests only).
    """

    def __init__(self, *, verify: bool | str = True) -> None:
        self.verify = verify

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        return self._exchange(url, "GET", None, {}, timeout=timeout, max_bytes=max_bytes)

    def post(
        self,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> bytes:
        """POST ``body`` (an RFC 7662 introspection form), same rules as :meth:`fetch`."""
        return self._exchange(url, "POST", body, headers, timeout=timeout, max_bytes=max_bytes)

    def _exchange(
        self,
        url: str,
        method: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        timeout: float,
        max_bytes: int,
    ) -> bytes:
        # Imports and TLS set-up here, not in the worker: an abandoned worker must never hold
        # the import lock, and import time is not the IdP's fault.
        import http.client  # noqa: PLC0415 - lazy: cold start

        parts = urlsplit(url)
        https = parts.scheme == "https"
        context = self._tls_context() if https else None
        proxy = proxy_for(url) if https else None
        host = parts.hostname or ""
        port = parts.port or (443 if https else 80)
        if proxy is None:
            connection = (
                http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
                if https
                else http.client.HTTPConnection(host, port, timeout=timeout)
            )
        else:
            connection = self._tunnel(proxy, host, port, timeout=timeout, context=context, url=url)
        connection._create_connection = _connect  # type: ignore[attr-defined]
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"

        def get() -> bytes:
            try:
                connection.connect()
                track_socket(connection.sock)
                return self._send(
                    connection,
                    method,
                    target,
                    url=url,
                    body=body,
                    headers=headers,
                    max_bytes=max_bytes,
                )
            finally:
                connection.close()

        return run_within(url, timeout, get)

    def _tls_context(self) -> ssl.SSLContext:
        import ssl  # noqa: PLC0415 - lazy: cold start

        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            bundle = ca_bundle(self.verify)
            cafile = bundle if isinstance(bundle, str) else None
            context = ssl.create_default_context(cafile=cafile)
        wrap = context.wrap_socket

        def wrap_socket(sock: socket.socket, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
            kwargs["server_hostname"] = _ascii(kwargs.get("server_hostname"))  # SNI too
            return wrap(sock, *args, **kwargs)

        context.wrap_socket = wrap_socket  # type: ignore[method-assign]
        return context

    @staticmethod
    def _tunnel(
        proxy: str,
        host: str,
        port: int,
        *,
        timeout: float,
        context: ssl.SSLContext | None,
        url: str,
    ) -> http.client.HTTPSConnection:
        import http.client  # noqa: PLC0415 - lazy: cold start

        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.scheme != "http" or not parts.hostname:
            raise FetchError(f"{describe_url(url)}: only http:// proxies are supported")
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port or 80, timeout=timeout, context=context
        )
        headers = {}
        if parts.username is not None:
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Proxy-Authorization"] = "Basic " + base64.b64encode(userinfo.encode()).decode()
        connection.set_tunnel(host, port, headers=headers)
        return connection

    @staticmethod
    def _send(
        connection: http.client.HTTPConnection,
        method: str,
        target: str,
        *,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        max_bytes: int,
    ) -> bytes:
        where = describe_url(url)
        sent = {**REQUEST_HEADERS, **headers, "Connection": "close"}
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
        check_response(where, response.status, response.getheader, max_bytes)
        return read_capped(response.read, where, max_bytes)
