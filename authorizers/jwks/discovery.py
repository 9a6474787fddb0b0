"""OIDC discovery as a :class:`~authorizers.jwks.sources.KeySource`: the JWKS URL and the
accepted algorithms come from ``<issuer>/.well-known/openid-configuration``, fetched lazily.

Discovery §4.3 rules: the document's ``issuer`` must equal the configured one exactly,
``jwks_uri`` must be HTTPS (loopback HTTP only when allowed), and the algorithms are the wanted
ones narrowed to ``id_token_signing_alg_values_supported`` (empty is a configuration error). A
failed discovery is retried at most every ``retry_after`` seconds (:class:`LoadOnce`, which
the introspection validator's endpoint discovery shares).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from authorizers.clock import MonotonicClock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
    issuer_mismatch,
)
from authorizers.jwks.fetch import FetchError, check_url, describe_url
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeyFetching, KeySource, fetch_json

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: Seconds between discovery attempts after a failure: the IdP is not hammered per request.
DEFAULT_RETRY_AFTER = 10.0
_DEFAULT_FETCHING = KeyFetching()
T = TypeVar("T")


def discovery_url(issuer: str) -> str:
    """Where ``issuer`` publishes its configuration (Discovery §4: one trailing "/" dropped)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


def require_issuer(doc: Mapping[str, Any], issuer: str, url: str) -> None:
    """Discovery §4.3: the document's ``issuer`` equals the configured one exactly. A provider
    that answers with another is a configuration error (no retry changes its answer)."""
    found = doc.get("issuer")
    if found != issuer:
        problem = (
            issuer_mismatch(found, (issuer,), what="'issuer'")
            if isinstance(found, str)
            else "no 'issuer' string"
        )
        fix = "configure the issuer exactly as the provider writes it"
        raise ConfigurationError(f"{describe_url(url)}: {problem}; {fix}")


class LoadOnce(Generic[T]):
    """A value loaded on first use and kept for good. After a failure the same error is raised
    again, without loading, for ``retry_after`` seconds: a provider that is down or
    misconfigured is not asked once per request."""

    def __init__(
        self, load: Callable[[], T], *, retry_after: float, monotonic: MonotonicClock
    ) -> None:
        self._load, self._retry_after, self._monotonic = load, retry_after, monotonic
        self._lock = threading.Lock()
        self.value: T | None = None
        self._failure: tuple[float, AuthorizerError | ConfigurationError] | None = None

    def get(self) -> T:
        value = self.value
        if value is not None:
            return value
        with self._lock:
            if self.value is not None:
                return self.value
            now = self._monotonic()
            failure = self._failure
            if failure is not None and now - failure[0] < self._retry_after:
                raise failure[1].with_traceback(None)  # re-raised: its traceback must not grow
            try:
                self.value = value = self._load()
            except (AuthorizerError, ConfigurationError) as error:
                self._failure = (now, error)
                raise
            self._failure = None
            return value


class DiscoveredKeys:
    """A :class:`KeySource` that finds its JWKS through OIDC discovery, lazily."""

    def __init__(
        self,
        issuer: str,
        algorithms: Sequence[str],
        *,
        fetching: KeyFetching = _DEFAULT_FETCHING,
        allow_http_loopback: bool = False,
        retry_after: float = DEFAULT_RETRY_AFTER,
    ) -> None:
        self.issuer = issuer
        self.discovery_url = discovery_url(issuer)
        try:
            check_url(self.discovery_url, allow_http_loopback=allow_http_loopback)
        except FetchError as error:
            raise ConfigurationError(f"OIDC issuer: {error}") from error
        self._wanted = tuple(algorithms)
        self._fetching = fetching
        self._allow_http_loopback = allow_http_loopback
        self._algorithms: frozenset[str] = frozenset()
        self._keys = LoadOnce(self._discover, retry_after=retry_after, monotonic=fetching.monotonic)

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms accepted after discovery (empty before)."""
        return self._algorithms

    def _discover(self) -> KeySource:
        try:
            doc = fetch_json(
                self.discovery_url,
                fetcher=self._fetching.fetcher,
                timeout=self._fetching.timeout,
                allow_http_loopback=self._allow_http_loopback,
            )
        except FetchError as error:
            raise InfrastructureError(
                ReasonCode.KEY_UNAVAILABLE, f"OIDC discovery failed: {error}"
            ) from None
        require_issuer(doc, self.issuer, self.discovery_url)
        where = describe_url(self.discovery_url)
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ConfigurationError(f"{where}: no 'jwks_uri'")
        supported = doc.get("id_token_signing_alg_values_supported")
        if not isinstance(supported, list):
            raise ConfigurationError(f"{where}: no 'id_token_signing_alg_values_supported'")
        algorithms = frozenset(self._wanted).intersection(supported)
        if not algorithms:
            raise ConfigurationError(
                f"{where}: none of {list(self._wanted)} is supported by the provider"
            )
        # raises ConfigurationError for a non-HTTPS jwks_uri
        keys = self._fetching.remote(jwks_uri, allow_http_loopback=self._allow_http_loopback)
        self._algorithms = algorithms
        return keys

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        keys = self._keys.get()
        if alg not in self._algorithms:
            raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "alg not offered by the provider")
        return keys.get_key(kid, alg)

    def is_current(self, key: VerificationKey) -> bool:
        keys = self._keys.value
        return keys is not None and keys.is_current(key)

    def prefetch(self) -> None:
        self._keys.get().prefetch()
