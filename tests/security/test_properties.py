"""Properties that must hold for every input, checked with Hypothesis.

- tokens: a mutated valid token is never allowed, and is refused as a 401 with a reason code,
  never by another kind of exception;
- events: whatever arrives (any kind, damaged fields, made-up ARNs, polluted headers), the
  handler gives only a designed outcome - Allow only with a valid credential in the event,
  else a 401, a Deny, or a 500 naming a reason code - and never an unexpected exception;
- responses: every response the handler returns passes the simulator's validity checks.

``make test`` runs about 2,000 examples per property (the "ci" profile's count is raised
here); ``make fuzz`` runs the "fuzz" profile's 10,000.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from authorizers.authorizer import Outcome
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.keystores.base import hash_api_key
from authorizers.keystores.static import StaticKeyStore
from authorizers.request import AuthRequest
from authorizers.rules import AccessRules, allow_route, deny_route, scopes_any
from authorizers.testing.events import token_event
from authorizers.testing.simulator import GatewayDecision
from authorizers.validator import AnyOf
from authorizers.validators.api_key import ApiKeyValidator

from . import strategies
from .cases import CASES
from .mutations import mutated
from .profiles import jwt_validator
from .runner import ROUTE, Corpus, HandlerResult, call_handler, verify

EXAMPLES = max(2_000, settings().max_examples)
PROPERTY = settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
SEEDS = ("rs256-valid", "es256-valid", "eddsa-valid", "other-issuer-valid")
API_KEY = "sk_test_security_suite_7f3c9a2e51b84d06"
DESIGNED_FAILURE = re.compile(r"Unauthorized|authorizer failed \([a-z_]+\)")
VALIDATOR = jwt_validator()
RULES = AccessRules(
    allow_route("GET", "/pets/{id}"),
    allow_route("POST", "/pets", requires=scopes_any("pets:write")),
    deny_route("DELETE", "/pets/{id}"),
)


@pytest.fixture(scope="module")
def seeds(corpus: Corpus) -> list[str]:
    return [corpus.token(case) for case in CASES if case.id in SEEDS]


@pytest.fixture(scope="module")
def api_key(register_secret: Callable[..., Any]) -> str:
    register_secret(API_KEY, "security suite API key")
    return API_KEY


def _designed(result: HandlerResult) -> None:
    """Only the outcomes the handler is designed to give; never an unexpected exception."""
    decision = result.decision
    assert decision.reason is not ReasonCode.INTERNAL_ERROR, decision.detail
    if isinstance(result.response, BaseException):
        assert type(result.response) is Exception
        assert DESIGNED_FAILURE.fullmatch(str(result.response)), str(result.response)
    else:
        assert result.gateway is not GatewayDecision.INVALID, result.response
    assert (decision.outcome is Outcome.ALLOW) == (result.gateway is GatewayDecision.ALLOW)


# --- tokens ----------------------------------------------------------------------------------


@PROPERTY
@given(data=st.data())
def test_a_mutated_token_is_never_allowed(seeds: list[str], data: st.DataObject) -> None:
    original, token = data.draw(mutated(seeds), label="mutation")
    verdict = verify(VALIDATOR, token)
    assert isinstance(verdict, Unauthorized), f"{verdict!r}"  # not an identity, not a crash
    assert verdict.reason is not ReasonCode.INTERNAL_ERROR
    if token.strip(" \t") != original:  # HTTP trims optional whitespace around a header value
        result = call_handler(VALIDATOR, token_event(ROUTE, f"Bearer {token}"))
        assert result.decision.outcome is Outcome.UNAUTHORIZED
        assert result.gateway is GatewayDecision.UNAUTHORIZED


# --- events ----------------------------------------------------------------------------------


#: JWT for people, an API key for machines; built once (its token cache only speeds it up).
EVENT_VALIDATOR = AnyOf(
    jwt_validator(),
    ApiKeyValidator(StaticKeyStore({hash_api_key(API_KEY): {"owner": "machine-1"}})),
)


@PROPERTY
@given(data=st.data(), simple=st.booleans())
def test_any_event_gets_a_designed_outcome(
    seeds: list[str], api_key: str, data: st.DataObject, simple: bool
) -> None:
    valid = {"jwt": seeds[0], "api_key": api_key}
    near_misses = mutated(seeds).map(lambda pair: pair[1])
    event, credential = data.draw(strategies.fuzzed_events(valid, near_misses), label="event")
    result = call_handler(EVENT_VALIDATOR, event, simple=simple, rules=RULES)
    _designed(result)
    if result.decision.outcome is Outcome.ALLOW:
        assert credential in valid, f"allowed with a {credential} credential"
        assert valid[credential] in json.dumps(event)
        assert result.decision.identity is not None
        assert result.decision.identity.principal_id in ("user-1", "machine-1")


# --- responses ---------------------------------------------------------------------------


class _Given:
    """A validator that returns the identity Hypothesis drew: the renderer is under test."""

    name = "given"

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def validate(self, request: AuthRequest) -> Identity:
        return self.identity


@PROPERTY
@example(  # found by Hypothesis: the excess Deny GET/pets/*/* hit the trailing slash
    kind="rest_token",
    route="GET /pets/pets/",
    principal="u",
    context={},
    scopes=frozenset(),
    usage_key=None,
    simple=False,
    use_rules=True,
    json_context=False,
)
@example(  # a literal route's trailing slash was a false 403
    kind="rest_token",
    route="POST /pets/",
    principal="u",
    context={},
    scopes=frozenset({"pets:write"}),
    usage_key=None,
    simple=False,
    use_rules=True,
    json_context=False,
)
@given(
    kind=st.sampled_from(strategies.KINDS),
    route=strategies.routes,
    principal=strategies.principals,
    context=strategies.contexts,
    scopes=st.frozensets(st.sampled_from(["pets:write", "pets:read"])),
    usage_key=st.none() | st.text(min_size=1, max_size=60),
    simple=st.booleans(),
    use_rules=st.booleans(),
    json_context=st.booleans(),
)
def test_every_rendered_response_is_valid(
    kind: str,
    route: str,
    principal: str,
    context: dict[str, Any],
    scopes: frozenset[str],
    usage_key: str | None,
    simple: bool,
    use_rules: bool,
    json_context: bool,
) -> None:
    identity = Identity(
        principal, "given", context=context, scopes=scopes, usage_identifier_key=usage_key
    )
    event = strategies.build_event(kind, route, "Bearer x" * 2, {}, {})
    result = call_handler(
        _Given(identity),
        event,
        simple=simple,
        rules=RULES if use_rules else None,
        context_json_encode=json_context,
    )
    _designed(result)
    assert result.decision.outcome is not Outcome.UNAUTHORIZED  # nothing here refuses a caller
    if result.decision.outcome is Outcome.ERROR:  # refused by the renderer, never sent
        assert result.decision.reason is ReasonCode.INVALID_RESPONSE
