"""The function measured as "ours": a REST TOKEN authorizer as a user writes it with this
package (JWT from a remote JWKS, default rules, default observability). ``BENCH_CACHE_SIZE``
sets the verified-token cache size (default: the library's); ``BENCH_FETCHER=http.client``
swaps the default ``requests`` fetcher for the opt-in standard-library one."""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator
from authorizers.jwks import RemoteJwks
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE

cache_size = int(os.environ.get("BENCH_CACHE_SIZE", DEFAULT_CACHE_SIZE))


def _keys() -> RemoteJwks:
    fetcher = None  # the library's default: requests
    if os.environ.get("BENCH_FETCHER") == "http.client":
        from authorizers.jwks.http_client_fetch import HttpClientFetcher  # noqa: PLC0415 - only then

        fetcher = HttpClientFetcher()
    # the benchmark's JWKS server is on 127.0.0.1
    return RemoteJwks(os.environ["BENCH_JWKS_URL"], fetcher=fetcher, allow_http_loopback=True)


authorizer = Authorizer(
    JwtValidator(
        issuer=os.environ["BENCH_ISSUER"],
        audience=os.environ["BENCH_AUDIENCE"],
        keys=_keys(),
        cache_size=cache_size,
    )
)
handler = authorizer.handler
