"""The function measured as "ours": a REST TOKEN authorizer as a user writes it with this
package (JWT from a remote JWKS, default rules, default observability, the default fetcher on
the standard library). ``BENCH_CACHE_SIZE`` sets the verified-token cache size (default: the
library's); ``BENCH_FETCHER=requests`` chooses the ``requests`` fetcher by name."""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator, RemoteJwks
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE

cache_size = int(os.environ.get("BENCH_CACHE_SIZE", DEFAULT_CACHE_SIZE))
# the benchmark's JWKS server is on 127.0.0.1
keys = RemoteJwks(
    os.environ["BENCH_JWKS_URL"],
    fetcher=os.environ.get("BENCH_FETCHER") or None,
    allow_http_loopback=True,
)
authorizer = Authorizer(
    JwtValidator(
        issuer=os.environ["BENCH_ISSUER"],
        audience=os.environ["BENCH_AUDIENCE"],
        keys=keys,
        cache_size=cache_size,
    )
)
handler = authorizer.handler
