"""Warm path: one authorization with everything imported and the keys cached, in CPU µs per
call and as a ratio to the raw ``cryptography`` verify of the same token (the floor).

Ours is the whole Lambda entry point: ``Authorizer.handler`` on a REST TOKEN event whose method
ARN is one of 64 realistic routes (paths of 8+ characters, so the log line's credential masking
runs), returning the IAM policy and writing its decision log line (default observability; to
the null device), keys from a JWKS served on 127.0.0.1 and cached. A repeated token is one
token sent to every route in turn. "New" tokens were never seen by the authorizer, whose
token cache is already full (steady state: a long-lived function; a new token is not cached
until it repeats, but leaves its hash behind). The peers get the same tokens: PyJWT
``jwt.decode`` (key preloaded) and ``PyJWKClient`` + ``decode`` (JWKS cached); Powertools
``auth_alpha`` ``JWTVerifier`` (static JWKS: it fetches only over HTTPS) and its
``authorize``; the AWS blueprint's way (PyJWT + an ``AuthPolicy``-style dict); and the naive
handler of ``functions/naive_authorizer.py``.

    python benchmarks/warm.py            # 500 tokens x 7 rounds (about two minutes, mostly minting)
    python benchmarks/warm.py --quick    # smoke run
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    AUDIENCE,
    PYJWT_OPTIONS,
    ROUTES,
    TIMES,
    Budget,
    Case,
    Row,
    Section,
    Tokens,
    common_arguments,
    interleaved,
    markdown_table,
    print_section,
    quiet_stdout,
    ratio_table,
    ratios,
    raw_verifier,
    token_events,
)
from floor_handler import minimal_handler
from fused_handler import fused_handler

from authorizers.authorizer import Authorizer
from authorizers.event_parsing import parse_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer
from authorizers.validators._jws import parse_compact
from authorizers.validators.jwt import DEFAULT_CACHE_SIZE, JwtValidator

FUNCTIONS = Path(__file__).resolve().parent / "functions"
ROUTE = ROUTES[0]
#: The goals (ratios to the raw verify, one run).
GOAL_NEW = 2.0
GOAL_REPEATED = 0.25
RAW_RS, RAW_ES = "raw `cryptography` RS256 verify", "raw `cryptography` ES256 verify"
NEW_RS = "ours: Authorizer.handler, new RS256 token"
NEW_ES = "ours: Authorizer.handler, new ES256 token"
REPEATED = "ours: Authorizer.handler, repeated token"
ALONE_NEW = "ours: JwtValidator.validate alone, new RS256 token"
ALONE_REPEATED = "ours: JwtValidator.validate alone, repeated token (cache hit)"
FLOOR = (
    "a hand-fused minimal handler (`benchmarks/floor_handler.py`: the bare checks inline, one "
    "short log line, no masking, metrics, models or caches; not shipped)"
)
FLOOR_SHORT = "hand-fused minimal handler (`floor_handler.py`)"
FUSED_MODELS = "the product's work fused, with its models (`fused_handler.py`)"
FUSED_BARE = "the product's work fused, without models (`fused_handler.py`)"


class BlueprintPolicy:
    """The AWS blueprint's way, in a few lines: split the method ARN by hand, check the
    resource path with a regex, collect statements, build the policy dict."""

    PATH = re.compile(r"^[/.a-zA-Z0-9-\*]+$")

    def __init__(self, principal: str, method_arn: str) -> None:
        parts = method_arn.split(":")
        api_id, stage, *_ = parts[5].split("/")
        self.principal = principal
        self.base = f"arn:aws:execute-api:{parts[3]}:{parts[4]}:{api_id}/{stage}"
        self.allowed: list[str] = []

    def allow_method(self, verb: str, resource: str) -> None:
        if not self.PATH.match(resource):
            raise NameError(f"invalid resource path {resource}")
        self.allowed.append(f"{self.base}/{verb}/{resource.removeprefix('/')}")

    def build(self) -> dict[str, Any]:
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": self.allowed}
        return {
            "principalId": self.principal,
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        }


def _naive_handler(jwks_url: str, issuer: str) -> Callable[[dict[str, Any], Any], Any]:
    """``functions/naive_authorizer.py``, imported as Lambda would (settings from the
    environment); its Logger writes to the current ``sys.stdout``."""
    os.environ.update(
        BENCH_ISSUER=issuer, BENCH_AUDIENCE=AUDIENCE, BENCH_JWKS_URL=jwks_url, AWS_REGION="x"
    )
    sys.path.insert(0, str(FUNCTIONS))
    module = importlib.import_module("naive_authorizer")
    handler: Callable[[dict[str, Any], Any], Any] = module.handler
    return handler


def _steady(url: str, issuer: TestIssuer, warm_up: Sequence[str]) -> Authorizer:
    """An authorizer (default observability) whose token cache is full of ``warm_up`` (each
    sent twice: a token is cached at its second verification), as in a long-lived function."""
    authorizer = Authorizer(_validator(url, issuer))
    for event in token_events([*warm_up, *warm_up]):
        authorizer.handler(event)
    return authorizer


def _validator(url: str, issuer: TestIssuer, **options: Any) -> JwtValidator:
    return JwtValidator(
        issuer=issuer.issuer,
        jwks_url=url,
        allow_http_loopback=True,
        audience=AUDIENCE,
        algorithms=[issuer.alg],
        **options,
    )


def _powertools(issuer: TestIssuer) -> Any:
    from aws_lambda_powertools.utilities.auth_alpha import JWTVerifier  # noqa: PLC0415

    return JWTVerifier(
        issuer=issuer.issuer, audience=AUDIENCE, algorithms=["RS256"], jwks=issuer.jwks
    )


def run(tokens: Tokens, *, warm_up: int = DEFAULT_CACHE_SIZE) -> list[Row]:
    """Measure every case on ``tokens``, round by round."""
    rsa, es, rs_tokens, es_tokens = tokens.rsa, tokens.ec, tokens.rs, tokens.es
    rs_events = [token_events(batch) for batch in rs_tokens]
    es_events = [token_events(batch) for batch in es_tokens]
    repeated = token_events([rsa.mint(scope="read write")] * tokens.per_round)
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

    with JwksServer(tokens.jwks) as server, quiet_stdout():
        warm_rs = [rsa.mint(scope="read write") for _ in range(warm_up)]
        ours_rs = _steady(server.jwks_url, rsa, warm_rs)
        ours_es = _steady(server.jwks_url, es, [es.mint(scope="read") for _ in range(warm_up)])
        alone = _validator(server.jwks_url, rsa)  # the validator alone, as steady
        for token in [*warm_rs, *warm_rs]:
            alone.verify(token)
        requests = [[parse_event(event) for event in batch] for batch in rs_events]
        repeated_request = [parse_event(event) for event in repeated]
        for event in repeated[: 2 * len(ROUTES)]:  # seen: later sightings reuse the response
            ours_rs.handler(event)
        for _ in range(2):  # cached at its second verification: every measured call hits
            alone.validate(repeated_request[0])
        client = jwt.PyJWKClient(server.jwks_url)
        verifier = _powertools(rsa)
        naive = _naive_handler(server.jwks_url, rsa.issuer)

        def pyjwk_decode(token: str) -> dict[str, Any]:
            key = client.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token, key, ["RS256"], audience=AUDIENCE, issuer=rsa.issuer, options=PYJWT_OPTIONS
            )
            return claims

        def blueprint(event: dict[str, Any]) -> object:
            print("Method ARN: " + event["methodArn"])  # the blueprint logs this line
            claims = pyjwk_decode(event["authorizationToken"].removeprefix("Bearer "))
            policy = BlueprintPolicy(claims["sub"], event["methodArn"])
            policy.allow_method("*", "*")
            return policy.build()

        for warm_up_call in (ours_rs.handler, naive, lambda e, _: blueprint(e)):
            warm_up_call(repeated[0], None)
        verifier.authorize(repeated[0])

        rs_by_round, events_by_round = rs_tokens.__getitem__, rs_events.__getitem__
        cases = [
            Case(RAW_RS, RAW_RS, raw_verifier(rsa), rs_by_round),
            Case(RAW_ES, RAW_ES, raw_verifier(es), es_tokens.__getitem__),
            Case(NEW_RS, RAW_RS, lambda e: ours_rs.handler(e, None), events_by_round),
            Case(NEW_ES, RAW_ES, lambda e: ours_es.handler(e, None), es_events.__getitem__),
            Case(REPEATED, RAW_RS, lambda e: ours_rs.handler(e, None), lambda _: repeated),
            Case(ALONE_NEW, RAW_RS, alone.validate, requests.__getitem__),
            Case(ALONE_REPEATED, RAW_RS, alone.validate, lambda _: repeated_request),
            Case("PyJWT jwt.decode (preloaded key)", RAW_RS, pyjwt_decode, rs_by_round),
            Case("PyJWT PyJWKClient + decode (JWKS cached)", RAW_RS, pyjwk_decode, rs_by_round),
            Case("Powertools auth_alpha JWTVerifier.verify", RAW_RS, verifier.verify, rs_by_round),
            Case(
                "Powertools auth_alpha JWTVerifier.authorize (TOKEN event)",
                RAW_RS,
                verifier.authorize,
                events_by_round,
            ),
            Case(
                "AWS blueprint way: PyJWKClient + decode + AuthPolicy-style dict",
                RAW_RS,
                blueprint,
                events_by_round,
            ),
            Case(
                "naive handler: PyJWKClient + decode + Logger + blueprint policy dict",
                RAW_RS,
                lambda e: naive(e, None),
                events_by_round,
            ),
        ]
        return interleaved(cases, tokens.rounds)


def profile(tokens: Tokens) -> Section:
    """Where a new RS256 token's time goes: the same tokens through ever more of the path, in
    interleaved rounds, so each stage's cost is measured where it runs (after a verify, with
    the caches as cold as a real invocation leaves them), not in a warm loop of its own."""
    rsa, rs_tokens = tokens.rsa, tokens.rs
    events = [token_events(batch) for batch in rs_tokens]
    requests = [[parse_event(event) for event in batch] for batch in events]
    with JwksServer(tokens.jwks) as server, quiet_stdout():
        fresh = {"cache_size": 0}  # every token verified: the stages below include the verify
        alone = _validator(server.jwks_url, rsa, **fresh)
        quiet = Authorizer(_validator(server.jwks_url, rsa, **fresh), observability=None)
        logged = Authorizer(_validator(server.jwks_url, rsa, **fresh))
        raw = raw_verifier(rsa)
        for call in (alone.verify, raw):
            call(rs_tokens[0][0])
        quiet.handler(events[0][0])
        logged.handler(events[0][0])
        by_round, events_by_round = rs_tokens.__getitem__, events.__getitem__
        stages: list[tuple[str, Callable[[Any], object], Callable[[int], Sequence[Any]]]] = [
            ("raw verify (the floor)", raw, by_round),
            ("+ split, decode, parse the token", lambda t: (parse_compact(t), raw(t)), by_round),
            ("+ issuer, key, claims, identity: `JwtValidator.verify`", alone.verify, by_round),
            (
                "+ the bearer token from the request: `validate`",
                alone.validate,
                requests.__getitem__,
            ),
            (
                "+ the event parsed: `validate(parse_event(e))`",
                lambda e: alone.validate(parse_event(e)),
                events_by_round,
            ),
            (
                "+ rules, policy, decision: `authorize`",
                lambda e: quiet.authorize(parse_event(e)),
                events_by_round,
            ),
            (
                "+ the entry point: `handler`, no observability",
                lambda e: quiet.handler(e, None),
                events_by_round,
            ),
            (
                "+ the decision log line: `handler`, default",
                lambda e: logged.handler(e, None),
                events_by_round,
            ),
        ]
        public = {key["kid"]: rsa.key.private_key.public_key() for key in rsa.jwks["keys"]}
        floor = minimal_handler(rsa.issuer, AUDIENCE, public)
        floor(events[0][0])
        stages.append((FLOOR_SHORT, floor, events_by_round))
        for name, models in ((FUSED_MODELS, True), (FUSED_BARE, False)):
            fused = fused_handler(_validator(server.jwks_url, rsa), models=models)
            fused(token_events([rsa.mint()])[0])
            stages.append((name, fused, events_by_round))
        rows = interleaved([Case(n, stages[0][0], c, i) for n, c, i in stages], tokens.rounds)
    of = ratios(rows)
    bare_row, models_row, floor_row = rows.pop(), rows.pop(), rows.pop()
    lines, previous = [], 0.0
    for row in rows:
        lines.append(
            [row.name, f"{row.median:.1f}", f"{row.median - previous:+.1f}", f"{of[row.name]:.2f}"]
        )
        previous = row.median
    body = (
        "A new RS256 token (verified-token cache off, so each stage includes the verify), "
        f"medians of {tokens.rounds} interleaved rounds of {tokens.per_round} tokens:\n\n"
        + markdown_table(["stage", "median µs", "added µs", f"{TIMES} raw verify"], lines)
        + "\n\nFor scale, in the same rounds:\n\n"
        + markdown_table(
            ["handler", "median µs", f"{TIMES} raw verify"],
            [
                [row.name, f"{row.median:.1f}", f"{of[row.name]:.2f}"]
                for row in (floor_row, models_row, bare_row)
            ],
        )
        + f"\n\nThe first is {FLOOR}. The fused handlers do this configuration's checks, answer "
        "and log line with the product's own pieces called inline from one function (no "
        "validator, authorizer or observer in between; `tests/shipping/"
        "test_benchmarks_smoke.py` holds their answers and lines to the product's), with or "
        "without building the request, identity and decision models the layers hand each "
        "other: what a fast path that keeps every check could reach in Python."
    )
    return Section("Where the time goes (profile of the warm path)", body)


def section(rows: Sequence[Row], tokens: Tokens) -> Section:
    of = ratios(rows)
    body = (
        f"CPU µs per authorization, {tokens.per_round} tokens per case in each of "
        f"{tokens.rounds} interleaved "
        "rounds (min / median / max over the rounds); the ratio is to the raw verify of the "
        "same tokens in the same round (ES256 rows: the raw ES256 verify), median over the "
        "rounds.\n\n" + ratio_table(rows)
    )
    budgets = [
        Budget("warm, new RS256 token through the whole handler", GOAL_NEW, of.get(NEW_RS)),
        Budget("warm, repeated token through the whole handler", GOAL_REPEATED, of.get(REPEATED)),
    ]
    return Section("Warm path (Python)", body, budgets)


def main(argv: Sequence[str] | None = None) -> int:
    parser = common_arguments("Warm-path cost of ours and the peers, vs raw verify")
    parser.add_argument("--tokens", type=int, default=500, help="tokens per case and round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args(argv)
    tokens = Tokens.mint(*((10, 2) if args.quick else (args.tokens, args.rounds)))
    rows = run(tokens, warm_up=0 if args.quick else DEFAULT_CACHE_SIZE)
    print_section(section(rows, tokens))
    print_section(profile(tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
