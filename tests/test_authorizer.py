"""The Authorizer end to end: real JWTs (TestIssuer + JwtValidator), real event shapes, and
what API Gateway makes of each answer (the simulator and its result-cache replay).

Every log line the authorizers under test write is captured and searched for the tokens and
signatures the tests used (and the suite-wide redaction guard checks all output as well).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.decision import Decision, Outcome
from authorizers.errors import (
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.event_parsing import parse_event
from authorizers.grants import Grants
from authorizers.identity import Identity
from authorizers.jwks.sources import StaticJwks
from authorizers.observability import JsonLogObserver
from authorizers.request import AuthRequest
from authorizers.rules import AccessRules, MethodArnOnly, allow_route, groups_any, scopes_any
from authorizers.testing import events
from authorizers.testing.assertions import assert_unauthorized, call_handler
from authorizers.testing.cache_replay import replay
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.simulator import GatewayDecision, simulate
from authorizers.validators.jwt import JwtValidator

CLOCK = FakeClock()
ALLOW, EXPLICIT, IMPLICIT, UNAUTHORIZED, INVALID = (
    GatewayDecision.ALLOW,
    GatewayDecision.EXPLICIT_DENY,
    GatewayDecision.IMPLICIT_DENY,
    GatewayDecision.UNAUTHORIZED,
    GatewayDecision.INVALID,
)
PETS = AccessRules(
    allow_route("GET", "/pets", scopes_any("pets:read")),
    allow_route("GET", "/pets/{id}", scopes_any("pets:read")),
    allow_route("DELETE", "/pets/{id}", groups_any("admins")),
)


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer(clock=CLOCK)


@pytest.fixture
def secrets() -> list[str]:
    """Credentials this test used: none may appear in its log."""
    return []


@pytest.fixture
def log(secrets: list[str]) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    yield stream
    text = stream.getvalue()
    for secret in secrets:
        assert secret not in text
        assert secret.rsplit(".", 1)[-1] not in text  # the signature alone


@pytest.fixture
def mint(
    issuer: TestIssuer, register_secret: Callable[..., Any], secrets: list[str]
) -> Callable[..., str]:
    def mint(**options: Any) -> str:
        token = issuer.mint(**options)
        register_secret(token, "test JWT")
        secrets.append(token)
        return token

    return mint


@pytest.fixture
def jwt(issuer: TestIssuer) -> JwtValidator:
    return JwtValidator(
        issuer=issuer.issuer,
        keys=StaticJwks(issuer.jwks),
        audience=issuer.audience,
        context_claims=("email",),
        clock=CLOCK,
    )


@pytest.fixture
def build(jwt: JwtValidator, log: io.StringIO) -> Callable[..., Authorizer]:
    def build(validator: Any = None, **options: Any) -> Authorizer:
        options.setdefault("observability", JsonLogObserver(stream=log, clock=CLOCK))
        return Authorizer(validator or jwt, **options)

    return build


def lines(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


class Raising:
    """A validator that fails the way it is told to."""

    name = "raising"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def validate(self, request: AuthRequest) -> Identity:
        raise self.error


# -- outcomes ---------------------------------------------------------------------------------


def test_a_valid_token_gets_a_policy_for_the_whole_stage(
    build: Callable[..., Authorizer], mint: Callable[..., str], log: io.StringIO
) -> None:
    token = mint(claims={"email": "a@example.test"})
    response = build().handler(events.token_event("GET /pets/1", f"Bearer {token}"), None)
    assert response["principalId"] == "user-1"
    assert response["context"] == {"email": "a@example.test"}
    for route in ("GET /pets/1", "DELETE /anything/else"):
        assert simulate(response, events.token_event(route, token)).decision is ALLOW
    (line,) = lines(log)
    assert line["outcome"] == "allow" and line["principal"] == "user-1"


@pytest.mark.parametrize(
    "credential",
    [None, "Bearer not-a-jwt-at-all", "expired", "wrong-audience", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_invalid_credentials_raise_exactly_unauthorized(
    build: Callable[..., Authorizer],
    mint: Callable[..., str],
    log: io.StringIO,
    credential: str | None,
) -> None:
    if credential == "expired":
        credential = f"Bearer {mint(expires_in=-3600)}"
    elif credential == "wrong-audience":
        credential = f"Bearer {mint(audience='https://other.example.test')}"
    headers = {"Authorization": credential} if credential else {}
    event = events.request_event("GET /pets/1", headers=headers)
    authorizer = build()
    with pytest.raises(Exception) as raised:
        authorizer.handler(event, None)
    assert type(raised.value) is Exception
    assert str(raised.value) == "Unauthorized"
    assert_unauthorized(authorizer.handler, event)
    assert {line["outcome"] for line in lines(log)} == {"unauthorized"}


def test_a_valid_identity_refused_by_the_rules_gets_its_full_policy(
    build: Callable[..., Authorizer], mint: Callable[..., str], log: io.StringIO
) -> None:
    token = mint(scope="pets:read")
    authorizer = build(rules=PETS)
    response = authorizer.handler(events.token_event("DELETE /pets/1", token), None)
    assert simulate(response, events.token_event("DELETE /pets/1", token)).decision is IMPLICIT
    assert simulate(response, events.token_event("GET /pets/1", token)).decision is ALLOW
    (line,) = lines(log)
    assert (line["outcome"], line["reason"]) == ("deny", "insufficient_group")
    assert line["detail"] == "DELETE /pets/{id}"


def test_a_validator_refusal_denies_the_whole_stage(build: Callable[..., Authorizer]) -> None:
    authorizer = build(Raising(Forbidden(ReasonCode.INSUFFICIENT_SCOPE, "needs admin")))
    response = authorizer.handler(events.token_event("GET /pets", "opaque-token"), None)
    assert response["principalId"] == "anonymous"
    for route in ("GET /pets", "POST /other"):
        assert simulate(response, events.token_event(route, "t" * 8)).decision is EXPLICIT


def test_infrastructure_faults_raise_by_default_and_can_deny(
    build: Callable[..., Authorizer], log: io.StringIO
) -> None:
    event = events.token_event("GET /pets", "opaque-token")
    fault = InfrastructureError(ReasonCode.KEY_UNAVAILABLE, "JWKS unreachable")
    outcome = call_handler(build(Raising(fault)).handler, event)
    assert simulate(outcome, event).decision is INVALID  # 500: clients retry
    assert str(outcome) == "authorizer failed (key_unavailable)"
    denied = build(Raising(fault), on_infrastructure_error="deny").handler(event, None)
    assert simulate(denied, event).decision is EXPLICIT
    assert [line["outcome"] for line in lines(log)] == ["error", "deny"]
    assert lines(log)[0]["level"] == "ERROR"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"type": "TOKEN", "authorizationToken": "Bearer secret-token-1"},
        {"type": "TOKEN", "authorizationToken": "Bearer secret-token-1", "methodArn": "arn:x"},
        [],
    ],
)
def test_malformed_events_fail_closed_without_echoing_them(
    build: Callable[..., Authorizer], log: io.StringIO, event: Any
) -> None:
    outcome = call_handler(build().handler, event)
    assert isinstance(outcome, Exception)
    assert str(outcome) == "authorizer failed (malformed_event)"
    assert "secret-token-1" not in log.getvalue()
    assert lines(log)[0]["reason"] == "malformed_event"


def test_unexpected_exceptions_are_logged_by_type_and_line_only(
    build: Callable[..., Authorizer], log: io.StringIO
) -> None:
    leaky = Raising(KeyError("Bearer secret-in-message"))
    outcome = call_handler(build(leaky).handler, events.token_event("GET /", "opaque-token"))
    assert str(outcome) == "authorizer failed (internal_error)"
    assert outcome.__cause__ is None and outcome.__context__ is None  # the KeyError stays out
    (line,) = lines(log)
    assert line["reason"] == "internal_error"
    assert line["detail"].startswith("KeyError at test_authorizer.py:")
    assert "secret-in-message" not in log.getvalue()


def test_nested_context_is_a_500_unless_json_encoding_is_on(
    build: Callable[..., Authorizer], mint: Callable[..., str]
) -> None:
    class WithRoles:
        name = "roles"

        def validate(self, request: AuthRequest) -> Identity:
            return Identity("user-1", "roles", context={"roles": ["a", "b"]})

    event = events.token_event("GET /", mint())
    outcome = call_handler(build(WithRoles()).handler, event)
    assert str(outcome) == "authorizer failed (invalid_response)"
    response = build(WithRoles(), context_json_encode=True).handler(event, None)
    assert response["context"] == {"roles": '["a","b"]'}


# -- response formats ----------------------------------------------------------------------


def test_http_api_simple_responses(
    build: Callable[..., Authorizer], mint: Callable[..., str]
) -> None:
    authorizer = build(simple_responses=True)
    token = mint(claims={"email": "a@example.test"})
    headers = {"Authorization": f"Bearer {token}"}
    allowed = authorizer.handler(events.http_v2_event("GET /pets", headers=headers), None)
    assert allowed == {"isAuthorized": True, "context": {"email": "a@example.test"}}
    unauthenticated = events.http_v2_event("GET /pets", headers={"Authorization": "Bearer x.y.z"})
    # a simple response cannot say 401: the documented answer is isAuthorized false (403)
    assert authorizer.handler(unauthenticated, None) == {"isAuthorized": False}
    refusing = build(Raising(Forbidden()), simple_responses=True)
    assert refusing.handler(events.http_v2_event("GET /pets", headers=headers), None) == {
        "isAuthorized": False
    }
    # payload 1.0 and REST events still get IAM policies
    v1 = authorizer.handler(events.http_v1_event("GET /pets", headers=headers), None)
    assert simulate(v1, events.http_v1_event("GET /pets", headers=headers)).decision is ALLOW


def test_each_event_kind_gets_the_policy_format_it_needs(
    build: Callable[..., Authorizer], mint: Callable[..., str]
) -> None:
    token = mint()
    bearer = {"Authorization": f"Bearer {token}"}
    made = {
        "rest": events.request_event("GET /pets/1", headers=bearer),
        "http_v1": events.http_v1_event("GET /pets/1", headers=bearer),
        "http_v2": events.http_v2_event("GET /pets/1", headers=bearer),
        "websocket": events.websocket_connect_event(headers=bearer),
    }
    authorizer = build()
    for name, event in made.items():
        response = authorizer.handler(event, None)
        result = simulate(response, event)
        assert result.decision is ALLOW, (name, result.explain())
        assert "policyDocument" in response


# -- configuration -------------------------------------------------------------------------


def test_method_arn_only_needs_a_zero_ttl_or_a_per_route_cache(
    build: Callable[..., Authorizer],
) -> None:
    for ttl in (None, 300, 1):
        with pytest.raises(ConfigurationError, match="result TTL"):
            build(rules=MethodArnOnly(), result_ttl_seconds=ttl)
    build(rules=MethodArnOnly(), result_ttl_seconds=0)
    build(rules=MethodArnOnly(), cache_per_route=True)


def test_simple_responses_cannot_carry_route_rules_through_a_cache(
    build: Callable[..., Authorizer],
) -> None:
    with pytest.raises(ConfigurationError, match="IAM responses"):
        build(rules=PETS, simple_responses=True)
    build(rules=PETS, simple_responses=True, result_ttl_seconds=0)
    build(rules=PETS, simple_responses=True, cache_per_route=True)
    build(simple_responses=True)  # the default rules give every route the same answer


@pytest.mark.parametrize(
    "options",
    [
        {"on_infrastructure_error": "ignore"},
        {"result_ttl_seconds": -1},
        {"result_ttl_seconds": 3601},
        {"result_ttl_seconds": True},
        {"result_ttl_seconds": 1.5},
    ],
)
def test_bad_settings_are_refused(build: Callable[..., Authorizer], options: Any) -> None:
    with pytest.raises(ConfigurationError):
        build(**options)


def test_a_validator_is_required() -> None:
    with pytest.raises(ConfigurationError):
        Authorizer(object())  # type: ignore[arg-type]


# -- the result cache ----------------------------------------------------------------------


def test_route_rules_stay_right_through_api_gateways_result_cache(
    build: Callable[..., Authorizer], mint: Callable[..., str]
) -> None:
    token = mint(scope="pets:read")
    calls = ["DELETE /pets/1", "GET /pets/1", "GET /pets", "DELETE /pets/2", "GET /pets/2"]
    steps = replay(
        build(rules=PETS).handler,
        [events.token_event(route, token) for route in calls],
        ttl_seconds=300,
        clock=CLOCK,
    )
    assert [step.invoked for step in steps] == [True, False, False, False, False]
    assert [step.decision for step in steps] == [IMPLICIT, ALLOW, ALLOW, IMPLICIT, ALLOW]


def test_the_pitfall_method_arn_only_avoids_by_refusing_to_build(
    build: Callable[..., Authorizer], mint: Callable[..., str]
) -> None:
    """Built for TTL 0 but deployed with the default cache: the second route gets 403."""
    token = mint(scope="pets:read")
    authorizer = build(rules=MethodArnOnly(PETS), result_ttl_seconds=0)
    calls = [events.token_event(route, token) for route in ("GET /pets/1", "GET /pets")]
    steps = replay(authorizer.handler, calls, ttl_seconds=300, clock=CLOCK)
    assert [step.decision for step in steps] == [ALLOW, IMPLICIT]


# -- the decision ----------------------------------------------------------------------------


def test_authorize_returns_a_typed_decision_without_logging(
    build: Callable[..., Authorizer], mint: Callable[..., str], log: io.StringIO
) -> None:
    token = mint(scope="pets:read")
    authorizer = build(rules=PETS)
    decision = authorizer.authorize(parse_event(events.token_event("GET /pets", token)))
    assert isinstance(decision, Decision)
    assert decision.outcome is Outcome.ALLOW and decision.reason is None
    assert decision.identity is not None and decision.identity.principal_id == "user-1"
    assert decision.grants == Grants(
        allow=("GET/pets", "GET/pets/", "GET/pets/?*"), deny=("GET/pets/*/?*", "GET/pets//")
    )
    assert decision.response is not None
    refused = authorizer.authorize(parse_event(events.token_event("DELETE /pets/1", token)))
    assert (refused.outcome, refused.reason) == (Outcome.DENY, ReasonCode.INSUFFICIENT_GROUP)
    assert refused.grants == decision.grants
    assert log.getvalue() == ""


def test_an_error_decision_never_returns_a_response(
    build: Callable[..., Authorizer], monkeypatch: pytest.MonkeyPatch
) -> None:
    authorizer = build()
    forged = Decision(Outcome.ERROR, "v", response={"isAuthorized": True})
    monkeypatch.setattr(authorizer, "authorize", lambda request: forged)
    outcome = call_handler(authorizer.handler, events.token_event("GET /", "opaque-token"))
    assert str(outcome) == "authorizer failed (internal_error)"


def test_unauthorized_decisions_carry_the_validator_reason(
    build: Callable[..., Authorizer],
) -> None:
    authorizer = build(Raising(Unauthorized(ReasonCode.EXPIRED, "expired 5 s ago")))
    decision = authorizer.authorize(parse_event(events.token_event("GET /", "opaque-token")))
    assert (decision.outcome, decision.reason) == (Outcome.UNAUTHORIZED, ReasonCode.EXPIRED)
    assert decision.validator == "raising" and decision.response is None


def test_the_default_observer_writes_one_line_per_decision_to_stdout(
    jwt: JwtValidator, mint: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    token = mint()
    authorizer = Authorizer(jwt)
    authorizer.handler(events.token_event("GET /", token), None)
    call_handler(authorizer.handler, events.token_event("GET /", "Bearer nope-nope-nope"))
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["outcome"] for line in out] == ["allow", "unauthorized"]
    assert token not in "\n".join(out)
    silent = Authorizer(jwt, observability=None)
    silent.handler(events.token_event("GET /", token), None)
    assert capsys.readouterr().out == ""


def test_an_allow_decision_equals_the_one_its_constructor_builds() -> None:
    # An Allow's Decision is built with tuple.__new__ (positionally, every call): it must
    # equal the keyword-built one, so a field added to Decision cannot silently misalign.
    class Accepting:
        name = "accepting"

        def validate(self, request: AuthRequest) -> Identity:
            return Identity("alice", self.name)

    request = parse_event(events.token_event("GET /pets/1", "token"))
    decision = Authorizer(Accepting(), observability=None).authorize(request)
    assert type(decision) is Decision
    expected = Decision(
        outcome=Outcome.ALLOW,
        validator="accepting",
        request=request,
        identity=Identity("alice", "accepting"),
        grants=Grants.everything(),
        response=decision.response,
    )
    assert decision == expected
    assert decision._asdict() == expected._asdict()
    assert decision.response is not None and decision.response["principalId"] == "alice"
