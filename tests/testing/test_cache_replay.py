"""Result-cache replay: the rules of contract reference §4.5 (REST) and §5 (HTTP API)."""

from __future__ import annotations

from typing import Any

import pytest

from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError
from authorizers.testing.cache_replay import CacheReplay, replay
from authorizers.testing.events import (
    http_v2_event,
    request_event,
    token_event,
    websocket_connect_event,
)
from authorizers.testing.simulator import GatewayDecision

GOOD = "Bearer good-token"


class CountingHandler:
    """An authorizer that allows ``GOOD``: for the called method only, or for the whole API."""

    def __init__(self, *, whole_api: bool = False, simple: bool = False) -> None:
        self.whole_api, self.simple, self.calls = whole_api, simple, 0

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.calls += 1
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        token = event.get("authorizationToken") or headers.get("authorization")
        if token != GOOD:
            if token == "Bearer crash":
                raise RuntimeError("backend down")
            raise Exception("Unauthorized")
        if self.simple:
            return {"isAuthorized": True}
        arn = event.get("methodArn") or event["routeArn"]
        resource = arn.split("/", 2)[0] + "/" + arn.split("/")[1] + "/*" if self.whole_api else arn
        return {
            "principalId": "user-1",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}
                ],
            },
        }


def test_method_scoped_policy_pitfall_is_a_403_on_the_second_route() -> None:
    """§4.5: "the authorizer returns `Allow` for only `event.methodArn`. A second call with the
    same token to another method or path, inside the TTL, gets **403** from the cached policy"."""
    handler = CountingHandler()
    first, second = replay(
        handler,
        [token_event("GET /pets/1", GOOD), token_event("GET /pets/2", GOOD)],
        clock=FakeClock(),
    )
    assert (first.invoked, first.cached, first.decision) == (True, False, GatewayDecision.ALLOW)
    assert (second.invoked, second.cached) == (False, True)
    assert (second.decision, second.status) == (GatewayDecision.IMPLICIT_DENY, 403)
    assert handler.calls == 1
    assert first.cache_key == second.cache_key


def test_a_policy_for_the_whole_api_survives_the_cache() -> None:
    """§4.5: "return a policy that covers every method the caller may use (wildcards)"."""
    handler = CountingHandler(whole_api=True)
    steps = replay(handler, [token_event(r, GOOD) for r in ("GET /pets/1", "POST /pets", "GET /")])
    assert [s.status for s in steps] == [200, 200, 200]
    assert [s.cached for s in steps] == [False, True, True]
    assert handler.calls == 1


def test_ttl_expiry_and_ttl_zero() -> None:
    """§4.5: "TTL ... `0` disables caching"; "On a hit the Lambda is **not invoked**"."""
    clock, handler = FakeClock(), CountingHandler()
    cache = CacheReplay(handler, ttl_seconds=300, clock=clock)
    assert cache.request(token_event("GET /a", GOOD)).invoked
    clock.advance(299)
    assert cache.request(token_event("GET /a", GOOD)).cached
    clock.advance(1)  # 300 s after the entry was stored: expired
    step = cache.request(token_event("GET /b", GOOD))
    assert (step.invoked, step.status) == (True, 200)
    uncached = replay(CountingHandler(), [token_event("GET /a", GOOD)] * 3, ttl_seconds=0)
    assert [s.invoked for s in uncached] == [True, True, True]


def test_each_token_has_its_own_entry_and_keys_are_not_the_token() -> None:
    """§4.5: "Cache key: TOKEN: the token header value"."""
    handler = CountingHandler(whole_api=True)
    steps = replay(
        handler,
        [
            token_event("GET /a", GOOD),
            token_event("GET /a", "Bearer other"),
            token_event("GET /a", GOOD),
        ],
    )
    assert [s.status for s in steps] == [200, 401, 200]
    assert steps[0].cache_key != steps[1].cache_key
    assert "good-token" not in f"{steps[0]} {steps[0].cache_key}"


def test_missing_or_empty_token_is_401_without_invoking() -> None:
    """§1: "if the token header is missing, null, or empty, or fails the optional
    `identityValidationExpression` regex, API Gateway answers **401** and does **not** invoke
    the function"."""
    handler = CountingHandler()
    steps = replay(
        handler,
        [
            token_event("GET /a", ""),
            token_event("GET /a", GOOD, authorizationToken=None),
            token_event("GET /a", "Basic abc"),
        ],
        validation_expression=r"Bearer [\w.-]+",
    )
    assert [(s.status, s.invoked) for s in steps] == [(401, False)] * 3
    assert handler.calls == 0
    assert "401 without invoking" in steps[0].result.reasons[0]


