"""Running a token through the validator and through the whole Lambda handler.

The handler path is what API Gateway sees: an event in, a response or an exception out. A
recording observer keeps each decision (its reason code is how a 401 is told apart from
another 401) and forwards it to the default JSON log line, so the redaction guard reads the
real log output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authorizers.authorizer import Authorizer, Decision, Outcome
from authorizers.errors import AuthorizerError
from authorizers.identity import Identity
from authorizers.observability import JsonLogObserver
from authorizers.testing.events import http_v2_event, token_event
from authorizers.testing.simulator import GatewayDecision, simulate
from authorizers.validator import Validator

from .cases import ALLOW, Case
from .forge import Forge
from .profiles import Profile

ROUTE = "GET /pets/1"


class Recorder:
    """An observer that keeps every decision and still writes the JSON log line."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self._log = JsonLogObserver()

    def record(self, decision: Decision, latency_ms: float) -> None:
        self.decisions.append(decision)
        self._log.record(decision, latency_ms)


@dataclass(frozen=True)
class HandlerResult:
    """What one handler call produced: API Gateway's reading of it, and the decision."""

    decision: Decision
    response: Any  # the returned dict, or the exception raised
    gateway: GatewayDecision


def call_handler(
    validator: Validator, event: Mapping[str, Any], *, simple: bool = False, **options: Any
) -> HandlerResult:
    """One handler call; ``options`` go to :class:`Authorizer` (route rules and per-request
    validators get a result TTL of 0, the deployment that makes them legal)."""
    if options.get("rules") is not None or getattr(validator, "per_request", False):
        options.setdefault("result_ttl_seconds", 0)
    recorder = Recorder()
    authorizer = Authorizer(validator, simple_responses=simple, observability=recorder, **options)
    try:
        response: Any = authorizer.handler(event)
    except Exception as error:  # API Gateway maps the raise to 401 or 500
        response = error
    (decision,) = recorder.decisions
    # An event the parser refused has no request; the raise alone decides (a 500).
    request = decision.request if decision.request is not None else "GET /"
    return HandlerResult(decision, response, simulate(response, request).decision)


#: The events a token travels in: a REST TOKEN authorizer (401 = the "Unauthorized" raise) and
#: an HTTP API with simple responses (401 becomes isAuthorized false, a 403).
EVENTS: Mapping[str, tuple[Callable[[str], dict[str, Any]], bool]] = {
    "rest_token": (lambda token: token_event(ROUTE, f"Bearer {token}"), False),
    "http_v2_simple": (
        lambda token: http_v2_event(ROUTE, headers={"authorization": f"Bearer {token}"}),
        True,
    ),
}


def check_handler(validator: Validator, token: str, expect: str, kind: str) -> None:
    build, simple = EVENTS[kind]
    result = call_handler(validator, build(token), simple=simple)
    decision = result.decision
    where = f"{kind}: {decision.outcome.value} ({decision.reason}: {decision.detail})"
    if expect == ALLOW:
        assert decision.outcome is Outcome.ALLOW, where
        assert result.gateway is GatewayDecision.ALLOW, where
        return
    assert decision.outcome is Outcome.UNAUTHORIZED, where
    assert decision.reason == expect, where
    if simple:
        assert result.response == {"isAuthorized": False}, where
        assert result.gateway is GatewayDecision.EXPLICIT_DENY
    else:
        assert isinstance(result.response, Exception), where
        assert str(result.response) == "Unauthorized"
        assert result.gateway is GatewayDecision.UNAUTHORIZED


def verify(validator: Any, token: str) -> Identity | AuthorizerError:
    """The validator's verdict on a raw token: the identity, or the error it raised."""
    try:
        identity: Identity = validator.verify(token)
    except AuthorizerError as error:
        return error
    return identity


class Corpus:
    """Tokens of the corpus, built once per run and registered as secrets."""

    def __init__(
        self, forge: Forge, profiles: Mapping[str, Profile], register: Callable[..., Any]
    ) -> None:
        self.forge = forge
        self.profiles = profiles
        self._register = register
        self._tokens: dict[str, str] = {}

    def token(self, case: Case) -> str:
        if case.id not in self._tokens:
            profile = self.profiles[case.profile]
            token = self.forge.token(
                case.recipe, profile.header, profile.claims(case.id), profile.default_key
            )
            if len(token) >= 8:
                self._register(token, f"corpus token {case.id}")
            self._tokens[case.id] = token
        return self._tokens[case.id]
