"""Render decisions into the response API Gateway expects, and refuse any it would reject.

API Gateway answers a response it cannot use with a 500 and no clue in the client's log, so
every limit it enforces is checked here first and raised as :class:`InvalidResponse` naming
the offending key: context values (scalars only for REST, WebSocket and HTTP API payload 1.0;
payload 2.0 responses, simple or IAM, may nest lists and maps; ``claims`` is reserved by
HTTP APIs), each policy ``Resource`` <= 512 characters, the whole response within the
limit of its API kind (:func:`response_limit`).

Context ``None`` values are dropped, not rejected: an optional claim copied into the context
is simply absent, as it would be in the token. Responses are plain dicts built directly (a
policy in a few µs); the exact JSON size is only computed when a cheap upper bound says the
response could be near the limit.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authorizers.errors import InvalidResponse
from authorizers.grants import Grants
from authorizers.request import RequestKind

if TYPE_CHECKING:
    from authorizers.identity import ContextValue
    from authorizers.request import AuthRequest

MAX_RESOURCE_CHARS = 512
#: "AWS Lambda authorizer result size: 8 KB" - WebSocket APIs only (API Gateway quotas,
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html, WebSocket table).
WEBSOCKET_RESPONSE_BYTES = 8 * 1024
MAX_RESPONSE_BYTES = WEBSOCKET_RESPONSE_BYTES  # the old name: the smallest limit
#: REST and HTTP APIs document no authorizer result size (REST quotas:
#: .../api-gateway-execution-service-limits-table.html, HTTP quotas: .../http-api-quotas.html);
#: the bound is then Lambda's own: 6 MB per synchronous invocation response
#: (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Never refuse
#: what API Gateway would accept: larger REST responses are reported to work
#: (https://repost.aws/questions/QUzilwCUByQz6iUi-9hwPFJQ).
LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024
#: principalId of a Deny given without an identity (a validator refused the caller).
ANONYMOUS_PRINCIPAL = "anonymous"

_HTTP_KINDS = frozenset({RequestKind.HTTP_V1, RequestKind.HTTP_V2})
_RESERVED_HTTP_KEY = "claims"
_SCALARS = (str, int, float, bool)
_ENVELOPE_BYTES = 256  # JSON punctuation and fixed keys around the variable strings


def _check_scalar(key: str, value: Any) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidResponse(detail=f"context[{key!r}] is {value}, which is not valid JSON")


def _check_json(key: str, value: Any) -> None:
    """Nested values (simple responses) must survive JSON serialisation unchanged."""
    if value is None or isinstance(value, _SCALARS):
        _check_scalar(key, value)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_json(key, item)
    elif isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise InvalidResponse(detail=f"context[{key!r}] has a non-string map key")
            _check_json(key, item)
    else:
        raise InvalidResponse(
            detail=f"context[{key!r}] is a {type(value).__name__}, not a JSON value"
        )


def _context(
    request: AuthRequest,
    context: Mapping[str, ContextValue | None],
    strings: list[str],
    *,
    nested_ok: bool,
    json_encode: bool,
) -> dict[str, Any]:
    """The checked context; appends its keys and values (as text) to ``strings``."""
    checked: dict[str, Any] = {}
    for key, value in context.items():
        if value is None:
            continue
        if not isinstance(key, str) or not key:
            raise InvalidResponse(detail="context keys must be non-empty strings")
        if key == _RESERVED_HTTP_KEY and request.kind in _HTTP_KINDS:
            raise InvalidResponse(detail=f"context key {key!r} is reserved by HTTP APIs")
        if isinstance(value, str):
            checked[key] = value
            strings += (key, value)
            continue
        if isinstance(value, _SCALARS):
            _check_scalar(key, value)
            checked[key] = value
            text = repr(value)
        elif nested_ok or json_encode:
            _check_json(key, value)
            text = json.dumps(value, separators=(",", ":"))
            checked[key] = value if nested_ok else text
        else:
            raise InvalidResponse(
                detail=f"context[{key!r}] is a {type(value).__name__}: this response type "
                "takes only str, int, float or bool (enable context_json_encode to send it "
                "as a JSON string)"
            )
        strings += (key, text)
    return checked


def response_limit(kind: RequestKind) -> int:
    """The largest response API Gateway accepts from an authorizer of this kind."""
    return WEBSOCKET_RESPONSE_BYTES if kind is RequestKind.WEBSOCKET else LAMBDA_RESPONSE_BYTES


def _check_size(
    response: dict[str, Any],
    strings: list[str],
    kind: RequestKind,
    measured: _Measured = (0, 0, True),
) -> None:
    """Serialise only when a cheap upper bound exceeds the limit: printable ASCII at worst
    doubles in JSON (an escaped quote), other characters can take 12 bytes (two escapes).
    ``measured``: strings already summed up (see :func:`_resources`)."""
    limit = response_limit(kind)
    text = "".join(strings)
    count, chars, plain = measured
    per_char = 2 if plain and text.isascii() and text.isprintable() else 12
    if _ENVELOPE_BYTES + (len(text) + chars) * per_char + 16 * (len(strings) + count) <= limit:
        return
    size = len(json.dumps(response).encode())
    if size > limit:
        raise InvalidResponse(detail=f"response is {size} bytes, over API Gateway's {limit}")


#: (how many strings, their total length, all printable ASCII)
_Measured = tuple[int, int, bool]
#: Distinct (API stage, grants) pairs whose resources are kept rendered. Identities share a
#: handful of grants (one for AllRoutes), so the same ARNs would be built for every caller.
RESOURCES_CACHE_SIZE = 256


@functools.lru_cache(maxsize=RESOURCES_CACHE_SIZE)
def _resources(prefix: str, grants: Grants) -> tuple[tuple[str, ...], tuple[str, ...], _Measured]:
    """The Allow and Deny ARNs of ``grants`` under ``prefix`` (``arn:...:<api>/<stage>/``),
    checked against the per-resource limit and measured for :func:`_check_size`."""
    allow = tuple(prefix + pattern for pattern in grants.allow)
    deny = tuple(prefix + pattern for pattern in grants.deny) if allow else (prefix + "*",)
    every = allow + deny
    longest = max(map(len, every))
    if longest > MAX_RESOURCE_CHARS:
        raise InvalidResponse(
            detail=f"policy resource of {longest} characters (max {MAX_RESOURCE_CHARS}); "
            "keep long values such as tokens out of URLs"
        )
    text = "".join(every)
    return allow, deny, (len(every), len(text), text.isascii() and text.isprintable())


def _statement(effect: str, resources: list[str]) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}


def policy_response(
    request: AuthRequest,
    principal_id: str,
    grants: Grants,
    *,
    context: Mapping[str, ContextValue | None] | None = None,
    usage_identifier_key: str | None = None,
    json_encode_context: bool = False,
) -> dict[str, Any]:
    """An IAM policy response: Allow ``grants.allow``, Deny ``grants.deny``, with full ARNs.

    Empty ``allow`` gives a Deny of every route of the stage (a 403 that is safe to cache).
    """
    if not isinstance(principal_id, str) or not principal_id:
        raise InvalidResponse(detail="principalId must be a non-empty string")
    prefix = request.arn.api_prefix + "/"
    try:
        allow, deny, measured = _resources(prefix, grants)
    except TypeError:  # grants holding lists are unhashable: rendered without the cache
        allow, deny, measured = _resources.__wrapped__(prefix, grants)
    statements = [_statement("Allow", [*allow])] if allow else []
    if deny:
        statements.append(_statement("Deny", [*deny]))
    response: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": statements},
    }
    strings = [principal_id]
    if context:
        nested_ok = request.kind is RequestKind.HTTP_V2 and not json_encode_context
        checked = _context(
            request, context, strings, nested_ok=nested_ok, json_encode=json_encode_context
        )
        if checked:
            response["context"] = checked
    if usage_identifier_key is not None:
        response["usageIdentifierKey"] = usage_identifier_key
        strings.append(usage_identifier_key)
    _check_size(response, strings, request.kind, measured)
    return response


def deny_all_response(
    request: AuthRequest, principal_id: str = ANONYMOUS_PRINCIPAL
) -> dict[str, Any]:
    """A 403 for every route of the stage, with no context."""
    return policy_response(request, principal_id, Grants.nothing())


def simple_response(
    request: AuthRequest,
    authorized: bool,
    *,
    context: Mapping[str, ContextValue | None] | None = None,
) -> dict[str, Any]:
    """HTTP API payload 2.0 simple response; context values may nest (lists, maps)."""
    response: dict[str, Any] = {"isAuthorized": authorized is True}
    if context:
        strings: list[str] = []
        checked = _context(request, context, strings, nested_ok=True, json_encode=False)
        if checked:
            response["context"] = checked
            _check_size(response, strings, request.kind)
    return response