def test_denies_are_cached_errors_are_not_unless_asked() -> None:
    """§4.5: "Deny results are cached like Allow results"; "whether 401/500 outcomes are
    cached" is UNVERIFIED (default: not cached)."""
    deny_all = lambda event, context: {  # noqa: E731
        "principalId": "u",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}]},
    }  # fmt: skip
    steps = replay(deny_all, [token_event("GET /a", GOOD)] * 2)
    denied = GatewayDecision.EXPLICIT_DENY
    assert [(s.decision, s.cached) for s in steps] == [(denied, False), (denied, True)]
    handler = CountingHandler()
    events = [token_event("GET /a", "Bearer crash")] * 2 + [token_event("GET /a", "Bearer x")] * 2
    assert [s.status for s in replay(handler, events)] == [500, 500, 401, 401]
    assert handler.calls == 4
    handler = CountingHandler()
    assert [s.cached for s in replay(handler, events, cache_errors=True)] == [
        False,
        True,
        False,
        True,
    ]


def test_request_authorizer_identity_sources() -> None:
    """§2: "If any configured source is missing, null, or empty, the answer is **401 without
    invoking** the function. All configured sources together form the cache key; changing any
    of them misses the cache"."""
    handler = CountingHandler(whole_api=True)
    cache = CacheReplay(
        handler,
        identity_sources=[
            "method.request.header.Authorization",
            "method.request.querystring.tenant",
        ],
    )
    ok = cache.request(
        request_event("GET /a", headers={"authorization": GOOD}, query={"tenant": "t1"})
    )
    hit = cache.request(
        request_event("GET /b", headers={"AUTHORIZATION": GOOD}, query={"tenant": "t1"})
    )
    other = cache.request(
        request_event("GET /b", headers={"Authorization": GOOD}, query={"tenant": "t2"})
    )
    missing = cache.request(request_event("GET /b", headers={"Authorization": GOOD}))
    assert [(s.invoked, s.cached, s.status) for s in (ok, hit, other, missing)] == [
        (True, False, 200),
        (False, True, 200),
        (True, False, 200),
        (False, False, 401),
    ]
    assert "'method.request.querystring.tenant'" in missing.result.reasons[0]


def test_context_identity_sources_make_the_cache_per_route() -> None:
    """§5: "By default a cached result is reused for **all routes** ... add `$context.routeKey`
    to the identity sources to cache per route"."""
    handler = CountingHandler()
    headers = {"authorization": GOOD}
    routes = [
        http_v2_event("GET /pets/1", headers=headers),
        http_v2_event("GET /pets/2", headers=headers),
    ]
    shared = replay(handler, routes, identity_sources=["$request.header.Authorization"])
    assert [s.status for s in shared] == [200, 403]  # the pitfall, HTTP API flavour
    per_route = replay(
        CountingHandler(),
        routes,
        identity_sources=["$request.header.Authorization", "$context.routeKey"],
    )
    assert [(s.invoked, s.status) for s in per_route] == [(True, 200), (True, 200)]


def test_rest_context_sources_and_stage_variables() -> None:
    """§2: identity sources may be `stageVariables.X` and `context.X` (§4.5: e.g.
    `context.httpMethod`, `context.resourcePath` for per-route keys)."""
    sources = ["method.request.header.Authorization", "context.httpMethod", "stageVariables.env"]
    events = [
        request_event("GET /a", headers={"Authorization": GOOD}, stage_variables={"env": "x"}),
        request_event("POST /a", headers={"Authorization": GOOD}, stage_variables={"env": "x"}),
        request_event("GET /a", headers={"Authorization": GOOD}),
    ]
    steps = replay(CountingHandler(), events, identity_sources=sources)
    assert [(s.invoked, s.status) for s in steps] == [(True, 200), (True, 200), (False, 401)]


def test_simple_responses_are_all_or_nothing_for_every_route() -> None:
    """§5: "With simple responses a cached result allows or denies every matching request"."""
    headers = {"authorization": GOOD}
    events = [
        http_v2_event("GET /a", headers=headers),
        http_v2_event("DELETE /admin", headers=headers),
    ]
    steps = replay(
        CountingHandler(simple=True), events, identity_sources=["$request.header.Authorization"]
    )
    assert [(s.cached, s.decision) for s in steps] == [
        (False, GatewayDecision.ALLOW),
        (True, GatewayDecision.ALLOW),
    ]


