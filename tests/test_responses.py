"""Response rendering: the shapes API Gateway expects, and every limit checked before it 500s.

Responses are checked against the test kit's independent shape checks and evaluated by the
policy simulator, so a shape that merely looks right cannot pass.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from authorizers.arn import ApiArn
from authorizers.errors import InvalidResponse
from authorizers.grants import Grants
from authorizers.request import AuthRequest, RequestKind
from authorizers.responses import (
    ANONYMOUS_PRINCIPAL,
    LAMBDA_RESPONSE_BYTES,
    WEBSOCKET_RESPONSE_BYTES,
    deny_all_response,
    policy_response,
    simple_response,
)
from authorizers.testing.response_checks import check_policy_response, check_simple_response
from authorizers.testing.simulator import GatewayDecision, simulate

API = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod"


def request(
    route: str = "GET/pets/1", kind: RequestKind = RequestKind.REST_TOKEN, api: str = API
) -> AuthRequest:
    return AuthRequest(kind, ApiArn.parse(f"{api}/{route}"))


def decision(response: dict[str, Any], route: str) -> GatewayDecision:
    return simulate(response, f"{API}/{route}").decision


def test_policy_response_has_the_documented_shape() -> None:
    grants = Grants(allow=("GET/pets/*", "GET/pets"), deny=("GET/pets/*/secret",))
    response = policy_response(request(), "user-1", grants, context={"tier": "gold", "n": 3})
    assert response == {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": [f"{API}/GET/pets/*", f"{API}/GET/pets"],
                },
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny",
                    "Resource": [f"{API}/GET/pets/*/secret"],
                },
            ],
        },
        "context": {"tier": "gold", "n": 3},
    }
    assert check_policy_response(response) == []
    assert decision(response, "GET/pets/7") is GatewayDecision.ALLOW
    assert decision(response, "GET/pets/7/secret") is GatewayDecision.EXPLICIT_DENY


def test_resources_are_full_arns_of_the_called_api_in_its_partition() -> None:
    china = "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/v1"
    response = policy_response(request(api=china), "user-1", Grants.everything())
    statement = response["policyDocument"]["Statement"]
    assert statement == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [f"{china}/*"]}
    ]
    websocket = request("$connect", RequestKind.WEBSOCKET)
    response = policy_response(websocket, "user-1", Grants(allow=("$connect",)))
    assert response["policyDocument"]["Statement"][0]["Resource"] == [f"{API}/$connect"]
    assert check_policy_response(response, websocket=True) == []


def test_no_allow_means_a_deny_of_the_whole_stage() -> None:
    for response in (deny_all_response(request()), policy_response(request(), "u", Grants())):
        assert response["policyDocument"]["Statement"] == [
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{API}/*"]}
        ]
        assert check_policy_response(response) == []
        for route in ("GET/pets/1", "POST/", "DELETE/a/b/c"):
            assert decision(response, route) is GatewayDecision.EXPLICIT_DENY
    assert deny_all_response(request())["principalId"] == ANONYMOUS_PRINCIPAL
    assert "context" not in deny_all_response(request())


def test_usage_identifier_key_only_when_the_identity_has_one() -> None:
    grants = Grants.everything()
    assert "usageIdentifierKey" not in policy_response(request(), "u", grants)
    response = policy_response(request(), "u", grants, usage_identifier_key="key-value-123")
    assert response["usageIdentifierKey"] == "key-value-123"


def test_context_none_values_are_dropped() -> None:
    response = policy_response(
        request(), "u", Grants.everything(), context={"email": None, "tier": "gold"}
    )
    assert response["context"] == {"tier": "gold"}
    only_none = policy_response(request(), "u", Grants.everything(), context={"email": None})
    assert "context" not in only_none


@pytest.mark.parametrize("value", [["a", "b"], {"k": "v"}, (1, 2)])
def test_nested_context_values_are_refused_for_iam_responses_naming_the_key(value: Any) -> None:
    with pytest.raises(InvalidResponse) as refused:
        policy_response(request(), "u", Grants.everything(), context={"roles": value})
    assert "'roles'" in refused.value.detail
    assert "context_json_encode" in refused.value.detail


def test_payload_2_iam_responses_may_nest_context_and_1_0_may_not() -> None:
    """Contract §5: in HTTP API payload 2.0 context values may be arrays and maps, in the IAM
    response format too (AWS's example); 1.0 is the REST-compatible, flat one."""
    context = {"roles": ["a", "b"], "meta": {"k": [1, True]}, "tier": "gold"}
    v2 = request(kind=RequestKind.HTTP_V2)
    response = policy_response(v2, "u", Grants.everything(), context=context)
    assert response["context"] == context
    assert check_policy_response(response, nested_context=True) == []
    assert check_policy_response(response) != []  # the same response to a 1.0 event: a 500
    with pytest.raises(InvalidResponse):
        policy_response(
            request(kind=RequestKind.HTTP_V1), "u", Grants.everything(), context=context
        )
    encoded = policy_response(
        v2, "u", Grants.everything(), context=context, json_encode_context=True
    )
    assert encoded["context"]["roles"] == '["a","b"]'  # asked for JSON strings: still given


def test_nested_context_values_can_be_sent_as_json_strings() -> None:
    context = {"roles": ["a", "b"], "meta": {"k": [1, True]}, "tier": "gold"}
    response = policy_response(
        request(), "u", Grants.everything(), context=context, json_encode_context=True
    )
    assert response["context"] == {
        "roles": '["a","b"]',
        "meta": '{"k":[1,true]}',
        "tier": "gold",
    }
    assert check_policy_response(response) == []
    assert {k: json.loads(v) for k, v in response["context"].items() if k != "tier"} == {
        "roles": ["a", "b"],
        "meta": {"k": [1, True]},
    }


@pytest.mark.parametrize(
    "context",
    [
        {"ratio": math.nan},
        {"ratio": math.inf},
        {"when": object()},
        {"": "empty key"},
        {1: "int key"},
    ],
)
def test_context_values_json_cannot_carry_are_refused(context: dict[Any, Any]) -> None:
    with pytest.raises(InvalidResponse):
        policy_response(request(), "u", Grants.everything(), context=context)
    with pytest.raises(InvalidResponse):
        simple_response(request(kind=RequestKind.HTTP_V2), True, context=context)


def test_claims_is_reserved_in_http_api_context_only() -> None:
    for kind in (RequestKind.HTTP_V1, RequestKind.HTTP_V2):
        with pytest.raises(InvalidResponse) as refused:
            policy_response(request(kind=kind), "u", Grants.everything(), context={"claims": "x"})
        assert "'claims'" in refused.value.detail
    with pytest.raises(InvalidResponse):
        simple_response(request(kind=RequestKind.HTTP_V2), True, context={"claims": "x"})
    rest = policy_response(request(), "u", Grants.everything(), context={"claims": "x"})
    assert rest["context"] == {"claims": "x"}


def test_simple_responses_may_nest_context() -> None:
    http = request(kind=RequestKind.HTTP_V2)
    context = {"roles": ["a", "b"], "profile": {"tier": "gold", "tags": [1, None]}, "skip": None}
    response = simple_response(http, True, context=context)
    assert response == {
        "isAuthorized": True,
        "context": {"roles": ["a", "b"], "profile": {"tier": "gold", "tags": [1, None]}},
    }
    assert check_simple_response(response) == []
    assert simple_response(http, False) == {"isAuthorized": False}
    assert simple_response(http, "yes") == {"isAuthorized": False}  # type: ignore[arg-type]
    with pytest.raises(InvalidResponse):
        simple_response(http, True, context={"bad": {1: "non-string key"}})


def test_principal_must_be_a_non_empty_string() -> None:
    for principal in ("", None, 42):
        with pytest.raises(InvalidResponse):
            policy_response(request(), principal, Grants.everything())  # type: ignore[arg-type]


def test_a_resource_over_512_characters_is_refused_without_echoing_it() -> None:
    long_path = "GET/files/" + "t0k3n" * 100
    response = policy_response(request(long_path), "u", Grants(allow=("GET/files/*",)))
    assert check_policy_response(response) == []
    with pytest.raises(InvalidResponse) as refused:
        policy_response(request(long_path), "u", Grants(allow=(long_path,)))
    assert "t0k3n" not in str(refused.value)
    assert "512" in refused.value.detail


def test_a_websocket_response_over_8_kb_is_refused() -> None:
    """8 KB is the WebSocket quota ("Lambda authorizer result size"), the only one AWS
    documents for authorizer responses."""
    grants = Grants.everything()
    websocket = request("$connect", RequestKind.WEBSOCKET)
    fits = {f"k{i}": "v" * 70 for i in range(90)}
    response = policy_response(websocket, "u", grants, context=fits)
    assert len(json.dumps(response).encode()) <= WEBSOCKET_RESPONSE_BYTES
    too_big = {f"k{i}": "v" * 70 for i in range(120)}
    with pytest.raises(InvalidResponse) as refused:
        policy_response(websocket, "u", grants, context=too_big)
    assert "bytes" in refused.value.detail


def test_a_websocket_response_over_8_kb_of_resources_alone_is_refused() -> None:
    """The resources count towards the limit too (measured once per grants, not per call)."""
    websocket = request("$connect", RequestKind.WEBSOCKET)
    grants = Grants(allow=tuple(f"route-{i}-" + "x" * 100 for i in range(80)))
    with pytest.raises(InvalidResponse) as refused:
        policy_response(websocket, "u", grants)
    assert "bytes" in refused.value.detail
    fits = Grants(allow=grants.allow[:40])
    response = policy_response(websocket, "u", fits)
    assert len(json.dumps(response).encode()) <= WEBSOCKET_RESPONSE_BYTES


def test_rest_and_http_responses_may_exceed_8_kb_up_to_lambdas_6_mb() -> None:
    """Never refuse what API Gateway accepts: REST and HTTP APIs document no 8 KB limit."""
    grants = Grants.everything()
    big = {f"k{i}": "v" * 70 for i in range(120)}  # ~10 KB
    for kind in (RequestKind.REST_TOKEN, RequestKind.REST_REQUEST, RequestKind.HTTP_V1):
        response = policy_response(request(kind=kind), "u", grants, context=big)
        assert len(json.dumps(response).encode()) > WEBSOCKET_RESPONSE_BYTES
    assert simple_response(request(kind=RequestKind.HTTP_V2), True, context={"big": big})
    huge = {"text": "v" * LAMBDA_RESPONSE_BYTES}
    with pytest.raises(InvalidResponse):
        policy_response(request(), "u", grants, context=huge)
    with pytest.raises(InvalidResponse):
        simple_response(request(kind=RequestKind.HTTP_V2), True, context=huge)


def test_the_size_limit_counts_json_escapes() -> None:
    """2,000 characters that JSON writes as 6 bytes each are over the WebSocket limit; 2,000
    that it writes as one byte each are not."""
    grants = Grants.everything()
    websocket = request("$connect", RequestKind.WEBSOCKET)
    assert policy_response(websocket, "u", grants, context={"text": "a" * 2000})
    with pytest.raises(InvalidResponse):
        policy_response(websocket, "u", grants, context={"text": "\u00e9" * 2000})
    assert policy_response(websocket, "u", grants, context={"text": "\u00e9" * 1000})


def test_the_size_limit_counts_json_escapes_in_resources() -> None:
    """The resources' measure (kept with their rendering) says whether JSON escapes them:
    ten resources of 300 characters JSON writes as 6 bytes each are over the WebSocket limit,
    though as characters they are under half of it."""
    websocket = request("$connect", RequestKind.WEBSOCKET)
    grants = Grants(allow=tuple(f"route-{i}/" + "\u00e9" * 300 for i in range(10)))
    with pytest.raises(InvalidResponse) as refused:
        policy_response(websocket, "u", grants)
    assert "bytes" in refused.value.detail


def test_grants_holding_lists_render_like_tuples() -> None:
    """Rendered ARNs are cached by (API stage, grants); grants a custom rule built from lists
    cannot be a cache key and are rendered all the same."""
    listed = Grants(allow=["GET/pets", "GET/pets/*"], deny=["GET/pets/secret"])  # type: ignore[arg-type]
    tupled = Grants(allow=("GET/pets", "GET/pets/*"), deny=("GET/pets/secret",))
    assert policy_response(request(), "u", listed) == policy_response(request(), "u", tupled)


def test_a_cached_rendering_is_never_shared_between_responses() -> None:
    first = policy_response(request(), "u", Grants.everything())
    first["policyDocument"]["Statement"][0]["Resource"].append("arn:aws:*")
    second = policy_response(request(), "u", Grants.everything())
    assert second["policyDocument"]["Statement"][0]["Resource"] == [f"{API}/*"]
