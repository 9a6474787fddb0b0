"""JSON Web Key Sets: key parsing and selection, the per-URL cache, hardened fetching, sources.

Names are loaded on first use, so importing this package costs nothing until keys are needed
(the HTTP client itself only when a fetch happens).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authorizers.jwks.cache import CacheSettings as CacheSettings
    from authorizers.jwks.cache import JwksCache as JwksCache
    from authorizers.jwks.fetch import Fetcher as Fetcher
    from authorizers.jwks.fetch import FetchError as FetchError
    from authorizers.jwks.fetch import RequestsFetcher as RequestsFetcher
    from authorizers.jwks.fetch import fetch_json as fetch_json
    from authorizers.jwks.http_client_fetch import HttpClientFetcher as HttpClientFetcher
    from authorizers.jwks.keys import PublicKey as PublicKey
    from authorizers.jwks.keys import VerificationKey as VerificationKey
    from authorizers.jwks.keys import parse_jwk as parse_jwk
    from authorizers.jwks.keys import parse_jwks as parse_jwks
    from authorizers.jwks.sources import KeySource as KeySource
    from authorizers.jwks.sources import RemoteJwks as RemoteJwks
    from authorizers.jwks.sources import StaticJwks as StaticJwks

_EXPORTS = {
    "CacheSettings": "cache",
    "JwksCache": "cache",
    "Fetcher": "fetch",
    "FetchError": "fetch",
    "RequestsFetcher": "fetch",
    "fetch_json": "fetch",
    "HttpClientFetcher": "http_client_fetch",
    "PublicKey": "keys",
    "VerificationKey": "keys",
    "parse_jwk": "keys",
    "parse_jwks": "keys",
    "KeySource": "sources",
    "RemoteJwks": "sources",
    "StaticJwks": "sources",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
