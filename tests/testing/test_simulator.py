"""The policy simulator, tested against the text of the contract reference.

Each test quotes (in its docstring) the sentence of shared/reference/api-gateway-contract.md it
checks; "§4.3" etc. are that document's sections. Sentences marked UNVERIFIED there are
listed in docs/testing.md with the reading the simulator takes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authorizers.arn import ApiArn
from authorizers.request import AuthRequest, RequestKind
from authorizers.testing.events import http_v1_event, http_v2_event, request_event
from authorizers.testing.simulator import (
    DEFAULT_API,
    ActionMatching,
    ApiKind,
    ConditionHandling,
    GatewayDecision,
    request_arn,
    resource_matches,
    simulate,
)

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"


def statement(effect: str, resource: Any, action: Any = "execute-api:Invoke", **extra: Any):
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def policy(*statements: Any, principal: Any = "user-1", **extra: Any) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        **extra,
    }


def allow(*resources: str) -> dict[str, Any]:
    return policy(*(statement("Allow", f"{API}/{r}") for r in resources))


# --- §4.1 / §4.2: Allow, explicit Deny, implicit Deny --------------------------------------


def test_matching_allow_and_no_deny_allows() -> None:
    """§4.1: "the authorizer policy alone decides: it needs a matching Allow and no matching
    Deny"."""
    result = simulate(allow("GET/pets/1"), "GET /pets/1")
    assert (result.decision, result.status, result.statement_index) == (
        GatewayDecision.ALLOW,
        200,
        0,
    )
    assert result.allowed


def test_no_matching_allow_is_an_implicit_deny() -> None:
    """§4.2: "Default is implicit deny." / §3: "policy has no matching Allow (implicit deny)
    -> 403"."""
    result = simulate(allow("GET/pets/1"), "GET /pets/2")
    assert (result.decision, result.status, result.statement) == (
        GatewayDecision.IMPLICIT_DENY,
        403,
        None,
    )


@pytest.mark.parametrize("deny_first", [True, False])
def test_explicit_deny_overrides_any_allow(deny_first: bool) -> None:
    """§4.2: "An explicit Deny in any matching statement overrides any Allow." (statement order
    does not matter)."""
    statements = [statement("Allow", f"{API}/*"), statement("Deny", f"{API}/DELETE/*")]
    if deny_first:
        statements.reverse()
    result = simulate(policy(*statements), "DELETE /pets/1")
    assert (result.decision, result.status) == (GatewayDecision.EXPLICIT_DENY, 403)
    assert result.statement == statement("Deny", f"{API}/DELETE/*")
    assert simulate(policy(*statements), "GET /pets/1").decision is GatewayDecision.ALLOW


def test_deny_that_does_not_match_changes_nothing() -> None:
    """§4.2: the Deny must be in a *matching* statement."""
    response = policy(statement("Allow", f"{API}/*"), statement("Deny", f"{API}/DELETE/*"))
    assert simulate(response, "GET /pets/1").decision is GatewayDecision.ALLOW


def test_action_and_resource_may_be_lists() -> None:
    """§3: "`"execute-api:Invoke"` (string or list; LGO and SAMCLI accept both)" and
    "Resource: one ARN string or a list of ARNs"."""
    response = policy(
        statement("Allow", [f"{API}/GET/a", f"{API}/GET/b"], action=["execute-api:Invoke"])
    )
    assert simulate(response, "GET /b").decision is GatewayDecision.ALLOW
    assert simulate(response, "GET /c").decision is GatewayDecision.IMPLICIT_DENY


