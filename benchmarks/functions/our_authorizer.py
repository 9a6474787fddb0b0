"""The function measured as "ours": a REST TOKEN authorizer as a user writes it with this
package (JWT from a remote JWKS, default rules, default observability)."""

from __future__ import annotations

import os

from authorizers import Authorizer, JwtValidator

authorizer = Authorizer(
    JwtValidator(
        issuer=os.environ["BENCH_ISSUER"],
        audience=os.environ["BENCH_AUDIENCE"],
        jwks_url=os.environ["BENCH_JWKS_URL"],
        allow_http_loopback=True,  # the benchmark's JWKS server is on 127.0.0.1
    )
)
handler = authorizer.handler
