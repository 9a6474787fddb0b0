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
from collections.abc import Sequence
from typing import Unpack

from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.jwks.fetch import FetchError, check_url, describe_url
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource, fetch_json
from authorizers.validators.claims import FilePath, IssuerConfig, Strings, issuer_mismatch
from authorizers.validators.jwt import JwtValidator
from authorizers.validators.token_options import KeyFetching, OidcOptions, split_options

DISCOVERY_PATH = "/.well-known/openid-configuration"
#: Seconds between discovery attempts after a failure: the IdP is not hammered per request.
DEFAULT_RETRY_AFTER = 10.0
_DEFAULT_FETCHING = KeyFetching()


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
        self.discovery_url = issuer.rstrip("/") + DISCOVERY_PATH  # Discovery §4: drop one "/"
        try:
            check_url(self.discovery_url, allow_http_loopback=allow_http_loopback)
        except FetchError as error:
            raise ConfigurationError(f"OIDC issuer: {error}") from error
        self._wanted = tuple(algorithms)
        self._fetching = fetching
        self._allow_http_loopback = allow_http_loopback
        self._retry_after = retry_after
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
            now = self._fetching.monotonic()
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
                fetcher=self._fetching.fetcher,
                timeout=self._fetching.timeout,
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
        # raises ConfigurationError for a non-HTTPS jwks_uri
        keys = self._fetching.remote(jwks_uri, allow_http_loopback=self._allow_http_loopback)
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

    ``algorithms`` is the allow-list (default RS256) narrowed by discovery. Keys are found
    through discovery on first use or :meth:`prefetch`, unless ``keys`` (any
    :class:`~authorizers.jwks.sources.KeySource`) or ``jwks_url`` say where they are; then
    nothing is discovered and the allow-list stands as given. ``snapshot_file`` (with
    ``jwks_url``: discovery would fetch at cold start anyway) seeds the key cache from a JWK
    Set shipped with the function. The other keyword arguments are :class:`JwtValidator`
    options (``clock``, ``fetcher``, ``monotonic``, ``timeout``, ``jwks_options``,
    ``header``...; fetching options apply to discovery and the JWKS alike) and claim settings
    (``token_type="at+jwt"``, ``scopes_any``...).
    """

    def __init__(
        self,
        issuer: str,
        audience: Strings | None = None,
        *,
        algorithms: Sequence[str] = ("RS256",),
        keys: KeySource | None = None,
        jwks_url: str | None = None,
        snapshot_file: FilePath | None = None,
        allow_http_loopback: bool = False,
        retry_after: float = DEFAULT_RETRY_AFTER,
        name: str = "oidc",
        **options: Unpack[OidcOptions],
    ) -> None:
        validator_options, issuer_settings = split_options(options)
        if keys is None and jwks_url is None:
            if snapshot_file is not None:
                raise ConfigurationError(
                    "OidcValidator: snapshot_file needs jwks_url= (without it, discovery "
                    "fetches the provider's configuration at cold start anyway)"
                )
            keys = DiscoveredKeys(
                issuer,
                algorithms,
                fetching=KeyFetching.of(validator_options),
                allow_http_loopback=allow_http_loopback,
                retry_after=retry_after,
            )
        super().__init__(
            [
                IssuerConfig(
                    issuer,
                    keys=keys,
                    jwks_url=jwks_url,
                    snapshot_file=snapshot_file,
                    allow_http_loopback=allow_http_loopback,
                    audience=audience,
                    algorithms=algorithms,
                    **issuer_settings,
                )
            ],
            name=name,
            **validator_options,
        )
        #: Where this validator's keys come from (a :class:`DiscoveredKeys` unless given).
        self.keys: KeySource = self._issuers[issuer].keys