@pytest.mark.parametrize("action", ["execute-api:*", "*", "execute-api:invoke", "EXECUTE-API:Inv*"])
def test_action_wildcards_and_case_count_only_when_asked(action: str) -> None:
    """§4.2: "Whether the authorizer-policy evaluator honors action wildcards and
    case-insensitivity is **UNVERIFIED**. SAMCLI requires the literal string
    `execute-api:Invoke`." The default does not count them, and says why."""
    response = policy(statement("Allow", f"{API}/*", action=action))
    strict = simulate(response, "GET /pets")
    assert strict.decision is GatewayDecision.IMPLICIT_DENY
    assert "UNVERIFIED" in strict.warnings[0]
    assert simulate(response, "GET /pets", actions=ActionMatching.IAM).allowed


def test_other_actions_never_match() -> None:
    """§4.2: "API Gateway's actions are `Invoke`, `InvalidateCache`, and `*`"."""
    response = policy(statement("Allow", f"{API}/*", action="execute-api:InvalidateCache"))
    result = simulate(response, "GET /pets", actions="iam")
    assert result.decision is GatewayDecision.IMPLICIT_DENY


# --- §4.3: wildcard semantics in Resource ---------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("GET/pets*", "GET/pets", True),  # zero characters
        ("GET/*", "GET/pets/1/photos/2", True),  # across '/'
        ("*/test/*", "1/2/test/3/x.jpg", True),  # the IAM S3 example, adapted
        ("*/test/*", "/test/x.jpg", True),  # bucket//test/x.jpg
        ("x/*/test/*", "x/test/x.jpg", False),  # literal slashes around * still required
    ],
)
def test_star_matches_any_run_including_empty_and_slash(
    pattern: str, path: str, matches: bool
) -> None:
    """§4.3: "`*` matches any run of characters, **including zero characters and `/`**" and the
    IAM example: "`bucket/*/test/*` matches `bucket/1/2/test/3/x.jpg` and `bucket//test/x.jpg`,
    but not `bucket/test/x.jpg`"."""
    assert resource_matches(f"{API}/{pattern}", f"{API}/{path}") is matches


@pytest.mark.parametrize(
    ("path", "matches"), [("pets/1", True), ("pets/12", False), ("pets/", False)]
)
def test_question_mark_matches_exactly_one_character(path: str, matches: bool) -> None:
    """§4.3: "`?` matches exactly one character."""
    assert resource_matches(f"{API}/GET/pets/?", f"{API}/GET/{path}") is matches


def test_star_in_stage_position_greedily_expands_over_slashes() -> None:
    """§4.3: "`.../prod/*/pets` also matches `.../prod/GET/admin/pets`"."""
    response = allow("*/pets")
    assert simulate(response, "GET /admin/pets").decision is GatewayDecision.ALLOW


def test_resources_are_case_sensitive() -> None:
    """§4.3: "Case sensitivity of the resource match is **UNVERIFIED**. Assume case-sensitive"."""
    assert simulate(allow("GET/pets"), "GET /Pets").decision is GatewayDecision.IMPLICIT_DENY
    assert simulate(allow("get/pets"), "GET /pets").decision is GatewayDecision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("resource", "request_path", "matches"),
    [
        ("GET/v1.0/pets", "GET /v1.0/pets", True),
        ("GET/v1.0/pets", "GET /v1x0/pets", False),  # '.' is literal
        ("GET/a+b", "GET /aab", False),  # '+' is literal
        ("GET/{proxy+}", "GET /{proxy+}", True),
        ("GET/(x)|y", "GET /y", False),
    ],
)
def test_regex_metacharacters_are_literal(resource: str, request_path: str, matches: bool) -> None:
    """§4.3: "escape every regex metacharacter in the policy ARN (`.`, `$`, `+`, `(`, `{`...),
    then replace `*` with `.*` and `?` with `.`, and anchor the whole string"."""
    assert simulate(allow(resource), request_path).allowed is matches


def test_websocket_connect_route_matches_literally() -> None:
    """§6: "the policy resource contains a literal `$` (`.../$connect`)"."""
    response = policy(statement("Allow", f"{API}/$connect"))
    result = simulate(response, "$connect")
    assert (result.decision, result.api_kind) == (GatewayDecision.ALLOW, ApiKind.WEBSOCKET)
    assert result.arn == f"{API}/$connect"
    assert simulate(response, "$disconnect").decision is GatewayDecision.IMPLICIT_DENY


