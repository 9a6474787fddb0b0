"""JWT validation cost, as ratios to the raw ``cryptography`` verify of the same tokens.

One process; every case runs in each of several interleaved rounds (machine noise hits all
cases alike); min/median/max of the per-token cost over the rounds. Costs are CPU time of the
measuring thread, so other processes on a shared machine do not inflate them. Ratios use
medians and are the numbers to compare: absolute microseconds move with the machine.

    python benchmarks/bench_jwt.py            # full run (about a minute, mostly minting)
    python benchmarks/bench_jwt.py --quick    # smoke run, for tests

Cases: the raw verify (signature decode + ``public_key.verify``: the floor); our
``JwtValidator.validate(request)`` on never-seen RS256 and ES256 tokens, in steady state (a
long-lived validator whose token cache is already full, so every new token also evicts one);
a repeated token (cache hit); PyJWT ``jwt.decode`` with a preloaded key; PyJWT ``PyJWKClient`` +
``decode`` against a JWKS served by a local ``JwksServer`` on 127.0.0.1 (keys cached).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from authorizers.arn import ApiArn
from authorizers.jwks.sources import StaticJwks
from authorizers.request import AuthRequest, MultiMap, RequestKind
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE, JwtValidator

ARN = ApiArn.parse("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets")
AUDIENCE = "https://api.example.test"
RAW_RS, RAW_ES = "raw cryptography RS256 verify", "raw cryptography ES256 verify"
OPTIONS = {"require": ["exp", "iat", "iss", "aud"]}


@dataclass(frozen=True)
class Row:
    name: str
    floor: str  # the raw-verify row this row is compared with
    micros: tuple[float, ...]  # per-token cost in each round

    @property
    def median(self) -> float:
        return statistics.median(self.micros)


@dataclass
class Case:
    name: str
    floor: str
    call: Callable[[Any], object]
    inputs: Callable[[int], Sequence[Any]]  # round -> what ``call`` gets, one per token


def _request(token: str) -> AuthRequest:
    headers = MultiMap({"authorization": (f"Bearer {token}",)}, case_insensitive=True)
    return AuthRequest(kind=RequestKind.HTTP_V2, arn=ARN, headers=headers)


def _raw_verify(issuer: TestIssuer) -> Callable[[str], object]:
    public: Any = issuer.key.private_key.public_key()
    if issuer.alg == "RS256":
        pad, digest = padding.PKCS1v15(), hashes.SHA256()

        def verify_rsa(token: str) -> object:
            signing_input, _, signature = token.rpartition(".")
            raw = jwt.utils.base64url_decode(signature)
            return public.verify(raw, signing_input.encode(), pad, digest)

        return verify_rsa
    algorithm = ec.ECDSA(hashes.SHA256())

    def verify_ecdsa(token: str) -> object:
        signing_input, _, signature = token.rpartition(".")
        raw = jwt.utils.base64url_decode(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        return public.verify(der, signing_input.encode(), algorithm)

    return verify_ecdsa


def _steady_validator(issuer: TestIssuer, warm_up: int) -> JwtValidator:
    validator = JwtValidator(
        issuer=issuer.issuer,
        keys=StaticJwks(issuer.jwks),
        audience=AUDIENCE,
        algorithms=[issuer.alg],
    )
    for _ in range(warm_up):  # fill the token cache: later tokens pay insert + eviction
        validator.verify(issuer.mint(scope="read write"))
    return validator


def _cpu_micros(call: Callable[[Any], object], inputs: Sequence[Any]) -> float:
    start = time.thread_time_ns()
    for item in inputs:
        call(item)
    return (time.thread_time_ns() - start) / len(inputs) / 1000


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
    repeat(repeated[0])
    public_key = rsa.key.private_key.public_key()

    def pyjwt_decode(token: str) -> object:
        return jwt.decode(
            token, public_key, ["RS256"], audience=AUDIENCE, issuer=rsa.issuer, options=OPTIONS
        )

    with JwksServer(rsa.jwks) as server:
        client = jwt.PyJWKClient(server.jwks_url)
        client.get_signing_key_from_jwt(rs_tokens[0][0])

        def pyjwk_decode(token: str) -> object:
            key = client.get_signing_key_from_jwt(token).key
            return jwt.decode(
                token, key, ["RS256"], audience=AUDIENCE, issuer=rsa.issuer, options=OPTIONS
            )

        cases = [
            Case(RAW_RS, RAW_RS, _raw_verify(rsa), rs_tokens.__getitem__),
            Case(RAW_ES, RAW_ES, _raw_verify(es), es_tokens.__getitem__),
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
        timings: dict[str, list[float]] = {case.name: [] for case in cases}
        for round_ in range(rounds):
            for case in cases:
                timings[case.name].append(_cpu_micros(case.call, case.inputs(round_)))
    return [Row(case.name, case.floor, tuple(timings[case.name])) for case in cases]


def table(rows: Sequence[Row]) -> str:
    """A markdown table; the ratio is median over the median of the row's raw verify."""
    medians = {row.name: row.median for row in rows}
    lines = [
        "| case | min µs | median µs | max µs | × raw verify |",  # noqa: RUF001
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {min(row.micros):.1f} | {row.median:.1f} | {max(row.micros):.1f} "
            f"| {row.median / medians[row.floor]:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="JWT validation cost vs raw verify")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (for tests)")
    parser.add_argument("--tokens", type=int, default=500, help="tokens per case and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args(argv)
    tokens, rounds, warm_up = (10, 2, 0) if args.quick else (args.tokens, args.rounds, None)
    print(f"Python {sys.version.split()[0]}: {tokens} tokens x {rounds} interleaved rounds\n")
    rows = run(tokens=tokens, rounds=rounds, warm_up=DEFAULT_CACHE_SIZE if warm_up is None else 0)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
