"""JWT validation cost, as ratios to the raw ``cryptography`` verify of the same tokens.

One process; every case runs in each of several interleaved rounds (machine noise hits all
cases alike); min/median/max of the per-token cost over the rounds. Costs are CPU time of the
measuring thread, so other processes on a shared machine do not inflate them. Ratios use
medians and are the numbers to compare: absolute microseconds move with the machine.

    python benchmarks/bench_jwt.py            # full run (about a minute, mostly minting)
    python benchmarks/bench_jwt.py --quick    # smoke run, for tests

Cases: the raw verify (signature decode + ``public_key.verify``: the floor); our
``JwtValidator.validate(request)`` on never-seen RS256 and ES256 tokens, in steady state (a
long-lived validator whose token cache is already full; a new token leaves its hash behind);
a repeated token (cache hit); PyJWT ``jwt.decode`` with a preloaded key; PyJWT ``PyJWKClient`` +
``decode`` against a JWKS served by a local ``JwksServer`` on 127.0.0.1 (keys cached).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PYJWT_OPTIONS,
    Case,
    Row,
    common_arguments,
    interleaved,
    ratio_table,
    raw_verifier,
)

from authorizers.arn import ApiArn
from authorizers.jwks.sources import StaticJwks
from authorizers.request import AuthRequest, MultiMap, RequestKind
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE, JwtValidator

ARN = ApiArn.parse("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets")
AUDIENCE = "https://api.example.test"
RAW_RS, RAW_ES = "raw cryptography RS256 verify", "raw cryptography ES256 verify"


def _request(token: str) -> AuthRequest:
    headers = MultiMap({"authorization": (f"Bearer {token}",)}, case_insensitive=True)
    return AuthRequest(kind=RequestKind.HTTP_V2, arn=ARN, headers=headers)


def _steady_validator(issuer: TestIssuer, warm_up: int) -> JwtValidator:
    validator = JwtValidator(
        issuer=issuer.issuer,
        keys=StaticJwks(issuer.jwks),
        audience=AUDIENCE,
        algorithms=[issuer.alg],
    )
    warm_tokens = [issuer.mint(scope="read write") for _ in range(warm_up)]
    for token in warm_tokens * 2:  # fill the token cache (it admits a token's 2nd verification)
        validator.verify(token)
    return validator


def run(*, tokens: int = 500, rounds: int = 7, warm_up: int = DEFAULT_CACHE_SIZE) -> list[Row]:
    """Measure every case; ``tokens`` per case and round, each new to our validators."""
    rsa, es = TestIssuer(alg="RS256"), TestIssuer(alg="ES256")
    rs_tokens = [[rsa.mint(scope="read write") for _ in range(tokens)] for _ in range(rounds)]
    es_tokens = [[es.mint(scope="read write") for _ in range(tokens)] for _ in range(rounds)]
    rs_requests = [[_request(token) for token in batch] for batch in rs_tokens]
    es_requests = [[_request(token) for token in batch] for batch in es_tokens]
    ours_rs, ours_es = _steady_validator(rsa, warm_up), _steady_validator(es, warm_up)
    repeat = ours_rs.validate
    repeated = [_request(rsa.mint())] * tokens
    for _ in range(2):  # cached at its second verification: every measured call hits
        repeat(repeated[0])
    public_key = rsa.key.private_key.public_key()

    def pyjwt_decode(token: str) -> object:
        return jwt.decode(
            token,
            public_key,
            ["RS256"],
            audience=AUDIENCE,
            issuer=rsa.issuer,
            options=PYJWT_OPTIONS,
        )

    with JwksServer(rsa.jwks) as server:
        client = jwt.PyJWKClient(server.jwks_url)
        client.get_signing_key_from_jwt(rs_tokens[0][0])

        def pyjwk_decode(token: str) -> object:
            key = client.get_signing_key_from_jwt(token).key
            return jwt.decode(
                token,
                key,
                ["RS256"],
                audience=AUDIENCE,
                issuer=rsa.issuer,
                options=PYJWT_OPTIONS,
            )

        cases = [
            Case(RAW_RS, RAW_RS, raw_verifier(rsa), rs_tokens.__getitem__),
            Case(RAW_ES, RAW_ES, raw_verifier(es), es_tokens.__getitem__),
            Case(
                "JwtValidator, new RS256 token", RAW_RS, ours_rs.validate, rs_requests.__getitem__
            ),
            Case(
                "JwtValidator, new ES256 token", RAW_ES, ours_es.validate, es_requests.__getitem__
            ),
            Case("JwtValidator, repeated token", RAW_RS, repeat, lambda _: repeated),
            Case("PyJWT jwt.decode (preloaded key)", RAW_RS, pyjwt_decode, rs_tokens.__getitem__),
            Case("PyJWT PyJWKClient + decode", RAW_RS, pyjwk_decode, rs_tokens.__getitem__),
        ]
        return interleaved(cases, rounds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("JWT validation cost vs raw verify")
    parser.add_argument("--tokens", type=int, default=500, help="tokens per case and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args(argv)
    tokens, rounds, warm_up = (10, 2, 0) if args.quick else (args.tokens, args.rounds, None)
    print(f"Python {sys.version.split()[0]}: {tokens} tokens x {rounds} interleaved rounds\n")
    rows = run(tokens=tokens, rounds=rounds, warm_up=DEFAULT_CACHE_SIZE if warm_up is None else 0)
    print(ratio_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