def test_default_stage_with_dollar() -> None:
    """§6: "HTTP API stages can be `$default`"."""
    base = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default"
    response = policy(statement("Allow", f"{base}/GET/*"))
    assert simulate(response, "GET /pets", api=f"{base}/GET/").allowed
    assert simulate(response, "GET /pets").decision is GatewayDecision.IMPLICIT_DENY  # stage prod


def test_root_resource_arn_ends_with_slash() -> None:
    """§1: "Root resource: the path part is empty, so the ARN ends with a slash"."""
    assert str(request_arn("GET /")) == f"{API}/GET/"
    assert simulate(allow("GET/"), "GET /").allowed
    assert simulate(allow("GET/*"), "GET /").allowed  # '*' matches zero characters


@given(st.text(min_size=1, max_size=40))
def test_literal_resources_match_only_themselves(path: str) -> None:
    """§4.3: every character other than `*` and `?` is literal (property)."""
    literal = path.replace("*", "").replace("?", "") or "x"
    arn = f"{API}/GET/{literal}"
    assert resource_matches(arn, arn)
    assert not resource_matches(arn, arn + "x")
    assert resource_matches(f"{API}/GET/*", arn)


# --- §4.4: conditions -----------------------------------------------------------------------

IP_CONDITION = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7"]}}


def test_a_conditional_deny_never_turns_into_an_allow_when_not_evaluated() -> None:
    """Issue 13: with conditions="unmatched" a conditional Deny used to deny nothing, so the
    unconditional Allow beside it allowed. Unevaluated, an Allow does not count, a Deny does."""
    conditional_allow = policy(statement("Allow", f"{API}/*", Condition=IP_CONDITION))
    result = simulate(
        conditional_allow, "GET /pets", source_ip="203.0.113.9", conditions="unmatched"
    )
    assert result.decision is GatewayDecision.IMPLICIT_DENY
    assert any("not evaluated" in warning for warning in result.warnings)
    conditional_deny = policy(
        statement("Allow", f"{API}/*"), statement("Deny", f"{API}/*", Condition=IP_CONDITION)
    )
    for source_ip in ("203.0.113.9", "10.0.0.1"):
        denied = simulate(
            conditional_deny, "GET /pets", source_ip=source_ip, conditions="unmatched"
        )
        assert denied.decision is GatewayDecision.EXPLICIT_DENY


def test_conditions_are_evaluated_by_default_with_a_warning() -> None:
    conditional_deny = policy(
        statement("Allow", f"{API}/*"), statement("Deny", f"{API}/*", Condition=IP_CONDITION)
    )
    inside = simulate(conditional_deny, "GET /pets", source_ip="203.0.113.9")
    assert inside.decision is GatewayDecision.EXPLICIT_DENY
    outside = simulate(conditional_deny, "GET /pets", source_ip="10.0.0.1")
    assert outside.allowed
    assert any("UNVERIFIED" in warning for warning in outside.warnings)


UNEVALUABLE = [
    {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},  # operator
    {"StringLike": {"aws:UserAgent": "curl*"}},  # operator
    {"StringEquals": {"aws:SourceArn": "arn:aws:execute-api:*"}},  # key with unknown value
    {"StringEquals": {"aws:UserAgent": "curl/8"}},  # a bare route carries no headers
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},  # a bare route carries no source IP
    {"IpAddress": {"aws:UserAgent": "10.0.0.0/8"}},  # IP operator on a non-IP key
    {"StringEquals": {"aws:Referer": [1, 2]}},  # values it cannot read
]


