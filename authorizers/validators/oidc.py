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

from collections.abc import Sequence
from typing import Unpack

from authorizers.errors import ConfigurationError
from authorizers.jwks.discovery import DEFAULT_RETRY_AFTER, DiscoveredKeys
from authorizers.jwks.sources import KeySource
from authorizers.validators.claims import FilePath, IssuerConfig, Strings
from authorizers.validators.jwt import JwtValidator
from authorizers.validators.token_options import OidcOptions, key_fetching, split_options


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
                fetching=key_fetching(validator_options),
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
