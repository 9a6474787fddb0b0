"""Would API Gateway accept this authorizer response? (contract reference §3, §5, §6).

A response API Gateway cannot use ends as a 500 for the caller, whatever the policy says, so
the simulator checks the shape before it evaluates anything. Each check returns reasons a
person can act on; where the documentation is silent the strict reading is taken (UNVERIFIED).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from authorizers.responses import MAX_RESOURCE_CHARS as RESOURCE_LIMIT  # per Resource (§3)
from authorizers.responses import (  # bytes of the whole result, WebSocket quota (§6)
    WEBSOCKET_RESPONSE_BYTES as WEBSOCKET_RESULT_LIMIT,
)


def check_policy_response(
    response: Any, *, websocket: bool = False, nested_context: bool = False
) -> list[str]:
    """Why API Gateway would reject an IAM-policy response (empty list: it would not).

    ``nested_context``: the response answers an HTTP API payload 2.0 event, whose context may
    hold lists and maps as AWS's example does (§5); REST, WebSocket and 1.0 stay flat."""
    if not isinstance(response, Mapping):
        return ["the response is not a JSON object"]
    reasons: list[str] = []
    principal = response.get("principalId")
    if "principalId" not in response:
        reasons.append("principalId is missing")
    elif not isinstance(principal, str) or not principal:
        reasons.append("principalId must be a non-empty string")
    document = response.get("policyDocument")
    if not isinstance(document, Mapping):
        reasons.append("policyDocument is missing or not an object")
    else:
        reasons += _check_document(document)
    reasons += _check_context(response, nested_ok=nested_context)
    if not isinstance(response.get("usageIdentifierKey", ""), str):
        reasons.append("usageIdentifierKey must be a string")
    if websocket and len(json.dumps(response, default=str).encode()) > WEBSOCKET_RESULT_LIMIT:
        reasons.append("the result is larger than 8 KB (WebSocket authorizer quota)")
    if reasons and "isAuthorized" in response:
        reasons.append("isAuthorized is only understood by HTTP APIs with simple responses")
    return reasons


def check_simple_response(response: Any) -> list[str]:
    """Why an HTTP API (payload 2.0, simple responses) would reject ``response``."""
    if not isinstance(response, Mapping):
        return ["the response is not a JSON object"]
    reasons = _check_context(response, nested_ok=True)
    if not isinstance(response.get("isAuthorized"), bool):
        reasons.insert(0, "isAuthorized must be a boolean (simple responses are enabled)")
    return reasons


def _check_document(document: Mapping[str, Any]) -> list[str]:
    reasons: list[str] = []
    if document.get("Version") != "2012-10-17":
        reasons.append(
            f"policyDocument.Version must be '2012-10-17', not {document.get('Version')!r}"
        )
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        reasons.append(
            "Statement is a single object, not a list: whether API Gateway accepts that is"
            " UNVERIFIED (contract §4.2) and SAM CLI rejects it"
        )
    elif not isinstance(statements, list) or not statements:
        reasons.append("policyDocument.Statement must be a non-empty list")
    else:
        for index, statement in enumerate(statements):
            reasons += _check_statement(f"Statement[{index}]", statement)
    return reasons


def _check_statement(label: str, statement: Any) -> list[str]:
    if not isinstance(statement, Mapping):
        return [f"{label} is not an object"]
    reasons: list[str] = []
    if statement.get("Effect") not in ("Allow", "Deny"):
        reasons.append(f"{label}.Effect must be 'Allow' or 'Deny' (case-sensitive)")
    for member in ("Action", "Resource"):
        value = statement.get(member)
        if value is None:
            note = " (Not* support is UNVERIFIED, §4.2)" if f"Not{member}" in statement else ""
            reasons.append(f"{label} has no {member}{note}")
        elif not _is_string_list(value):
            reasons.append(f"{label}.{member} must be a string or a non-empty list of strings")
        elif member == "Resource":
            reasons += [
                f"{label} has a Resource of {len(r)} characters (limit {RESOURCE_LIMIT})"
                for r in ([value] if isinstance(value, str) else value)
                if len(r) > RESOURCE_LIMIT
            ]
    condition = statement.get("Condition", {})
    if not isinstance(condition, Mapping) or not all(
        isinstance(tests, Mapping) for tests in condition.values()
    ):
        reasons.append(f"{label}.Condition must map operators to {{key: values}} objects")
    return reasons


def _is_string_list(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


def _check_context(response: Mapping[str, Any], *, nested_ok: bool) -> list[str]:
    if "context" not in response:
        return []
    context = response["context"]
    if not isinstance(context, Mapping):
        return ["context must be an object (null is treated as invalid: UNVERIFIED)"]
    reasons: list[str] = []
    for key, value in context.items():
        scalar = isinstance(value, str | bool) or (
            isinstance(value, int | float) and math.isfinite(value)
        )
        if scalar or (nested_ok and isinstance(value, list | Mapping)):
            continue
        allowed = "JSON values" if nested_ok else "string, number or boolean values"
        reasons.append(f"context[{key!r}] is {type(value).__name__}: only {allowed} are allowed")
    return reasons