@pytest.mark.parametrize("condition", UNEVALUABLE)
def test_an_unevaluable_condition_denies_as_a_deny_and_grants_nothing_as_an_allow(
    condition: dict[str, Any],
) -> None:
    deny = policy(
        statement("Allow", f"{API}/*"), statement("Deny", f"{API}/*", Condition=condition)
    )
    assert simulate(deny, "GET /x").decision is GatewayDecision.EXPLICIT_DENY
    allow = policy(statement("Allow", f"{API}/*", Condition=condition))
    assert simulate(allow, "GET /x").decision is GatewayDecision.IMPLICIT_DENY


def test_a_failing_test_decides_an_and_whatever_else_is_unknown() -> None:
    """IAM ANDs operators and keys: one test known to fail makes the condition false."""
    condition = {
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
        "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
    }
    deny = policy(
        statement("Allow", f"{API}/*"), statement("Deny", f"{API}/*", Condition=condition)
    )
    assert simulate(deny, "GET /x", source_ip="192.0.2.1").allowed
    assert not simulate(deny, "GET /x", source_ip="10.0.0.1").allowed


@pytest.mark.parametrize(
    ("operator", "user_agent", "holds"),
    [
        ("StringEquals", "curl/8", True),
        ("StringEquals", "Curl/8", False),  # case-sensitive
        ("StringEquals", None, False),  # key absent: false
        ("StringEqualsIfExists", None, True),
        ("StringNotEquals", "curl/8", False),
        ("StringNotEquals", "wget", True),
        ("StringNotEquals", None, True),  # negated: true when absent
        ("StringNotEqualsIfExists", "curl/8", False),
    ],
)
def test_string_equals_on_the_user_agent_of_the_event(
    operator: str, user_agent: str | None, holds: bool
) -> None:
    """§4.4 and AGW/apigateway-resource-policies-aws-condition-keys: aws:UserAgent is present
    only when the caller sent the header; values OR."""
    condition = {operator: {"aws:UserAgent": ["curl/8", "httpie/3"]}}
    response = policy(statement("Allow", f"{API}/*", Condition=condition))
    headers = {} if user_agent is None else {"User-Agent": user_agent}
    event = request_event("GET /x", headers=headers)
    if user_agent is None:
        event["headers"].pop("User-Agent", None)
        event["multiValueHeaders"].pop("User-Agent", None)
    assert simulate(response, event).allowed is holds


def test_condition_keys_supply_values_the_request_cannot() -> None:
    condition = {"StringEquals": {"aws:Referer": "https://app.example.com/"}}
    response = policy(statement("Allow", f"{API}/*", Condition=condition))
    keys = {"aws:Referer": "https://app.example.com/"}
    assert simulate(response, "GET /x", condition_keys=keys).allowed
    assert not simulate(response, "GET /x", condition_keys={"AWS:REFERER": None}).allowed


@pytest.mark.parametrize(
    ("source_ip", "allowed"),
    [("203.0.113.9", True), ("198.51.100.7", True), ("198.51.100.8", False), ("10.0.0.1", False)],
)
def test_source_ip_condition_values_are_or_and_a_bare_ip_is_a_slash_32(
    source_ip: str, allowed: bool
) -> None:
    """§4.4: "multiple values of one key combine with OR" and "`IpAddress`/`NotIpAddress` take
    CIDR values; a bare IP means `/32`"."""
    response = policy(statement("Allow", f"{API}/*", Condition=IP_CONDITION))
    result = simulate(response, "GET /x", source_ip=source_ip, conditions="source_ip")
    assert result.allowed is allowed


def test_not_ip_address_and_operators_combine_with_and() -> None:
    """§4.4: "multiple operators or keys combine with AND"."""
    condition = {
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
        "NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"},
    }
    response = policy(statement("Allow", f"{API}/*", Condition=condition))
    mode = ConditionHandling.SOURCE_IP
    assert simulate(response, "GET /x", source_ip="10.2.0.1", conditions=mode).allowed
    assert not simulate(response, "GET /x", source_ip="10.1.0.1", conditions=mode).allowed