def test_websocket_query_string_source() -> None:
    """§6: identity sources `route.request.querystring.<X>`; a missing source gives 401."""
    handler = CountingHandler()
    with_token = websocket_connect_event(query={"token": "abc"})
    steps = replay(
        handler,
        [with_token, websocket_connect_event()],
        identity_sources=["route.request.querystring.token"],
    )
    assert [(s.invoked, s.status) for s in steps] == [(True, 401), (False, 401)]
    assert steps[0].result.arn.endswith("/prod/$connect")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ttl_seconds": 3601}, "TTL must be 0..3600"),
        ({"ttl_seconds": -1}, "TTL must be 0..3600"),
        ({"identity_sources": ["header.Authorization"]}, "not an identity source expression"),
        ({"identity_sources": ["method.request.header."]}, "not an identity source expression"),
    ],
)
def test_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CacheReplay(CountingHandler(), **options)


def test_request_events_need_sources_when_cached() -> None:
    """§10.2: SAM "rejects a REQUEST authorizer with no identity entries unless
    `ReauthorizeEvery` resolves to 0"."""
    event = request_event("GET /a", headers={"Authorization": GOOD})
    with pytest.raises(ConfigurationError, match="need identity sources"):
        CacheReplay(CountingHandler()).request(event)
    assert CacheReplay(CountingHandler(), ttl_seconds=0).request(event).invoked


def test_unauthorized_without_invoking_names_the_api_kind() -> None:
    step = CacheReplay(
        CountingHandler(), identity_sources=["$request.header.Authorization"]
    ).request(http_v2_event("GET /a", identity_sources=[]))
    assert (step.invoked, step.status, step.result.api_kind.value) == (False, 401, "http_iam")
    assert str(step).endswith("/$default/GET/a: not invoked -> unauthorized 401")


# --- limits and faults before the function runs ---------------------------------------------

ARN_PREFIX_BYTES = len(token_event("GET /", GOOD)["methodArn"].encode())


def long_path(arn_bytes: int) -> str:
    """A path giving a TOKEN event's method ARN exactly ``arn_bytes`` bytes."""
    return "/" + "p" * (arn_bytes - ARN_PREFIX_BYTES)


def test_a_method_arn_over_1600_bytes_is_414_without_invoking_even_when_cached() -> None:
    """AGW/limits (contract §1): "the maximum length of the method's ARN ... is 1,600 bytes";
    a longer one gets "414 Request URI too long" (path parameter values count)."""
    handler = CountingHandler(whole_api=True)
    cache = CacheReplay(handler, clock=FakeClock())
    at_limit = cache.request(token_event(f"GET {long_path(1600)}", GOOD))
    assert (at_limit.status, at_limit.invoked) == (200, True)
    over = cache.request(token_event(f"GET {long_path(1601)}", GOOD))  # the token is cached
    assert (over.status, over.decision) == (414, GatewayDecision.URI_TOO_LONG)
    assert (over.invoked, over.cached, over.cache_key) == (False, False, None)
    assert "1601 bytes" in over.result.reasons[0]
    event = http_v2_event(f"GET /{'é' * 800}", headers={"authorization": GOOD})
    step = CacheReplay(handler, identity_sources=("$request.header.Authorization",)).request(event)
    assert (step.status, step.result.api_kind.value) == (414, "http_iam")  # 2 bytes per é
    assert handler.calls == 1


def test_the_simulator_answers_414_for_an_over_long_arn_too() -> None:
    from authorizers.testing.simulator import simulate  # noqa: PLC0415

    whole_api = CountingHandler(whole_api=True)(token_event("GET /", GOOD), None)
    assert simulate(whole_api, f"GET {long_path(1601)}").status == 414
    assert simulate(whole_api, f"GET {long_path(1600)}").status == 200


def test_a_gateway_that_cannot_invoke_the_function_answers_500_and_cached_entries_still_work() -> (
    None
):
    """§3/§5: "API Gateway lacks permission to invoke the function | 500"; a hit never invokes,
    so an entry cached before the fault keeps answering until it expires."""
    clock, handler = FakeClock(), CountingHandler(whole_api=True)
    cache = CacheReplay(handler, ttl_seconds=300, clock=clock, invokable=False)
    refused = cache.request(token_event("GET /a", GOOD))
    assert (refused.status, refused.decision, refused.invoked) == (
        500,
        GatewayDecision.INVALID,
        False,
    )
    assert "could not invoke" in refused.result.reasons[0]
    assert cache.request(token_event("GET /a", "")).status == 401  # still before invoking
    cache.invokable = True
    assert cache.request(token_event("GET /a", GOOD)).status == 200
    cache.invokable = False
    hit = cache.request(token_event("GET /b", GOOD))
    assert (hit.status, hit.cached) == (200, True)
    clock.advance(300)
    assert cache.request(token_event("GET /b", GOOD)).status == 500
    assert handler.calls == 1 and cache.invocations == 1
