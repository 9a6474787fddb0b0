"""JSON Web Key Sets: key parsing and selection, the per-URL cache, hardened fetching, sources.

Names are loaded on first use, so importing this package costs nothing until keys are needed
(the HTTP client itself only when a fetch happens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._internal.lazy import lazy_exports

if TYPE_CHECKING:
    from authorizers.jwks.cache import CacheSettings as CacheSettings
    from authorizers.jwks.cache import JwksCache as JwksCache
    from authorizers.jwks.fetch import Fetcher as Fetcher
    from authorizers.jwks.fetch import FetchError as FetchError
    from authorizers.jwks.fetch import fetch_json as fetch_json
    from authorizers.jwks.http_client_fetch import HttpClientFetcher as HttpClientFetcher
    from authorizers.jwks.keys import PublicKey as PublicKey
    from authorizers.jwks.keys import VerificationKey as VerificationKey
    from authorizers.jwks.keys import parse_jwk as parse_jwk
    from authorizers.jwks.keys import parse_jwks as parse_jwks
    from authorizers.jwks.requests_fetch import RequestsFetcher as RequestsFetcher
    from authorizers.jwks.sources import KeySource as KeySource
    from authorizers.jwks.sources import RemoteJwks as RemoteJwks
    from authorizers.jwks.sources import StaticJwks as StaticJwks

_EXPORTS = {
    "CacheSettings": "authorizers.jwks.cache",
    "JwksCache": "authorizers.jwks.cache",
    "Fetcher": "authorizers.jwks.fetch",
    "FetchError": "authorizers.jwks.fetch",
    "RequestsFetcher": "authorizers.jwks.requests_fetch",
    "fetch_json": "authorizers.jwks.fetch",
    "HttpClientFetcher": "authorizers.jwks.http_client_fetch",
    "PublicKey": "authorizers.jwks.keys",
    "VerificationKey": "authorizers.jwks.keys",
    "parse_jwk": "authorizers.jwks.keys",
    "parse_jwks": "authorizers.jwks.keys",
    "KeySource": "authorizers.jwks.sources",
    "RemoteJwks": "authorizers.jwks.sources",
    "StaticJwks": "authorizers.jwks.sources",
}
__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