@pytest.mark.parametrize(
    ("operator", "holds"),
    [("IpAddress", False), ("NotIpAddress", True), ("IpAddressIfExists", True)],
)
def test_missing_key_is_false_except_negated_and_if_exists(operator: str, holds: bool) -> None:
    """§4.4: "a key missing from the request context makes the condition false, except
    `...IfExists` and negated operators (which are true)"."""
    response = policy(
        statement("Allow", f"{API}/*", Condition={operator: {"aws:SourceIp": "10.0.0.0/8"}})
    )
    event = request_event("GET /x")
    del event["requestContext"]["identity"]["sourceIp"]  # a VPC-endpoint call has none
    assert simulate(response, event, conditions="source_ip").allowed is holds
    absent = {"aws:SourceIp": None}
    assert simulate(response, "GET /x", condition_keys=absent).allowed is holds


def test_unsupported_condition_keys_leave_the_statement_unmatched() -> None:
    """§4.4 (documented subset): a key whose value is unknown is not evaluated."""
    condition = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    response = policy(statement("Allow", f"{API}/*", Condition=condition))
    result = simulate(response, "GET /x", source_ip="10.0.0.1")
    assert result.decision is GatewayDecision.IMPLICIT_DENY
    assert "StringEquals/aws:SourceVpce" in result.warnings[0]


def test_source_ip_is_taken_from_the_request() -> None:
    """§2: `requestContext.identity.sourceIp` reaches the authorizer, so it is the condition's
    aws:SourceIp."""
    arn = ApiArn.parse(f"{API}/GET/x")
    request = AuthRequest(kind=RequestKind.REST_REQUEST, arn=arn, source_ip="203.0.113.1")
    response = policy(statement("Allow", f"{API}/*", Condition=IP_CONDITION))
    assert simulate(response, request, conditions="source_ip").allowed


# --- §3: status codes and invalid responses -------------------------------------------------


def test_exception_unauthorized_is_401_and_anything_else_500() -> None:
    """§3: "function fails with error message `Unauthorized` ... 401" and "any other error, or
    a malformed response | 500"."""
    unauthorized = simulate(Exception("Unauthorized"), "GET /x")
    assert (unauthorized.decision, unauthorized.status) == (GatewayDecision.UNAUTHORIZED, 401)
    secret = "eyJhbGciOi.secret.token"
    failed = simulate(ValueError(f"bad token {secret}"), "GET /x")
    assert (failed.decision, failed.status) == (GatewayDecision.INVALID, 500)
    assert secret not in failed.explain()  # the message could carry a credential
    assert simulate(Exception("unauthorized"), "GET /x").status == 500  # exact match only


VALID = policy(statement("Allow", f"{API}/*"))


def without(key: str) -> dict[str, Any]:
    return {k: v for k, v in VALID.items() if k != key}


