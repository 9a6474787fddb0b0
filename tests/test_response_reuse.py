"""A repeated credential's response, reused (authorizers/response_reuse.py): the same
answers and log lines as the full path, and never once the full path would decide otherwise -
past ``exp``, past the validator's own cache, for another API, for a malformed event, for
validators or rules whose verdict reads more than the credential.

Real tokens (TestIssuer) on a FakeClock; every line written is captured and parsed.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from jwks_support import CountingKeys

from authorizers import response_reuse
from authorizers._sightings import SEEN_PER_ENTRY
from authorizers.authorizer import Authorizer, Decision
from authorizers.clock import FakeClock
from authorizers.errors import Forbidden, ReasonCode
from authorizers.jwks.sources import StaticJwks
from authorizers.observability import JsonLogObserver
from authorizers.rules import AccessRules, MethodArnOnly, allow_route
from authorizers.testing import events
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.jwt import JwtValidator

ROUTES = ("GET /pets/12345678", "POST /orders/abcdefgh/items", "GET /")


class Setup:
    def __init__(self, *, cache_size: int = 16, **options: Any) -> None:
        self.clock = FakeClock()
        self.issuer = TestIssuer(clock=self.clock)
        self.keys = CountingKeys(self.issuer.jwks)
        self.stream = io.StringIO()
        self.validator = JwtValidator(
            issuer=self.issuer.issuer,
            keys=self.keys,
            audience=self.issuer.audience,
            clock=self.clock,
            cache_size=cache_size,
            checks=options.pop("checks", ()),
        )
        options.setdefault("observability", JsonLogObserver(stream=self.stream, clock=self.clock))
        self.authorizer = Authorizer(self.validator, clock=self.clock, **options)

    def call(self, token: str, route: str = ROUTES[0], **overrides: Any) -> Any:
        event = events.token_event(route, f"Bearer {token}", **overrides)
        try:
            return self.authorizer.handler(event, None)
        except Exception as error:
            return error

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    @property
    def entries(self) -> int:
        reuse = self.authorizer._reuse
        assert reuse is not None
        return len(reuse._entries)


def comparable(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k not in {"latency_ms", "DecisionLatency"}}


def test_a_repeated_token_gets_the_same_answer_and_log_line_without_a_new_verification() -> None:
    setup = Setup()
    token = setup.issuer.mint(subject="alice")
    answers = [setup.call(token, route) for route in ROUTES * 3]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["principalId"] == "alice"
    # Verified twice (the validator caches a token at its second verification); the rest
    # were cache hits.
    assert setup.keys.lookups == 2
    assert setup.entries == 1
    lines = setup.lines()
    arns = [events.token_event(route, "x")["methodArn"] for route in ROUTES]
    assert [line["route"] for line in lines] == arns * 3
    full, reused = lines[0], lines[3]  # the same route, by the full path and reused
    assert comparable(full) == comparable(reused)
    assert isinstance(reused["latency_ms"], float)
    assert reused["_aws"]["CloudWatchMetrics"] == full["_aws"]["CloudWatchMetrics"]


def test_every_reuse_gets_a_fresh_response() -> None:
    setup = Setup()
    token = setup.issuer.mint()
    for _ in range(3):
        answer = setup.call(token)
        answer["policyDocument"]["Statement"][0]["Resource"].append("arn:aws:*")
        answer["principalId"] = "mallory"
    assert setup.entries == 1
    clean = setup.call(token)
    assert clean["principalId"] != "mallory"
    assert clean["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/*"
    ]


def test_never_past_exp() -> None:
    setup = Setup()
    token = setup.issuer.mint(expires_in=60)
    for _ in range(3):
        assert "policyDocument" in setup.call(token)
    setup.clock.advance(60 + 30)  # the default leeway is 30 s
    assert str(setup.call(token)) == "Unauthorized"
    assert setup.lines()[-1]["reason"] == ReasonCode.EXPIRED.value


def test_never_past_the_validators_own_cache() -> None:
    setup = Setup(cache_size=1)
    first, second = setup.issuer.mint(subject="a"), setup.issuer.mint(subject="b")
    for _ in range(3):
        setup.call(first)
    assert setup.keys.lookups == 2 and setup.entries == 1
    for _ in range(2):  # cached at its second verification: evicts the first token
        setup.call(second)
    lookups = setup.keys.lookups
    assert setup.call(first)["principalId"] == "a"
    assert setup.keys.lookups == lookups + 1, "verified again: no reuse past the cache"


def test_custom_checks_run_on_every_reuse() -> None:
    revoked: set[str] = set()

    def not_revoked(header: Any, claims: Any, key: Any) -> None:
        if claims["sub"] in revoked:
            raise Forbidden(ReasonCode.FORBIDDEN, "revoked")

    setup = Setup(checks=[not_revoked])
    token = setup.issuer.mint(subject="alice")
    for _ in range(3):
        assert "policyDocument" in setup.call(token)
    revoked.add("alice")
    denied = setup.call(token)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert setup.lines()[-1]["outcome"] == "deny"


def test_another_api_or_stage_gets_its_own_policy() -> None:
    setup = Setup()
    token = setup.issuer.mint()
    for _ in range(3):
        setup.call(token)
    other = "arn:aws:execute-api:us-east-1:123456789012:zzzzzz9999/beta/GET/pets/12345678"
    answer = setup.call(token, methodArn=other)
    assert answer["policyDocument"]["Statement"][0]["Resource"] == [
        "arn:aws:execute-api:us-east-1:123456789012:zzzzzz9999/beta/*"
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {"methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod"},
        {"methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/a\x00b"},
        {"methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect"},
        {"type": "REQUEST"},
        {"methodArn": 7},
    ],
)
def test_a_malformed_event_takes_the_full_path(overrides: dict[str, Any]) -> None:
    setup = Setup()
    token = setup.issuer.mint()
    for _ in range(3):
        setup.call(token)
    assert setup.entries == 1
    answer = setup.call(token, **overrides)
    assert isinstance(answer, Exception), "never an Allow"
    assert str(answer) == (
        "Unauthorized" if "type" in overrides else "authorizer failed (malformed_event)"
    )


def test_an_event_with_more_keys_is_decided_by_the_full_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = Setup()
    token = setup.issuer.mint()
    for _ in range(3):
        setup.call(token)
    validated: list[object] = []  # the full path asks the validator; a reuse does not
    validate = setup.validator.validate
    monkeypatch.setattr(setup.validator, "validate", lambda r: validated.append(r) or validate(r))
    reused = setup.call(token)
    assert validated == []
    answer = setup.call(token, headers={"x-api-key": "k" * 20})
    assert len(validated) == 1
    assert answer == reused


def test_the_credential_is_masked_in_reused_lines() -> None:
    setup = Setup()
    token = setup.issuer.mint()
    signature = token.rsplit(".", 1)[1]
    route = f"GET /pets/{signature}"
    for _ in range(3):
        setup.call(token, route)
    lines = setup.lines()
    assert all(signature not in line["route"] and "[redacted]" in line["route"] for line in lines)
    assert comparable(lines[0]) == comparable(lines[2])


def test_other_observers_get_the_decision_with_its_request() -> None:
    seen: list[Decision] = []

    class Recording:
        def record(self, decision: Decision, latency_ms: float) -> None:
            seen.append(decision)

    setup = Setup(observability=Recording())
    token = setup.issuer.mint()
    for route in ROUTES:
        setup.call(token, route)
    assert setup.keys.lookups == 2 and setup.entries == 1
    assert [d.request.arn.resource for d in seen if d.request] == [
        "pets/12345678",
        "orders/abcdefgh/items",
        "",
    ]
    assert all(d.outcome.value == "allow" and d.identity for d in seen)


def test_not_where_the_verdict_reads_more_than_the_credential() -> None:
    issuer = TestIssuer()
    validator = JwtValidator(
        issuer=issuer.issuer, keys=StaticJwks(issuer.jwks), audience=issuer.audience
    )
    route_rules = AccessRules(allow_route("GET", "/pets"))
    assert Authorizer(validator, rules=route_rules)._reuse is None
    assert Authorizer(validator, rules=MethodArnOnly(), result_ttl_seconds=0)._reuse is None
    validator.per_request = True  # type: ignore[misc] # as an HMAC validator says
    assert Authorizer(validator, result_ttl_seconds=0)._reuse is None
    uncached = JwtValidator(
        issuer=issuer.issuer, keys=StaticJwks(issuer.jwks), audience=issuer.audience, cache_size=0
    )
    assert Authorizer(uncached)._reuse is None


def test_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_reuse, "REUSE_ENTRIES", 4)
    setup = Setup(cache_size=64)
    tokens = [setup.issuer.mint(subject=f"user-{n}") for n in range(10)]
    for token in tokens * 2:
        setup.call(token)
    assert setup.entries == 4
    assert setup.call(tokens[-1])["principalId"] == "user-9"


def test_preparing_an_entry_never_fails_the_decision_already_made() -> None:
    class Failing(JsonLogObserver):
        def prepare_line(self, decision: Decision) -> Any:
            raise RuntimeError("cannot prepare")

    stream = io.StringIO()
    setup = Setup(observability=Failing(stream=stream))
    token = setup.issuer.mint()
    answers = [setup.call(token) for _ in range(3)]
    assert all(answer["principalId"] == "user-1" for answer in answers), answers
    assert setup.entries == 0
    assert len(stream.getvalue().splitlines()) == 3, "every decision logged by the full path"


def test_the_hashes_of_credentials_allowed_once_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(response_reuse, "REUSE_ENTRIES", 2)
    setup = Setup(cache_size=64)
    reuse = setup.authorizer._reuse
    assert reuse is not None
    tokens = [setup.issuer.mint(subject=f"user-{n}") for n in range(2 * SEEN_PER_ENTRY + 1)]
    for token in tokens:
        setup.call(token)
        assert len(reuse._seen) <= 2 * SEEN_PER_ENTRY
    setup.call(tokens[-1])  # its hash survived the clearing: kept now
    assert setup.entries == 1
