"""Evaluate an authorizer's response the way API Gateway does (contract reference §3, §4, §5).

API Gateway never tells you *why* a policy denied; this module does. It follows the documented
rules and, where the documentation is silent (the UNVERIFIED items of the contract reference),
it takes the strict reading - an uncertain construct does not count - and says so in
``Result.warnings``, so a test fails here instead of in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from authorizers.arn import MAX_ARN_BYTES, ApiArn
from authorizers.request import AuthRequest, RequestKind
from authorizers.rules._iam_glob import glob_matches
from authorizers.testing import events
from authorizers.testing._conditions import KeyValues, request_keys, statement_applies
from authorizers.testing.response_checks import check_policy_response, check_simple_response

#: The API that ``"GET /pets/1"`` style requests belong to unless ``api=`` says otherwise: the
#: one the event factories use (stage ``prod``; HTTP APIs: ``$default``).
DEFAULT_API = ApiArn("aws", events.REGION, events.ACCOUNT_ID, events.API_ID, "prod", "GET", "")
DEFAULT_HTTP_API = replace(DEFAULT_API, stage="$default")
INVOKE = "execute-api:Invoke"


class ApiKind(StrEnum):
    """Which response format API Gateway expects."""

    REST = "rest"  # REST TOKEN / REQUEST authorizer: IAM policy, scalar context
    WEBSOCKET = "websocket"  # $connect: IAM policy, scalar context, 8 KB result
    HTTP_IAM = "http_iam"  # HTTP API payload 1.0, or 2.0 without simple responses
    HTTP_SIMPLE = "http_simple"  # HTTP API payload 2.0 with enableSimpleResponses


class GatewayDecision(StrEnum):
    """What API Gateway does with the call (the authorizer's own verdict is another matter)."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"
    UNAUTHORIZED = "unauthorized"
    INVALID = "invalid"
    URI_TOO_LONG = "uri_too_long"  # method ARN over 1600 bytes: refused before authorizing


STATUS = {
    GatewayDecision.ALLOW: 200,
    GatewayDecision.EXPLICIT_DENY: 403,
    GatewayDecision.IMPLICIT_DENY: 403,
    GatewayDecision.UNAUTHORIZED: 401,
    GatewayDecision.INVALID: 500,
    GatewayDecision.URI_TOO_LONG: 414,
}


class ConditionHandling(StrEnum):
    """What a statement with a ``Condition`` block does (contract §4.4: UNVERIFIED).

    Whatever the mode, a condition that is not evaluated never turns into an Allow: such an
    Allow statement does not match and such a Deny statement does.
    """

    EVALUATE = "evaluate"  # default: the IpAddress/StringEquals subset (testing._conditions)
    SOURCE_IP = "source_ip"  # the former name of "evaluate"
    UNMATCHED = "unmatched"  # evaluate nothing: conditional Allows never match, Denies always


class ActionMatching(StrEnum):
    """Which ``Action`` values count (contract §4.2: UNVERIFIED beyond the exact name)."""

    EXACT = "exact"  # default: only "execute-api:Invoke"
    IAM = "iam"  # IAM rules: case-insensitive, "*" and "?" wildcards


@dataclass(frozen=True, slots=True)
class Result:
    """What API Gateway would do with one response for one request.

    ``context`` is what a Lambda proxy integration receives (values as returned, with
    ``principalId`` for policy responses); ``template_context`` is ``$context.authorizer.*``
    in mapping templates, where every value is a string.
    """

    decision: GatewayDecision
    arn: str
    api_kind: ApiKind
    statement: Mapping[str, Any] | None = None
    statement_index: int | None = None
    principal_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    template_context: Mapping[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def status(self) -> int:
        return STATUS[self.decision]

    @property
    def allowed(self) -> bool:
        return self.decision is GatewayDecision.ALLOW

    def explain(self) -> str:
        """A human-readable account: decision, deciding statement, reasons, warnings."""
        lines = [f"{self.decision.value} ({self.status}) for {self.arn} [{self.api_kind.value}]"]
        if self.statement is not None:
            shown = json.dumps(self.statement, sort_keys=True)
            lines.append(f"  decided by Statement[{self.statement_index}]: {shown}")
        elif self.decision is GatewayDecision.IMPLICIT_DENY:
            lines.append("  no Allow statement matched this ARN")
        lines += [f"  reason: {reason}" for reason in self.reasons]
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def request_arn(request: str | ApiArn | AuthRequest, api: ApiArn | str | None = None) -> ApiArn:
    """The ARN a request is evaluated against: ``"GET /pets/1"``, ``"$connect"`` (routes of
    ``api``, default :data:`DEFAULT_API`), a full execute-api ARN, or an AuthRequest.
    ``api`` is any ARN of the API (``event["methodArn"]`` will do)."""
    if isinstance(request, AuthRequest):
        return request.arn
    if isinstance(request, ApiArn):
        return request
    if request.startswith("arn:"):
        return ApiArn.parse(request)
    base = ApiArn.parse(api) if isinstance(api, str) else (api or DEFAULT_API)
    if request.startswith("$") and " " not in request:
        return base.route(None, request)
    verb, _, path = request.partition(" ")
    if not re.fullmatch(r"[A-Z]+", verb) or not path.startswith("/"):
        raise ValueError(
            f"request {request!r} is not 'VERB /path', a route key like '$connect' or an ARN"
        )
    return base.route(verb, path.split("?", 1)[0])


def as_request(request: Any) -> str | ApiArn | AuthRequest:
    """A Lambda event becomes an AuthRequest; the other request forms stay as they are."""
    if isinstance(request, Mapping):  # a Lambda event
        from authorizers.event_parsing import parse_event  # noqa: PLC0415

        return parse_event(request)
    if isinstance(request, str | ApiArn | AuthRequest):
        return request
    raise TypeError(f"cannot simulate a request given as {type(request).__name__}")


def infer_api_kind(response: Any, request: str | ApiArn | AuthRequest) -> ApiKind:
    """The API kind a request implies; for a bare route, the response's shape decides."""
    simple = isinstance(response, Mapping) and "isAuthorized" in response
    if isinstance(request, AuthRequest):
        kinds = {
            RequestKind.REST_TOKEN: ApiKind.REST,
            RequestKind.REST_REQUEST: ApiKind.REST,
            RequestKind.WEBSOCKET: ApiKind.WEBSOCKET,
            RequestKind.HTTP_V1: ApiKind.HTTP_IAM,
        }
        default = ApiKind.HTTP_SIMPLE if simple else ApiKind.HTTP_IAM
        return kinds.get(request.kind, default)
    if request_arn(request).verb is None:
        return ApiKind.WEBSOCKET
    return ApiKind.HTTP_SIMPLE if simple else ApiKind.REST


def simulate(
    response: Any,
    request: Any,
    *,
    api_kind: ApiKind | str | None = None,
    api: ApiArn | str | None = None,
    source_ip: str | None = None,
    conditions: ConditionHandling | str = ConditionHandling.EVALUATE,
    actions: ActionMatching | str = ActionMatching.EXACT,
    condition_keys: Mapping[str, str | None] | None = None,
) -> Result:
    """Evaluate ``response`` (a dict, or the exception the authorizer raised) for ``request``
    (``"GET /pets/1"``, an execute-api ARN, an AuthRequest or a Lambda event).

    ``condition_keys`` gives values of IAM condition keys (``{"aws:UserAgent": "curl/8"}``;
    ``None``: the request does not carry the key), over those read from the request."""
    resolved = as_request(request)
    kind = ApiKind(api_kind) if api_kind is not None else infer_api_kind(response, resolved)
    if api is None and kind in (ApiKind.HTTP_IAM, ApiKind.HTTP_SIMPLE):
        api = DEFAULT_HTTP_API
    arn = str(request_arn(resolved, api))
    too_long = uri_too_long(arn, kind)
    if too_long is not None:
        return too_long
    if isinstance(response, BaseException):
        return _raised(response, arn, kind)
    if kind is ApiKind.HTTP_SIMPLE:
        reasons = check_simple_response(response)
        if reasons:
            return Result(GatewayDecision.INVALID, arn, kind, reasons=tuple(reasons))
        context = dict(response.get("context", {}))
        decision = (
            GatewayDecision.ALLOW if response["isAuthorized"] else GatewayDecision.EXPLICIT_DENY
        )
        return Result(decision, arn, kind, context=context, template_context=_strings(context))
    reasons = check_policy_response(
        response,
        websocket=kind is ApiKind.WEBSOCKET,
        nested_context=_payload_2(kind, resolved),
    )
    if reasons:
        return Result(GatewayDecision.INVALID, arn, kind, reasons=tuple(reasons))
    keys = request_keys(resolved, source_ip)
    keys.update((key.lower(), value) for key, value in (condition_keys or {}).items())
    statements: list[Mapping[str, Any]] = response["policyDocument"]["Statement"]
    warnings: list[str] = []
    decision, index = _evaluate(
        statements,
        arn,
        keys=keys,
        conditions=ConditionHandling(conditions),
        actions=ActionMatching(actions),
        warnings=warnings,
    )
    principal = response["principalId"]
    context = {**response.get("context", {}), "principalId": principal}
    if "principalId" in response.get("context", {}):
        warnings.append("context has a 'principalId' key; API Gateway's own principalId wins")
    return Result(
        decision,
        arn,
        kind,
        statement=None if index is None else statements[index],
        statement_index=index,
        principal_id=principal,
        context=context,
        template_context=_strings(context),
        warnings=tuple(warnings),
    )


def uri_too_long(arn: str, kind: ApiKind) -> Result | None:
    """414 for a method ARN over 1600 bytes: API Gateway answers it without running the
    authorizer or evaluating any policy (AGW/limits, contract §1)."""
    size = len(arn.encode())
    if size <= MAX_ARN_BYTES:
        return None
    reason = f"the method ARN is {size} bytes, over API Gateway's {MAX_ARN_BYTES}: 414"
    return Result(GatewayDecision.URI_TOO_LONG, arn, kind, reasons=(reason,))


def _payload_2(kind: ApiKind, request: str | ApiArn | AuthRequest) -> bool:
    """An HTTP API IAM response to a payload 2.0 event may nest lists and maps in its context
    (AWS's own example does); 1.0, REST and WebSocket stay flat, and so does a bare route,
    whose payload version is unknown (the strict reading)."""
    return (
        kind is ApiKind.HTTP_IAM
        and isinstance(request, AuthRequest)
        and request.kind is RequestKind.HTTP_V2
    )


def _raised(error: BaseException, arn: str, kind: ApiKind) -> Result:
    # Only the exact message counts (case-sensitivity is UNVERIFIED, contract §3); the message
    # of any other exception is left out of the result: it might carry a credential.
    if str(error) == "Unauthorized":
        http = kind in (ApiKind.HTTP_IAM, ApiKind.HTTP_SIMPLE)
        warnings = ("401 on 'Unauthorized' is UNVERIFIED for HTTP APIs",) if http else ()
        return Result(GatewayDecision.UNAUTHORIZED, arn, kind, warnings=warnings)
    reason = f"the authorizer raised {type(error).__name__} (not 'Unauthorized'): 500"
    return Result(GatewayDecision.INVALID, arn, kind, reasons=(reason,))


def _strings(context: Mapping[str, Any]) -> dict[str, str]:
    return {key: v if isinstance(v, str) else json.dumps(v) for key, v in context.items()}


def _evaluate(
    statements: list[Mapping[str, Any]],
    arn: str,
    *,
    keys: KeyValues,
    conditions: ConditionHandling,
    actions: ActionMatching,
    warnings: list[str],
) -> tuple[GatewayDecision, int | None]:
    """Explicit Deny wins over Allow; no matching Allow is an implicit deny (§4.1, §4.2). A
    condition that cannot be evaluated counts against the caller: its Deny applies, its
    Allow does not."""
    first_allow: int | None = None
    for index, statement in enumerate(statements):
        label = f"Statement[{index}]"
        if not _action_matches(statement["Action"], actions, label, warnings):
            continue
        if not any(resource_matches(pattern, arn) for pattern in _as_list(statement["Resource"])):
            continue
        evaluate = conditions is not ConditionHandling.UNMATCHED
        if "Condition" in statement and not statement_applies(
            statement, keys, evaluate=evaluate, label=label, warnings=warnings
        ):
            continue
        if statement["Effect"] == "Deny":
            return GatewayDecision.EXPLICIT_DENY, index
        if first_allow is None:
            first_allow = index
    return (
        GatewayDecision.IMPLICIT_DENY if first_allow is None else GatewayDecision.ALLOW
    ), first_allow


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM Resource matching (§4.3): ``*`` is any run of characters (``/`` and none
    included), ``?`` exactly one, everything else literal and case-sensitive. Linear time
    in the ARN whatever the pattern (no backtracking regex)."""
    return glob_matches(pattern, arn)


def _action_matches(action: Any, mode: ActionMatching, label: str, warnings: list[str]) -> bool:
    for name in _as_list(action):
        if name == INVOKE:
            return True
        if glob_matches(name, INVOKE, ignore_case=True):
            if mode is ActionMatching.IAM:
                return True
            warnings.append(
                f"{label} Action {name!r} not counted: whether API Gateway honours action"
                " wildcards or case-insensitive names in authorizer policies is UNVERIFIED"
                " (contract §4.2); use 'execute-api:Invoke'"
            )
    return False
