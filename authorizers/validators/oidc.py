"""OpenID Connect providers: a :class:`JwtValidator` whose keys and algorithms come from discovery.

``<issuer>/.well-known/openid-configuration`` is fetched with the hardened
:func:`~authorizers.jwks.sources.fetch_json` (deadline, size cap, no redirects, HTTPS) on first
use or :meth:`OidcValidator.prefetch`, never at import or construction, and kept for the life
of the process (key rotation is the JWKS cache's job; ``jwks_uri`` itself does not move).
OIDC Discovery §4.3 rules apply: the document's ``issuer`` must equal the configured issuer
exactly (no trailing-slash games), ``jwks_uri`` must be HTTPS (loopback HTTP only when
``allow_http_loopback``), and the accepted algorithms are the configured allow-list narrowed to
``id_token_signing_alg_values_supported`` - an empty result is a configuration error, never
"accept anything". A failed discovery is retried at most every ``retry_after`` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.jwks.fetch import (
    DEFAULT_TIMEOUT,
    Fetcher,
    FetchError,
    check_url,
    describe_url,
    resolve_fetcher,
)
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource, RemoteJwks, fetch_json
from authorizers.validators.claims import issuer_mismatch
from authorizers.validators.jwt import IssuerConfig, JwtValidator, Strings, split_options

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: Seconds between discovery attempts after a failure: the IdP is not hammered per request.
DEFAULT_RETRY_AFTER = 10.0


class DiscoveredKeys:
    """A :class:`KeySource` that finds its JWKS through OIDC discovery, lazily."""

    def __init__(
        self,
        issuer: str,
        algorithms: Sequence[str],
        *,
        fetcher: Fetcher | str | None = None,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = DEFAULT_RETRY_AFTER,
        monotonic: MonotonicClock = monotonic_clock,
        **jwks_options: Any,
    ) -> None:
        self.issuer = issuer
        self.discovery_url = issuer.rstrip("/") + DISCOVERY_PATH  # Discovery §4: drop one "/"
        try:
            check_url(self.discovery_url, allow_http_loopback=allow_http_loopback)
        except FetchError as error:
            raise ConfigurationError(f"OIDC issuer: {error}") from error
        self._wanted = tuple(algorithms)
        self._fetcher = resolve_fetcher(fetcher)  # a missing extra fails here, at build time
        self._allow_http_loopback = allow_http_loopback
        self._timeout = timeout
        self._retry_after = retry_after
        self._monotonic = monotonic
        self._jwks_options = jwks_options
        self._lock = threading.Lock()
        self._keys: KeySource | None = None
        self._algorithms: frozenset[str] = frozenset()
        self._failure: tuple[float, Exception] | None = None

    @property
    def algorithms(self) -> frozenset[str]:
        """The algorithms accepted after discovery (empty before)."""
        return self._algorithms

    def _load(self) -> KeySource:
        keys = self._keys
        if keys is not None:
            return keys
        with self._lock:
            if self._keys is not None:
                return self._keys
            now = self._monotonic()
            if self._failure is not None and now - self._failure[0] < self._retry_after:
                raise self._failure[1]
            try:
                self._keys = self._discover()
            except (AuthorizerError, ConfigurationError) as error:
                self._failure = (now, error)
                raise
            self._failure = None
            return self._keys

    def _discover(self) -> KeySource:
        try:
            doc = fetch_json(
                self.discovery_url,
                fetcher=self._fetcher,
                timeout=self._timeout,
                allow_http_loopback=self._allow_http_loopback,
            )
        except FetchError as error:
            raise InfrastructureError(
                ReasonCode.KEY_UNAVAILABLE, f"OIDC discovery failed: {error}"
            ) from None
        where = describe_url(self.discovery_url)
        found = doc.get("issuer")
        if found != self.issuer:  # Discovery §4.3: exactly equal, no normalising
            problem = (
                issuer_mismatch(found, (self.issuer,), what="'issuer'")
                if isinstance(found, str)
                else "no 'issuer' string"
            )
            raise ConfigurationError(
                f"{where}: {problem}; configure the issuer exactly as the provider writes it"
            )
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
        keys = RemoteJwks(  # raises ConfigurationError for a non-HTTPS jwks_uri
            jwks_uri,
            fetcher=self._fetcher,
            allow_http_loopback=self._allow_http_loopback,
            timeout=self._timeout,
            monotonic=self._monotonic,
            **self._jwks_options,
        )
        self._algorithms = algorithms
        return keys

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        keys = self._load()
        if alg not in self._algorithms:
            raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "alg not offered by the provider")
        return keys.get_key(kid, alg)

    def is_current(self, key: VerificationKey) -> bool:
        return self._keys is not None and self._keys.is_current(key)

    def prefetch(self) -> None:
        self._load().prefetch()


class OidcValidator(JwtValidator):
    """Tokens of one OpenID provider, configured by its issuer URL and the audience.

    ``algorithms`` is the allow-list (default RS256) narrowed by discovery. Other keyword
    arguments are :class:`JwtValidator` options (``clock``, ``header``...) or
    :class:`IssuerConfig` settings (``token_type="at+jwt"``, ``scopes_any``...).
    ``fetcher``/``timeout``/``allow_http_loopback``/``monotonic`` apply to discovery and the
    JWKS alike; ``jwks_options`` tunes the JWKS cache (see :class:`RemoteJwks`).
    """

    def __init__(
        self,
        issuer: str,
        audience: Strings | None = None,
        *,
        algorithms: Sequence[str] = ("RS256",),
        fetcher: Fetcher | str | None = None,
        allow_http_loopback: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        retry_after: float = DEFAULT_RETRY_AFTER,
        monotonic: MonotonicClock = monotonic_clock,
        jwks_options: Mapping[str, Any] | None = None,
        name: str = "oidc",
        **options: Any,
    ) -> None:
        validator_options, issuer_settings = split_options(options)
        self.keys = DiscoveredKeys(
            issuer,
            algorithms,
            fetcher=fetcher,
            allow_http_loopback=allow_http_loopback,
            timeout=timeout,
            retry_after=retry_after,
            monotonic=monotonic,
            **(jwks_options or {}),
        )
        super().__init__(
            [
                IssuerConfig(
                    issuer,
                    keys=self.keys,
                    audience=audience,
                    algorithms=algorithms,
                    **issuer_settings,
                )
            ],
            name=name,
            **validator_options,
        )