def document(**changes: Any) -> dict[str, Any]:
    return {**VALID, "policyDocument": {**VALID["policyDocument"], **changes}}


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (without("principalId"), "principalId is missing"),
        ({**VALID, "principalId": ""}, "principalId must be a non-empty string"),
        ({**VALID, "principalId": 42}, "principalId must be a non-empty string"),
        (without("policyDocument"), "policyDocument is missing"),
        (document(Version="2008-10-17"), "Version must be '2012-10-17'"),
        (document(Statement=[]), "Statement must be a non-empty list"),
        (document(Statement=statement("Allow", f"{API}/*")), "single object"),
        (policy({"Action": "execute-api:Invoke", "Resource": f"{API}/*"}), "Effect"),
        (policy(statement("allow", f"{API}/*")), "(case-sensitive)"),
        (policy({"Effect": "Allow", "Resource": f"{API}/*"}), "has no Action"),
        (policy({"Effect": "Allow", "Action": "execute-api:Invoke"}), "has no Resource"),
        (
            policy({"Effect": "Allow", "Action": "execute-api:Invoke", "NotResource": "x"}),
            "Not* support is UNVERIFIED",
        ),
        (policy(statement("Allow", [])), "non-empty list of strings"),
        ({**VALID, "context": {"roles": ["a"]}}, "context['roles'] is list"),
        ({**VALID, "context": {"user": {"id": 1}}}, "context['user'] is dict"),
        ({**VALID, "context": {"user": None}}, "context['user'] is NoneType"),
        ({**VALID, "context": None}, "context must be an object"),
        ("not a dict", "not a JSON object"),
        ({"isAuthorized": True}, "isAuthorized is only understood by HTTP APIs"),
    ],
)
def test_malformed_policy_responses_are_invalid_500(response: Any, reason: str) -> None:
    """§3: the table of required fields ("principalId | yes | string", "policyDocument | yes",
    "`Version` `"2012-10-17"` (BP calls it the only valid value)", Action/Effect/Resource
    required, "Effect is **case-sensitive**", "context ... values must be **string, number, or
    boolean**. A JSON object or array is not a valid value") and "a malformed response | 500"."""
    result = simulate(response, "GET /x", api_kind=ApiKind.REST)
    assert (result.decision, result.status) == (GatewayDecision.INVALID, 500)
    assert any(reason in r for r in result.reasons), result.reasons


def test_resource_longer_than_512_characters_is_invalid() -> None:
    """§3: "Resource ARNs in the returned policy: max **512 characters**"."""
    fits = f"{API}/GET/" + "a" * (512 - len(f"{API}/GET/"))
    assert simulate(policy(statement("Allow", fits)), "GET /x").status == 403
    too_long = policy(statement("Allow", fits + "a"))
    assert "limit 512" in simulate(too_long, "GET /x").reasons[0]


@pytest.mark.parametrize("api_kind", [ApiKind.REST, ApiKind.WEBSOCKET, ApiKind.HTTP_IAM])
def test_nested_context_is_invalid_for_every_policy_response(api_kind: ApiKind) -> None:
    """§3 (REST), §6 ("IAM-policy format, the same as REST") and §5 (1.0: "IAM policy response
    only"): nested context values are not allowed outside simple responses."""
    response = {**VALID, "context": {"groups": ["a", "b"]}}
    assert simulate(response, "GET /x", api_kind=api_kind).decision is GatewayDecision.INVALID


def test_context_reaches_the_integration_with_the_principal() -> None:
    """§3: "In mapping templates the values come out as strings (`$context.authorizer.<key>`).
    With Lambda proxy integration they arrive in `event.requestContext.authorizer.<key>`"; §12:
    "The context returned to the integration gets `principalId` merged in"."""
    response = {**VALID, "context": {"tenant": "t1", "admin": True, "level": 3, "ratio": 0.5}}
    result = simulate(response, "GET /x")
    assert result.context == {
        "tenant": "t1",
        "admin": True,
        "level": 3,
        "ratio": 0.5,
        "principalId": "user-1",
    }
    assert result.template_context == {
        "tenant": "t1",
        "admin": "true",
        "level": "3",
        "ratio": "0.5",
        "principalId": "user-1",
    }
    assert result.principal_id == "user-1"


# --- §5: HTTP API simple responses ----------------------------------------------------------


def test_simple_responses_allow_deny_and_nested_context() -> None:
    """§5: "`{"isAuthorized": <bool>, "context": {...}}`", "`isAuthorized: false` ... → **403**"
    and "In 2.0, `context` values may be strings, numbers, booleans, **arrays, and maps**"."""
    context = {"groups": ["a"], "user": {"id": 7}}
    allowed = simulate({"isAuthorized": True, "context": context}, "GET /x")
    assert (allowed.decision, allowed.api_kind, allowed.context) == (
        GatewayDecision.ALLOW,
        ApiKind.HTTP_SIMPLE,
        context,
    )
    assert allowed.template_context["groups"] == '["a"]'
    denied = simulate({"isAuthorized": False}, "GET /x", api_kind="http_simple")
    assert (denied.decision, denied.status) == (GatewayDecision.EXPLICIT_DENY, 403)


