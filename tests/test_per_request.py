"""Per-request validators (issue 13, break 5): a verdict that depends on the method, path,
query or a time window must never be replayed by API Gateway's result cache on another request.

The HMAC signature header is the identity source the docs advise, so the cache key is the
signature: the same three headers replayed on ``DELETE /orders/7`` are a cache hit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from authorizers._internal.event_parsing import parse_event
from authorizers.authorizer import Authorizer, Decision, Outcome
from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.request import AuthRequest
from authorizers.rules import AccessRules, MethodArnOnly, allow_route
from authorizers.testing.cache_replay import CacheReplay
from authorizers.testing.events import API_ID, http_v2_event, request_event
from authorizers.testing.simulator import GatewayDecision
from authorizers.validator import AllOf, AnyOf
from authorizers.validators.hmac_signature import (
    HmacSignatureValidator,
    SignatureScheme,
    sign_request,
)

NOW = 1_767_225_600
SECRET = "per-request-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SOURCES = (
    "method.request.header.x-signature-key-id",
    "method.request.header.x-signature-timestamp",
    "method.request.header.x-signature",
)


@pytest.fixture(autouse=True)
def _secret_is_secret(register_secret: Callable[..., object]) -> None:
    register_secret(SECRET, "HMAC secret")


SCHEME = SignatureScheme(signed_query=("amount",))


def hmac_validator(clock: FakeClock) -> HmacSignatureValidator:
    return HmacSignatureValidator({"client-a": SECRET}, scheme=SCHEME, clock=clock)


class UserHeader:
    """A validator whose verdict depends on the caller only (the ``x-user`` header)."""

    name = "user_header"

    def validate(self, request: AuthRequest) -> Identity:
        user = request.header("x-user")
        if not user:
            raise Unauthorized(ReasonCode.MISSING_CREDENTIAL)
        return Identity(principal_id=user, validator=self.name)


def decide(authorizer: Authorizer, event: dict[str, Any]) -> Decision:
    return authorizer.authorize(parse_event(event))


def statements(decision: Decision) -> list[dict[str, Any]]:
    assert decision.response is not None
    found: list[dict[str, Any]] = decision.response["policyDocument"]["Statement"]
    return found


def with_path(event: dict[str, Any], path: str) -> dict[str, Any]:
    """The event as if the client had called ``path`` (the factories refuse ``?`` in paths,
    but API Gateway puts a percent-decoded ``%3F`` into the method ARN as it is)."""
    arn = event["methodArn"].rsplit("/GET/", 1)[0] + "/GET" + path
    return {**event, "methodArn": arn, "path": path}


def signed_event(route: str, *, signed_as: str | None = None, **query: str) -> dict[str, Any]:
    """A REST REQUEST event for ``route`` carrying the signature of ``signed_as`` (default:
    the same request)."""
    method, _, path = (signed_as or route).partition(" ")
    headers = sign_request(
        SECRET,
        "client-a",
        method,
        path,
        query=query,
        scheme=SCHEME,
        timestamp=NOW,
        api_id=API_ID,
        stage="prod",
    )
    return request_event(route, headers=headers, query=query)


def test_hmac_and_compositions_declare_per_request() -> None:
    clock = FakeClock(NOW)
    hmac = hmac_validator(clock)
    assert HmacSignatureValidator.per_request is True
    assert AnyOf(UserHeader(), hmac).per_request is True
    assert AllOf(hmac, UserHeader()).per_request is True
    assert AnyOf(UserHeader()).per_request is False
    assert AnyOf(AllOf(UserHeader(), hmac)).per_request is True


def test_result_ttl_above_zero_is_refused_for_a_per_request_validator() -> None:
    """The same three headers would be a cache hit on any other route, after max_skew too."""
    validator = hmac_validator(FakeClock(NOW))
    with pytest.raises(ConfigurationError, match=r"result_ttl_seconds=0"):
        Authorizer(validator)  # API Gateway's default TTL: 300
    with pytest.raises(ConfigurationError, match=r"per request"):
        Authorizer(AnyOf(validator), result_ttl_seconds=60)
    with pytest.raises(ConfigurationError):  # a per-route key does not bind path, query, time
        Authorizer(validator, result_ttl_seconds=60, cache_per_route=True)
    Authorizer(validator, result_ttl_seconds=0)


def test_a_replayed_signature_is_denied_on_another_route_even_from_the_cache() -> None:
    """Deployed with a TTL the config did not declare (template and config disagree): the
    cached Allow covers only the signed method ARN, so the replay is a cache hit and a 403."""
    clock = FakeClock(NOW)
    authorizer = Authorizer(hmac_validator(clock), result_ttl_seconds=0, observability=None)
    cache = CacheReplay(authorizer.handler, ttl_seconds=900, identity_sources=SOURCES, clock=clock)
    first = cache.request(signed_event("GET /orders/7"))
    assert first.decision is GatewayDecision.ALLOW
    for replayed in ("DELETE /orders/7", "POST /admin/refunds", "GET /orders/8"):
        step = cache.request(signed_event(replayed, signed_as="GET /orders/7"))
        assert step.cached, replayed
        assert step.status == 403, replayed
    clock.advance(600)  # after max_skew (300 s), inside the deployed TTL
    late = cache.request(signed_event("DELETE /orders/7", signed_as="GET /orders/7"))
    assert (late.cached, late.status) == (True, 403)
    # The signed request itself stays replayable until the entry expires: only TTL 0
    # (which the Authorizer demands) closes that, and the query binding with it.
    assert cache.request(signed_event("GET /orders/7")).status == 200


def test_with_ttl_zero_a_changed_query_or_a_stale_signature_is_refused() -> None:
    clock = FakeClock(NOW)
    authorizer = Authorizer(hmac_validator(clock), result_ttl_seconds=0, observability=None)
    cache = CacheReplay(authorizer.handler, ttl_seconds=0, identity_sources=SOURCES, clock=clock)
    event = signed_event("POST /admin/refunds", amount="10")
    assert cache.request(event).decision is GatewayDecision.ALLOW
    tampered = {
        **event,
        "queryStringParameters": {"amount": "1000000"},
        "multiValueQueryStringParameters": {"amount": ["1000000"]},
    }
    assert cache.request(tampered).status == 401
    clock.advance(301)
    assert cache.request(event).status == 401


def test_a_per_request_allow_is_the_called_method_arn_only() -> None:
    authorizer = Authorizer(
        hmac_validator(FakeClock(NOW)), result_ttl_seconds=0, observability=None
    )
    decision = decide(authorizer, signed_event("GET /orders/7"))
    assert decision.outcome is Outcome.ALLOW
    assert decision.request is not None
    assert [s["Resource"] for s in statements(decision)] == [[str(decision.request.arn)]]


def test_a_per_request_identity_calling_a_wildcard_path_is_refused() -> None:
    """The signature verifies (``*`` is a legal path character), but no Resource can name
    ``GET/files/*`` without allowing every file."""
    authorizer = Authorizer(
        hmac_validator(FakeClock(NOW)), result_ttl_seconds=0, observability=None
    )
    decision = decide(
        authorizer, with_path(signed_event("GET /files/*", signed_as="GET /files/*"), "/files/*")
    )
    assert (decision.outcome, decision.reason) == (Outcome.DENY, ReasonCode.FORBIDDEN)
    assert {s["Effect"] for s in statements(decision)} == {"Deny"}


def test_a_per_request_route_refusal_does_not_list_the_other_routes() -> None:
    """A RouteForbidden normally answers with the identity's full policy (cache-safe for
    tokens); for a per-request identity that policy would allow other routes on a replay."""
    rules = AccessRules(allow_route("GET", "/orders/{id}"), allow_route("GET", "/health"))
    authorizer = Authorizer(
        hmac_validator(FakeClock(NOW)), rules=rules, result_ttl_seconds=0, observability=None
    )
    decision = decide(authorizer, signed_event("DELETE /orders/7"))
    assert decision.outcome is Outcome.DENY
    effects = {s["Effect"] for s in statements(decision)}
    assert effects == {"Deny"}


@pytest.mark.parametrize("path", ["/files/*", "/files/a?b", "/files/*/x"])
def test_method_arn_only_never_renders_a_wildcard_from_the_request(path: str) -> None:
    """``MethodArnOnly`` copied the path into the Allow: ``GET/files/*`` then allowed every
    file for as long as the (per-route) cache kept it."""
    clock = FakeClock(NOW)
    authorizer = Authorizer(
        UserHeader(),
        rules=MethodArnOnly(),
        cache_per_route=True,
        observability=None,
    )
    headers = {"x-user": "alice"}
    called = with_path(
        request_event("GET /files/x", headers=headers, resource="/files/{proxy+}"), path
    )
    decision = decide(authorizer, called)
    assert decision.outcome is Outcome.DENY
    assert decision.reason is ReasonCode.FORBIDDEN
    resources = [r for s in statements(decision) for r in s["Resource"]]
    assert all(r.endswith("/*") and "/files/" not in r for r in resources)
    sources = ("method.request.header.x-user", "context.resourcePath")
    cache = CacheReplay(authorizer.handler, identity_sources=sources, clock=clock)
    cache.request(called)
    after = cache.request(
        request_event("GET /files/x", headers=headers, resource="/files/{proxy+}")
    )
    assert after.status == 403


def test_method_arn_only_still_allows_an_ordinary_path() -> None:
    authorizer = Authorizer(
        UserHeader(),
        rules=MethodArnOnly(),
        result_ttl_seconds=0,
        observability=None,
    )
    event = http_v2_event("GET /files/report.pdf", headers={"x-user": "alice"})
    decision = decide(authorizer, event)
    assert decision.outcome is Outcome.ALLOW
    assert decision.request is not None
    (allow,) = statements(decision)
    assert allow["Resource"] == [str(decision.request.arn)]
