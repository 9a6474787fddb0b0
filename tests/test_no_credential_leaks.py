"""No repr holds a credential, no configuration error repeats a configured value
(issue 14.7 and 14.8)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from authorizers import Authorizer, parse_event
from authorizers.config import build_authorizer, load_config
from authorizers.demo import Call
from authorizers.errors import ConfigurationError
from authorizers.keystores.base import hash_api_key
from authorizers.keystores.static import StaticKeyStore
from authorizers.local.authorization import Authorization
from authorizers.local.functions import Invocation
from authorizers.local.http import HttpRequest
from authorizers.testing.cache_replay import ReplayStep
from authorizers.testing.events import request_event
from authorizers.testing.simulator import ApiKind, GatewayDecision, Result
from authorizers.validators.api_key import ApiKeyValidator
from authorizers.validators.request_params import (
    ClientCertRule,
    ParamRule,
    RequestValidator,
    ValueMatch,
)

SECRET = "sekr3t-Zq8wLk2n"  # stands for a key, a shared header secret, a pattern


def _usage_key_decision() -> Any:
    store = StaticKeyStore({hash_api_key(SECRET): {"owner": "billing"}})
    authorizer = Authorizer(ApiKeyValidator(store, usage_identifier=True))
    event = request_event("GET /pets", headers={"x-api-key": SECRET})
    return authorizer.authorize(parse_event(event))


def test_the_usage_identifier_key_is_returned_but_never_printed() -> None:
    decision = _usage_key_decision()
    assert decision.outcome.value == "allow"
    assert decision.identity.usage_identifier_key == SECRET  # the feature still works
    assert decision.response["usageIdentifierKey"] == SECRET
    for text in (repr(decision), str(decision), repr([decision]), repr(decision.identity)):
        assert SECRET not in text
    assert "usageIdentifierKey" in repr(decision)  # shown as present, redacted


def test_merged_identities_do_not_print_the_key_either() -> None:
    identity = _usage_key_decision().identity
    merged = identity.merge(identity)
    assert merged.usage_identifier_key == SECRET
    assert SECRET not in repr(merged)


def test_request_rules_do_not_print_the_values_they_compare() -> None:
    rule = ParamRule.header("x-shared-secret", equals=SECRET)
    cert = ClientCertRule(subject_dn=ValueMatch(one_of=frozenset({SECRET})))
    for obj in (rule, rule.match, cert, RequestValidator([rule]), ValueMatch(regex=SECRET)):
        assert SECRET not in repr(obj)
    assert "equals" in repr(rule.match)


def test_local_gateway_and_test_kit_objects_do_not_print_credentials() -> None:
    request = HttpRequest(
        "GET",
        "/pets",
        query_string=f"token={SECRET}",
        headers=(("Authorization", f"Bearer {SECRET}"),),
        body=SECRET.encode(),
    )
    result = Result(GatewayDecision.ALLOW, "arn:aws:execute-api:x", ApiKind.REST)
    step = ReplayStep(0, True, False, None, result, {"usageIdentifierKey": SECRET})
    call = Call("label", "GET", f"ws://127.0.0.1/x?token={SECRET}", {"Authorization": SECRET})
    answer = {"principalId": "p", "usageIdentifierKey": SECRET}
    authorization = Authorization(result, True, False, "allow", answer, 1.0)
    invocation = Invocation("Fn", answer, None, (), 1.0)
    for obj in (request, step, call, authorization, invocation):
        assert SECRET not in repr(obj)


@pytest.mark.parametrize(
    "build",
    [
        lambda: RequestValidator(allow_cidrs=[f"{SECRET}/8"]),
        lambda: RequestValidator(deny_cidrs=["10.77.66.55/8"]),
        lambda: ParamRule.header("x", regex=f"({SECRET}"),
        lambda: ClientCertRule(subject_dn=ValueMatch(regex=f"[{SECRET}")),
    ],
)
def test_configuration_errors_never_repeat_the_configured_value(build: Any) -> None:
    with pytest.raises(ConfigurationError) as refused:
        build()
    assert SECRET not in str(refused.value)
    assert "10.77.66.55" not in str(refused.value)


@pytest.mark.parametrize(
    ("validator", "field"),
    [
        ({"type": "request", "allow_cidrs": ["${V}"]}, "allow_cidrs[0]"),
        (
            {"type": "request", "rules": [{"source": "header", "name": "x", "regex": "${V}"}]},
            "rules[0]",
        ),
        ({"type": "request", "client_cert": {"subject_dn": {"regex": "${V}"}}}, "subject_dn"),
    ],
)
def test_values_from_the_environment_are_not_repeated_either(
    validator: dict[str, Any], field: str
) -> None:
    environ = {"AUTHORIZER_CONFIG": json.dumps({"validators": [validator]}), "V": f"({SECRET}/"}
    document, _ = load_config(environ)
    with pytest.raises(ConfigurationError) as refused:
        build_authorizer(document)
    assert field in str(refused.value)
    assert SECRET not in str(refused.value)