@pytest.mark.parametrize("value", ["true", 1, None])
def test_simple_response_needs_a_boolean(value: Any) -> None:
    """§12 (SAM CLI): "Simple responses need a boolean `isAuthorized`"; §5: "invalid response
    format → **500**"."""
    result = simulate({"isAuthorized": value}, "GET /x", api_kind=ApiKind.HTTP_SIMPLE)
    assert (result.decision, result.status) == (GatewayDecision.INVALID, 500)


def test_policy_response_where_simple_expected_is_invalid() -> None:
    """§5: with `enableSimpleResponses: true` the response is `{"isAuthorized": ...}`."""
    result = simulate(VALID, "GET /x", api_kind=ApiKind.HTTP_SIMPLE)
    assert result.decision is GatewayDecision.INVALID


# --- §6: WebSocket ----------------------------------------------------------------------------


def test_websocket_result_larger_than_8kb_is_invalid() -> None:
    """§6: "authorizer result size **8 KB**"."""
    big = {**policy(statement("Allow", f"{API}/$connect")), "context": {"blob": "x" * 8200}}
    assert simulate(big, "$connect").decision is GatewayDecision.INVALID
    assert (
        simulate(big, "$connect", api_kind="rest").decision is GatewayDecision.ALLOW
    )  # REST: UNVERIFIED


# --- requests -------------------------------------------------------------------------------


def test_requests_as_route_arn_request_and_event() -> None:
    """§1: the methodArn format, in every form the simulator accepts."""
    arn = f"{API}/GET/pets/1"
    response = allow("GET/pets/*")
    event = {"type": "TOKEN", "authorizationToken": "t", "methodArn": arn}
    as_request = AuthRequest(kind=RequestKind.REST_TOKEN, arn=ApiArn.parse(arn), token="t")
    for request in ("GET /pets/1", arn, ApiArn.parse(arn), as_request, event):
        result = simulate(response, request)
        assert (result.decision, result.arn) == (GatewayDecision.ALLOW, arn), request


def test_routes_of_another_api_and_partition() -> None:
    """§1: "The partition can be `aws-cn`/`aws-us-gov`"."""
    china = "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/GET/"
    assert str(request_arn("POST /orders", api=china)) == (
        "arn:aws-cn:execute-api:cn-north-1:123456789012:abc/prod/POST/orders"
    )
    assert str(request_arn("GET /a?b=c")) == f"{API}/GET/a"  # no query string in ARNs
    assert DEFAULT_API.api_prefix == API


@pytest.mark.parametrize("bad", ["get /x", "GET x", "pets", ""])
def test_unreadable_requests_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="not 'VERB /path'"):
        simulate(VALID, bad)


def test_explain_shows_the_deciding_statement() -> None:
    text = simulate(allow("GET/a", "GET/b"), "GET /b").explain()
    assert text.splitlines()[0] == f"allow (200) for {API}/GET/b [rest]"
    assert json.dumps(statement("Allow", f"{API}/GET/b"), sort_keys=True) in text


def test_abbreviated_resources_are_not_expanded() -> None:
    """§4.2: "Abbreviated resources (`execute-api:/stage/VERB/path`) are documented only for
    **resource policies** ... In authorizer output they are **UNVERIFIED**, so always return
    full ARNs"."""
    response = policy(statement("Allow", "execute-api:/prod/GET/*"))
    assert simulate(response, "GET /pets").decision is GatewayDecision.IMPLICIT_DENY


