"""The function measured as "ours": a REST TOKEN authorizer as a user writes it with this
package (JWT from a remote JWKS, default rules, default observability). ``BENCH_CACHE_SIZE``
sets the verified-token cache size (default: the library's)."""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE

cache_size = int(os.environ.get("BENCH_CACHE_SIZE", DEFAULT_CACHE_SIZE))

authorizer = Authorizer(
    JwtValidator(
        issuer=os.environ["BENCH_ISSUER"],
        audience=os.environ["BENCH_AUDIENCE"],
        jwks_url=os.environ["BENCH_JWKS_URL"],
        allow_http_loopback=True,  # the benchmark's JWKS server is on 127.0.0.1
        cache_size=cache_size,
    )
)
handler = authorizer.handler
