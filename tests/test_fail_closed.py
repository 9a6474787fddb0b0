"""No code path yields an Allow after an exception.

A failure is injected into every stage of a handler call that would otherwise allow - event
parsing, each validator of an ``AllOf``, identity merging, the access rules, the renderer,
the observer (its encoder and its stream), the clock - for an IAM-policy API and for an HTTP
API with simple responses. Each time API Gateway must see a 500 (never 200, never a 401 or
403 that would hide the fault), and the exception must not carry the credential.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authorizers import authorizer as authorizer_module
from authorizers import observability, responses
from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.identity import Identity
from authorizers.jwks.sources import StaticJwks
from authorizers.observability import JsonLogObserver
from authorizers.rules import AccessRules, allow_route, scopes_any
from authorizers.testing import events
from authorizers.testing.assertions import call_handler
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.simulator import GatewayDecision, simulate
from authorizers.validator import AllOf
from authorizers.validators.jwt import JwtValidator
from authorizers.validators.request_params import RequestValidator

CLOCK = FakeClock()
SECRET_MESSAGE = "Bearer leaked-into-an-exception-message"


class Injected(RuntimeError):
    """The fault a test injects (its message stands for a credential that must not leak)."""

    def __init__(self) -> None:
        super().__init__(SECRET_MESSAGE)


def fail(*_args: Any, **_kwargs: Any) -> Any:
    raise Injected


def closed_stream() -> io.StringIO:
    stream = io.StringIO()
    stream.close()
    return stream


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer(clock=CLOCK)


@pytest.fixture
def token(issuer: TestIssuer, register_secret: Callable[..., Any]) -> str:
    token = issuer.mint(scope="pets:read", claims={"email": "a@example.test"})
    return str(register_secret(token, "test JWT"))


@pytest.fixture
def parts(issuer: TestIssuer) -> dict[str, Any]:
    """The components of the authorizer under test, for the tests to sabotage."""
    jwt = JwtValidator(
        issuer=issuer.issuer,
        keys=StaticJwks(issuer.jwks),
        audience=issuer.audience,
        context_claims=("email",),
        clock=CLOCK,
    )
    network = RequestValidator(allow_cidrs=["203.0.113.0/24"], principal="office")
    rules = AccessRules(allow_route("GET", "/pets/{id}", scopes_any("pets:read")))
    log = io.StringIO()
    observer = JsonLogObserver(stream=log, clock=CLOCK)
    return {"jwt": jwt, "network": network, "rules": rules, "log": log, "observer": observer}


KINDS = {
    "rest_request": lambda token: events.request_event(
        "GET /pets/1", headers={"Authorization": f"Bearer {token}"}
    ),
    "http_v2_simple": lambda token: events.http_v2_event(
        "GET /pets/1", headers={"Authorization": f"Bearer {token}"}
    ),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def handle(parts: dict[str, Any], kind: str, token: str) -> Iterator[Callable[[], Any]]:
    """Build the authorizer when called (after the test sabotaged it) and call it once."""

    def handle() -> Any:
        authorizer = Authorizer(
            AllOf(parts["jwt"], parts["network"]),
            rules=parts["rules"],
            simple_responses=kind == "http_v2_simple",
            result_ttl_seconds=0,
            observability=parts["observer"],
            clock=parts.get("clock", CLOCK),
        )
        return call_handler(authorizer.handler, KINDS[kind](token))

    yield handle
    assert SECRET_MESSAGE not in parts["log"].getvalue()
    assert token not in parts["log"].getvalue()


def gateway(outcome: Any, kind: str, token: str) -> GatewayDecision:
    return simulate(outcome, KINDS[kind](token)).decision


def test_without_a_fault_the_call_is_allowed(
    handle: Callable[[], Any], kind: str, token: str
) -> None:
    assert gateway(handle(), kind, token) is GatewayDecision.ALLOW


SABOTAGE: dict[str, Callable[[pytest.MonkeyPatch, dict[str, Any]], None]] = {
    "parse_event": lambda mp, parts: mp.setattr(authorizer_module, "parse_event", fail),
    "first validator": lambda mp, parts: mp.setattr(parts["jwt"], "validate", fail),
    "second validator": lambda mp, parts: mp.setattr(parts["network"], "validate", fail),
    "validator returns garbage": lambda mp, parts: mp.setattr(
        parts["network"], "validate", lambda request: {"principalId": "x"}
    ),
    "identity merge": lambda mp, parts: mp.setattr(Identity, "merge", fail),
    "rules": lambda mp, parts: mp.setattr(parts["rules"], "grants", fail),
    "rules return garbage": lambda mp, parts: mp.setattr(
        parts["rules"], "grants", lambda identity, request: None
    ),
    "renderer": lambda mp, parts: [
        mp.setattr(authorizer_module, name, fail) for name in ("policy_response", "simple_response")
    ],
    "size check": lambda mp, parts: mp.setattr(responses, "_check_size", fail),
    "observer": lambda mp, parts: mp.setattr(JsonLogObserver, "record", fail),
    "log encoder": lambda mp, parts: mp.setattr(observability, "_quote", fail),
    "log fields": lambda mp, parts: mp.setattr(observability, "_field_values", fail),
    "closed log stream": lambda mp, parts: parts.update(
        observer=JsonLogObserver(stream=closed_stream(), clock=CLOCK)
    ),
    "clock": lambda mp, parts: parts.update(clock=fail),
    "clock after deciding": lambda mp, parts: parts.update(clock=iter([0.0]).__next__),
}


@pytest.mark.parametrize("stage", sorted(SABOTAGE))
def test_a_fault_in_any_stage_is_a_500_never_an_allow(
    handle: Callable[[], Any],
    parts: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    token: str,
    stage: str,
) -> None:
    SABOTAGE[stage](monkeypatch, parts)
    outcome = handle()
    assert isinstance(outcome, Exception), f"{stage}: returned {outcome!r}"
    assert gateway(outcome, kind, token) is GatewayDecision.INVALID  # 500
    assert str(outcome).startswith("authorizer failed (")
    assert SECRET_MESSAGE not in str(outcome) and token not in str(outcome)
    assert outcome.__cause__ is None


def test_an_exception_that_says_unauthorized_is_still_a_500(
    handle: Callable[[], Any], parts: dict[str, Any], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    def unauthorized_lookalike(request: Any) -> Any:
        raise RuntimeError("Unauthorized")

    monkeypatch.setattr(parts["network"], "validate", unauthorized_lookalike)
    outcome = handle()
    assert str(outcome) == "authorizer failed (internal_error)"
