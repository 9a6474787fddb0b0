"""Hypothesis strategies for the property tests: events of every kind with a credential (or
junk) placed somewhere, then damaged - fields removed, replaced by arbitrary JSON, ARNs made
up, header maps polluted - and identities with arbitrary context for response rendering.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from authorizers.testing import events

KINDS = ("rest_token", "rest_request", "http_v1", "http_v2", "websocket")
#: Fields the event parser reads, at the top level and in requestContext.
EVENT_FIELDS = (  # noqa: SIM905 - a word list
    "type version methodArn routeArn routeKey authorizationToken identitySource headers "
    "multiValueHeaders queryStringParameters multiValueQueryStringParameters rawQueryString "
    "rawPath path resource httpMethod pathParameters stageVariables cookies requestContext"
).split()
CONTEXT_FIELDS = ("http", "identity", "routeKey", "requestId", "stage", "authentication")

#: Text from a small alphabet with the characters that matter (separators, escapes, control
#: and non-ASCII characters): far cheaper to generate than arbitrary Unicode, so the ~2,000
#: examples per property fit the suite's time budget.
ALPHABET = "aZ09-_.~ ,;:=/+%*?$#&@\"'{}[]<>\x00\t\r\n\u00e9\u20ac\u202e\U0001f600"
texts = st.text(alphabet=ALPHABET, max_size=16)
#: Every JSON type, including values no event field may hold (NaN, nesting).
json_values = (
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            2**63,
            1.5,
            float("nan"),
            float("inf"),
            "",
            [],
            {},
            ["a", 1],
            {"a": {"b": [None]}},
            [[["deep"]]],
        ]
    )
    | texts
)
header_names = st.sampled_from(
    [
        "Authorization",
        "authorization",
        "AUTHORIZATION",
        "x-api-key",
        "X-Api-Key",
        "Cookie",
        "Host",
        "x",
    ]
)
header_values = texts
#: Name/value pairs as lists (cheaper to draw than dictionaries with unique keys).
header_maps = st.lists(st.tuples(header_names, header_values), max_size=3).map(dict)
query_maps = st.lists(
    st.tuples(st.sampled_from(["token", "api_key", "x-api-key", "a", ""]), texts), max_size=2
).map(dict)
_SEGMENT = st.sampled_from(["pets", "1", "%2F", "a*b", "$connect", "..", "", "\u00e9"])
routes = st.builds(
    lambda verb, segments: f"{verb} /{'/'.join(segments)}",
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    st.lists(_SEGMENT, max_size=3),
)
arns = (
    st.builds(
        "arn:{}:execute-api:{}:{}:{}/{}/{}".format,
        st.sampled_from(["aws", "aws-cn", "aws-us-gov", "", "aws "]),
        st.sampled_from(["us-east-1", "eu-west-3", "*", "", "us-east-1\n"]),
        st.sampled_from(["123456789012", "*", "1234", ""]),
        st.text(alphabet="abcdefghij0123456789*", max_size=10),
        _SEGMENT,
        texts,
    )
    | texts
)


@st.composite
def credentials(
    draw: st.DrawFn, valid: Mapping[str, str], near_misses: st.SearchStrategy[str]
) -> tuple[str, str | None]:
    """``(name, value)``: a valid credential by name, a near miss (a mutated valid token),
    junk text, or nothing."""
    name = draw(st.sampled_from([*valid, "near-miss", "junk", "none"]))
    if name == "none":
        return name, None
    if name == "junk":
        return name, draw(texts)
    if name == "near-miss":
        return name, draw(near_misses)
    return name, valid[name]


def _place(
    value: str | None, where: str, headers: dict[str, Any], query: dict[str, Any]
) -> str | None:
    """Put the credential in a header or the query; the TOKEN event's token is returned."""
    if value is None:
        return None
    if where == "bearer":
        headers["Authorization"] = f"Bearer {value}"
    elif where == "authorization":
        headers["Authorization"] = value
    elif where == "api-key-header":
        headers["x-api-key"] = value
    elif where == "query":
        query["token"] = value
    else:
        headers["X-Other"] = value
    return f"Bearer {value}" if where == "bearer" else value


def build_event(
    kind: str, route: str, token: str | None, headers: dict[str, Any], query: dict[str, Any]
) -> dict[str, Any]:
    if kind == "rest_token":
        return events.token_event(route, token if token is not None else "")
    if kind == "websocket":
        return events.websocket_connect_event(headers=headers, query=query)
    build: Callable[..., dict[str, Any]] = {
        "rest_request": events.request_event,
        "http_v1": events.http_v1_event,
        "http_v2": events.http_v2_event,
    }[kind]
    if kind == "rest_request":
        return build(route, headers=headers, query=query)
    try:
        return build(route, headers=headers, query=query)
    except ValueError:  # an empty Authorization header: build the event without a source
        return build(route, headers=headers, query=query, identity_sources=[])


@st.composite
def damaged(draw: st.DrawFn, event: dict[str, Any]) -> dict[str, Any]:
    """The event after zero to three kinds of damage."""
    event = copy.deepcopy(event)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "replace", "arn", "context", "header"]))
        if action == "drop" and event:
            event.pop(draw(st.sampled_from(sorted(event))), None)
        elif action == "replace":
            event[draw(st.sampled_from(EVENT_FIELDS))] = draw(json_values)
        elif action == "arn":
            event[draw(st.sampled_from(["methodArn", "routeArn"]))] = draw(arns)
        elif action == "context" and isinstance(event.get("requestContext"), dict):
            event["requestContext"][draw(st.sampled_from(CONTEXT_FIELDS))] = draw(json_values)
        elif action == "header":
            target = draw(st.sampled_from(["headers", "multiValueHeaders"]))
            if isinstance(event.get(target), dict):
                event[target][draw(header_names)] = draw(json_values | header_values)
    return event


@st.composite
def fuzzed_events(
    draw: st.DrawFn, valid: Mapping[str, str], near_misses: st.SearchStrategy[str]
) -> tuple[dict[str, Any], str]:
    """``(event, credential name)``: a random event carrying a credential (or none)."""
    name, value = draw(credentials(valid, near_misses))
    headers = draw(header_maps)
    query = draw(query_maps)
    where = draw(st.sampled_from(["bearer", "authorization", "api-key-header", "query", "other"]))
    token = _place(value, where, headers, query)
    event = build_event(draw(st.sampled_from(KINDS)), draw(routes), token, headers, query)
    return draw(damaged(event)), name


context_values = (
    st.sampled_from([None, True, 0, -(2**53), 1.5, float("nan"), float("-inf"), "x" * 600])
    | texts
    | st.lists(json_values, max_size=3)
    | st.dictionaries(texts, json_values, max_size=3)
)
contexts = st.dictionaries(texts, context_values, max_size=6)
#: Mostly ordinary principals, sometimes one too long for any response (8 KB).
principals = st.text(alphabet=ALPHABET, min_size=1, max_size=40) | st.builds(
    lambda char, count: char * count, st.sampled_from(ALPHABET), st.integers(2_000, 9_000)
)
