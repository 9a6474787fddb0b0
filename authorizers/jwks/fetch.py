"""Hardened HTTP for key sets and discovery documents.

Every fetch has one total deadline (connect, slow headers and a trickling body together), a
size cap enforced while streaming, no redirects, HTTPS only (plain HTTP only to a loopback host
when explicitly allowed, for tests), a 200 status and a strict JSON object. A hostile or broken
IdP can therefore cost a request at most ``timeout`` seconds and ``max_bytes`` of memory.

Two fetchers share these rules: the default
:class:`~authorizers.jwks.http_client_fetch.HttpClientFetcher` on the standard library's
``http.client`` (imported at the first fetch, never before), and
:class:`~authorizers.jwks.requests_fetch.RequestsFetcher` (the ``[requests]`` extra), chosen
by name (``fetcher="requests"``) or with the application's own ``requests.Session``. Both
honour ``HTTPS_PROXY``/``NO_PROXY`` and a CA bundle named by the environment
(:data:`CA_BUNDLE_VARIABLES`). A function seeded from a snapshot file may never fetch at all.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Protocol

from authorizers import _json as strict_json
from authorizers.errors import ConfigurationError
from authorizers.jwks._transport import (  # the shared rules, still importable here
    CA_BUNDLE_VARIABLES,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    REQUEST_HEADERS,
    FetchError,
    ca_bundle,
    check_response,
    check_url,
    describe_url,
    is_loopback,
    read_capped,
    run_within,
    track_socket,
)

__all__ = [
    "CA_BUNDLE_VARIABLES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "FETCHER_NAMES",
    "REQUEST_HEADERS",
    "FetchError",
    "Fetcher",
    "Poster",
    "ca_bundle",
    "check_response",
    "check_url",
    "default_fetcher",
    "describe_url",
    "fetch_json",
    "is_loopback",
    "named_fetcher",
    "parse_json_object",
    "post_json",
    "read_capped",
    "resolve_fetcher",
    "run_within",
    "track_socket",
]


class Fetcher(Protocol):
    """Gets the bytes at ``url`` within ``timeout`` seconds and ``max_bytes`` or raises
    :class:`FetchError`. Only a 200 counts; redirects are failures."""

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes: ...


class Poster(Protocol):
    """A :class:`Fetcher` that can also POST a form (RFC 7662 introspection), under the same
    deadline, size cap, TLS and no-redirect rules. ``headers`` may carry client credentials:
    an implementation must never log them."""

    def post(
        self,
        url: str,
        *,
        body: bytes,
        headers: Mapping[str, str],
        timeout: float,
        max_bytes: int,
    ) -> bytes: ...


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Strict JSON (:mod:`authorizers._json`: no duplicate names, no NaN/Infinity), UTF-8,
    one object."""
    try:
        doc = strict_json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as error:  # the C scanner stops deep nesting safely
        raise FetchError(f"response is not valid JSON ({type(error).__name__})") from error
    if not isinstance(doc, dict):
        raise FetchError("response is not a JSON object")
    return doc


def fetch_json(
    url: str,
    *,
    fetcher: Fetcher | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_http_loopback: bool = False,
) -> Mapping[str, Any]:
    """Fetch a JSON object with every hardening rule; raises only :class:`FetchError`.

    The URL policy and size cap are enforced here as well, so an injected fetcher cannot
    weaken them.
    """
    check_url(url, allow_http_loopback=allow_http_loopback)
    where = describe_url(url)
    source = resolve_fetcher(fetcher)
    try:
        body = source.fetch(url, timeout=timeout, max_bytes=max_bytes)
    except FetchError:
        raise
    except Exception as error:  # a custom fetcher's failure: fail closed, keep it loggable
        raise FetchError(f"{where}: {type(error).__name__}") from error
    if not isinstance(body, bytes | bytearray) or len(body) > max_bytes:
        raise FetchError(f"{where}: response missing or larger than {max_bytes} bytes")
    try:
        return parse_json_object(bytes(body))
    except FetchError as error:
        raise FetchError(f"{where}: {error}") from None


def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    poster: Poster,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_http_loopback: bool = False,
) -> Mapping[str, Any]:
    """POST a form and read a JSON object back, under every rule of :func:`fetch_json`."""
    return fetch_json(
        url,
        fetcher=_Posting(poster, body, headers),
        timeout=timeout,
        max_bytes=max_bytes,
        allow_http_loopback=allow_http_loopback,
    )


class _Posting:
    """One POST seen as a :class:`Fetcher`, so :func:`fetch_json` applies its rules to it."""

    def __init__(self, poster: Poster, body: bytes, headers: Mapping[str, str]) -> None:
        self._poster, self._body, self._headers = poster, body, headers

    def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
        return self._poster.post(
            url, body=self._body, headers=self._headers, timeout=timeout, max_bytes=max_bytes
        )


#: The fetchers a configuration may name: ``fetcher="requests"``, ``"fetcher": "requests"``.
FETCHER_NAMES = ("http.client", "requests")


@functools.cache
def named_fetcher(name: str) -> Fetcher:
    """The process-wide fetcher of that name (one object per name, so key caches keyed by
    fetcher are shared). ``requests`` needs the ``[requests]`` extra: a clear error if absent."""
    if name == "http.client":
        from authorizers.jwks.http_client_fetch import HttpClientFetcher  # noqa: PLC0415

        return HttpClientFetcher()
    if name == "requests":
        from authorizers.jwks.requests_fetch import RequestsFetcher  # noqa: PLC0415

        return RequestsFetcher()
    listed = ", ".join(repr(known) for known in FETCHER_NAMES)
    raise ConfigurationError(f"unknown fetcher {name!r}: one of {listed}, or a Fetcher object")


def resolve_fetcher(fetcher: Fetcher | str | None) -> Fetcher:
    """A fetcher object from what a caller may pass: ``None`` (the default), a name of
    :data:`FETCHER_NAMES`, or any :class:`Fetcher`."""
    if fetcher is None:
        return default_fetcher()
    if isinstance(fetcher, str):
        return named_fetcher(fetcher)
    return fetcher


def default_fetcher() -> Fetcher:
    """The default: :class:`~authorizers.jwks.http_client_fetch.HttpClientFetcher`, on the
    standard library. ``requests`` would cost a cold start ~65 ms of CPU and ~8 MiB more for
    one GET every ten minutes (docs/architecture.md, "Dependencies"); name it to use it."""
    return named_fetcher("http.client")


def __getattr__(name: str) -> Any:
    """``RequestsFetcher`` moved to :mod:`authorizers.jwks.requests_fetch`; still found here."""
    if name == "RequestsFetcher":
        from authorizers.jwks.requests_fetch import RequestsFetcher  # noqa: PLC0415

        return RequestsFetcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