def test_context_principal_id_does_not_override_the_principal() -> None:
    """§3: `principalId` "exposed as `$context.authorizer.principalId`"."""
    result = simulate({**VALID, "context": {"principalId": "spoofed"}}, "GET /x")
    assert result.context["principalId"] == "user-1"
    assert "principalId" in result.warnings[0]


# --- §5: context values of HTTP API IAM responses -------------------------------------------

NESTED = {"arrayKey": ["a", 1], "mapKey": {"k": [True]}, "stringKey": "v"}


def test_payload_2_iam_responses_may_nest_lists_and_maps_in_context() -> None:
    """§5: "In 2.0, `context` values may be ... **arrays, and maps**" (AWS's own example is an
    IAM policy response); 1.0, REST and WebSocket stay flat."""
    event = http_v2_event("GET /x")
    response = policy(statement("Allow", event["routeArn"]), context=NESTED)
    result = simulate(response, event, api_kind="http_iam")
    assert result.allowed
    assert result.context["mapKey"] == {"k": [True]}
    assert result.template_context["arrayKey"] == '["a", 1]'
    for flat in (http_v1_event("GET /x"), request_event("GET /x")):
        invalid = simulate(response, flat)
        assert invalid.decision is GatewayDecision.INVALID
        assert any("arrayKey" in reason for reason in invalid.reasons)
    bare = simulate(response, "GET /x", api_kind="http_iam")  # payload version unknown: strict
    assert bare.decision is GatewayDecision.INVALID


# A property over random condition blocks: an unevaluable test never helps the caller.
KNOWN_TESTS = st.sampled_from(
    [
        ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"]),
        ("NotIpAddress", "aws:SourceIp", "192.0.2.0/24"),
        ("IpAddressIfExists", "aws:SourceIp", "10.1.0.0/16"),
        ("StringEquals", "aws:UserAgent", ["curl/8", "httpie/3"]),
        ("StringNotEquals", "aws:UserAgent", "curl/8"),
        ("StringEqualsIfExists", "aws:Referer", "https://app/"),
        ("StringNotEqualsIfExists", "aws:Referer", ["https://app/"]),
    ]
)
UNEVALUABLE_TESTS = st.sampled_from(
    [
        ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
        ("StringLike", "aws:UserAgent", "curl*"),
        ("StringEquals", "aws:SourceArn", "arn:aws:execute-api:*"),
        ("Bool", "aws:SecureTransport", "true"),
    ]
)


def _block(tests: list[tuple[str, str, Any]]) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for operator, key, values in tests:
        block.setdefault(operator, {})[key] = values
    return block


@given(
    st.lists(KNOWN_TESTS, max_size=4),
    UNEVALUABLE_TESTS,
    st.sampled_from(["10.1.2.3", "192.0.2.9", "203.0.113.5", None]),
    st.sampled_from(["curl/8", "wget", None]),
    st.sampled_from(["https://app/", None]),
)
def test_an_unevaluable_test_never_turns_a_condition_into_an_allow(
    known: list[tuple[str, str, Any]],
    unknown: tuple[str, str, Any],
    source_ip: str | None,
    user_agent: str | None,
    referer: str | None,
) -> None:
    keys = {"aws:SourceIp": source_ip, "aws:UserAgent": user_agent, "aws:Referer": referer}
    with_unknown = _block([*known, unknown])

    def decide(*statements: Any) -> GatewayDecision:
        return simulate(policy(*statements), "GET /x", condition_keys=keys).decision

    everything = statement("Allow", f"{API}/*")
    assert decide(statement("Allow", f"{API}/*", Condition=with_unknown)) is not (
        GatewayDecision.ALLOW
    )
    guarded = decide(everything, statement("Deny", f"{API}/*", Condition=with_unknown))
    # the Deny stays out of the way exactly when one of its known tests is false
    known_false = bool(known) and (
        decide(everything, statement("Deny", f"{API}/*", Condition=_block(known)))
        is GatewayDecision.ALLOW
    )
    assert (guarded is GatewayDecision.ALLOW) is known_false
