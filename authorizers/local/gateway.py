"""The local API gateway: one HTTP request in, API Gateway's answer out.

Per request: find the API and route (REST: 403 "Missing Authentication Token" when none;
HTTP API: 404), run the route's Lambda authorizer through the result cache and the policy
simulator (401 / 403 / 500 with API Gateway's bodies, contract reference §3, §5), check a
required API key, invoke the integration with the proxy event carrying what the authorizer
passed on, and return its response (REST: 502 for a malformed one). Every request leaves one
:class:`RequestRecord` - route, decision, reason, cache hit, latency - never a credential.
"""

from __future__ import annotations

import collections
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from authorizers.clock import Clock, MonotonicClock, monotonic_clock, system_clock
from authorizers.errors import AuthorizerError
from authorizers.local import lambda_events
from authorizers.local.authorization import Authorization, AuthorizerStage
from authorizers.local.functions import FunctionRunner, Output
from authorizers.local.gateway_responses import customize
from authorizers.local.http import HttpRequest, HttpResponse
from authorizers.local.integration import MalformedProxyResponse, proxy_response
from authorizers.local.managed import ManagedAuthorizer, ManagedOutcome, managed_authorizers
from authorizers.local.model import ApiSpec, ApiType, LocalTemplate
from authorizers.local.routing import Mounts, Routed, api_routers
from authorizers.testing.simulator import GatewayDecision


@dataclass(frozen=True, slots=True)
class GatewayResponses:
    """The bodies API Gateway answers with, as sent (JSON text). Configurable: several are
    UNVERIFIED (docs/local-gateway.md), and an API may customise its gateway responses."""

    unauthorized: str = '{"message":"Unauthorized"}'
    explicit_deny: str = (
        '{"Message":"User is not authorized to access this resource with an explicit deny"}'
    )
    implicit_deny: str = '{"Message":"User is not authorized to access this resource"}'
    forbidden: str = '{"message":"Forbidden"}'
    authorizer_error: str = '{"message":null}'
    internal_error: str = '{"message":"Internal Server Error"}'
    bad_gateway: str = '{"message": "Internal server error"}'
    missing_route: str = '{"message":"Missing Authentication Token"}'
    not_found: str = '{"message":"Not Found"}'
    upgrade_required: str = '{"message":"Upgrade Required"}'
    uri_too_long: str = '{"message":"Request-URI Too Long"}'  # body UNVERIFIED; 414 documented


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the gateway's log line tells it. ``cache`` is ``hit``, ``miss`` or
    ``-`` (no authorizer, or not invoked)."""

    request_id: str
    method: str
    path: str
    status: int
    decision: str
    reason: str
    api: str | None = None
    route: str | None = None
    authorizer: str | None = None
    cache: str = "-"
    principal: str | None = None
    latency_ms: float = 0.0

    def line(self) -> str:
        route = f"{self.api} {self.route}" if self.route else self.api or "-"
        return (
            f"{self.method} {self.path} -> {self.status} route={route!r} "
            f"authorizer={self.authorizer or '-'} decision={self.decision} "
            f"reason={self.reason!r} cache={self.cache} principal={self.principal or '-'} "
            f"latency={self.latency_ms:.1f}ms"
        )


class LocalGateway:
    """Serves a :class:`LocalTemplate`: ``handle(request) -> response``; thread-safe.

    ``clock`` (monotonic) ages cached authorizer results, ``wall_clock`` stamps events;
    ``on_record`` receives every :class:`RequestRecord`; ``output`` every line a function
    prints. The last records are kept in :attr:`records`. ``jwks_overrides`` maps a managed
    authorizer's issuer (or Cognito pool id) to the loopback JWKS URL standing in for it.
    """

    def __init__(
        self,
        template: LocalTemplate,
        *,
        clock: MonotonicClock = monotonic_clock,
        wall_clock: Clock = system_clock,
        responses: GatewayResponses | None = None,
        on_record: Callable[[RequestRecord], None] | None = None,
        output: Output | None = None,
        jwks_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.runner = FunctionRunner(template.functions, output=output)
        self.responses = responses or GatewayResponses()
        self.on_record = on_record
        self.wall_clock = wall_clock
        self.mounts = Mounts(api_routers(template))
        self.stages = {
            key: AuthorizerStage(spec, self.runner, clock=clock)
            for key, spec in template.authorizers.items()
            if spec.unsupported is None and spec.managed is None
        }
        self.managed = managed_authorizers(template, jwks_overrides, wall_clock)
        self.records: collections.deque[RequestRecord] = collections.deque(maxlen=1000)

    def record_for(self, request_id: str) -> RequestRecord | None:
        return next((r for r in reversed(self.records) if r.request_id == request_id), None)

    def handle(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        response, note = self._handle(request, request_id)
        return self.finish(request, request_id, started, response, note)

    def finish(
        self,
        request: HttpRequest,
        request_id: str,
        started: float,
        response: HttpResponse,
        note: Mapping[str, Any],
    ) -> HttpResponse:
        """Record the request (``note``: the record's other fields) and add the request-id
        header API Gateway sends."""
        record = RequestRecord(
            request_id,
            request.method,
            request.path,
            response.status,
            **note,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)
        api = record.api
        http = api is not None and self.template.apis[api].api_type is ApiType.HTTP
        header = ("apigw-requestid" if http else "x-amzn-RequestId", request_id)
        return HttpResponse(response.status, (*response.headers, header), response.body)

    # -- the flow ---------------------------------------------------------------------------

    def _handle(self, request: HttpRequest, request_id: str) -> tuple[HttpResponse, dict[str, Any]]:
        target = self.mounts.resolve(request.path)
        if target is None:
            prefixes = ", ".join(self.mounts.prefix(api) for api in self.mounts.routers)
            reason = f"no API at this path (APIs: {prefixes})"
            return HttpResponse.json(404, self.responses.not_found), {
                "decision": "no_route",
                "reason": reason,
            }
        api = target.router.api
        note: dict[str, Any] = {"api": api.logical_id}
        if api.api_type is ApiType.WEBSOCKET:
            note |= {"decision": "no_route", "reason": "a WebSocket API: connect with ws://"}
            return HttpResponse.json(426, self.responses.upgrade_required), note
        route = target.router.match(request.method, target.path)
        if route is None:
            note |= {"decision": "no_route", "reason": "no route matches"}
            if api.api_type is ApiType.REST:
                return HttpResponse.json(403, self.responses.missing_route), note
            return HttpResponse.json(404, self.responses.not_found), note
        routed = Routed(request, target.path, route, api, request_id)
        authorization, refusal = self.authorize(routed, note)
        if refusal is None:
            refusal = self._check_api_key(routed, authorization, note)
        if refusal is not None:
            return refusal, note
        return self._integrate(routed, authorization, note), note

    def authorize(
        self, routed: Routed, note: dict[str, Any]
    ) -> tuple[Authorization | ManagedOutcome | None, HttpResponse | None]:
        """Run the route's authorizer: the authorization, or the refusal to send instead.
        Fills ``note`` (the record's fields)."""
        api = routed.api
        note["route"] = routed.route.route_key
        spec = self.template.authorizer_of(routed.route)
        if spec is None:
            note |= {"decision": "open", "reason": "no authorizer on this route"}
            return None, None
        note["authorizer"] = spec.name
        managed = self.managed.get((spec.api_id, spec.name))
        if managed is not None:
            return self._managed(routed, managed, note)
        stage = self.stages.get((spec.api_id, spec.name))
        if stage is None:
            note |= {"decision": GatewayDecision.INVALID.value, "reason": str(spec.unsupported)}
            return None, self._refusal(api, GatewayDecision.INVALID)
        try:
            event = lambda_events.authorizer_event(routed, spec, now=self.wall_clock())
            authorization = stage.authorize(event)
        except (AuthorizerError, ValueError) as error:  # no event API Gateway could send
            note |= {"decision": GatewayDecision.INVALID.value, "reason": f"bad request: {error}"}
            return None, self._refusal(api, GatewayDecision.INVALID)
        result = authorization.result
        note |= {
            "decision": result.decision.value,
            "reason": authorization.reason,
            "cache": "hit" if authorization.cached else "miss" if authorization.invoked else "-",
            "principal": result.principal_id,
        }
        if result.allowed:
            return authorization, None
        return authorization, self._refusal(api, result.decision)

    def _managed(
        self, routed: Routed, managed: ManagedAuthorizer | str, note: dict[str, Any]
    ) -> tuple[ManagedOutcome | None, HttpResponse | None]:
        """A JWT or Cognito authorizer API Gateway runs itself (no function, no policy)."""
        if isinstance(managed, str):  # its configuration cannot work: fail closed
            note |= {"decision": GatewayDecision.INVALID.value, "reason": managed}
            return None, self._refusal(routed.api, GatewayDecision.INVALID)
        value = routed.request.header(managed.config.header)
        outcome = managed.evaluate(value, routed.route.scopes)
        decision = {200: GatewayDecision.ALLOW, 401: GatewayDecision.UNAUTHORIZED}.get(
            outcome.status,
            GatewayDecision.IMPLICIT_DENY if outcome.status == 403 else GatewayDecision.INVALID,
        )
        note |= {"decision": decision.value, "reason": outcome.reason}
        note["principal"] = outcome.principal
        if outcome.allowed:
            return outcome, None
        if outcome.status == 403:  # "Forbidden", as a REST API's ACCESS_DENIED may change it
            forbidden = HttpResponse.json(403, self.responses.forbidden)
            return outcome, customize(routed.api.gateway_responses, decision, forbidden)
        refusal = self._refusal(routed.api, decision)
        if outcome.status == 401 and routed.api.api_type is ApiType.HTTP:  # contract §9
            challenge = 'Bearer scope="" error="invalid_token" error_description="invalid token"'
            refusal = HttpResponse(
                401, (*refusal.headers, ("www-authenticate", challenge)), refusal.body
            )
        return outcome, refusal

    @staticmethod
    def passed_context(
        api: ApiSpec, authorization: Authorization | ManagedOutcome | None
    ) -> dict[str, Any] | None:
        """``requestContext.authorizer`` of the integration event (``None``: open route)."""
        if isinstance(authorization, ManagedOutcome):
            return authorization.integration_context()
        if authorization is None:
            return None
        return lambda_events.passed_context(api, authorization.result, authorization.latency_ms)

    def _refusal(self, api: ApiSpec, decision: GatewayDecision) -> HttpResponse:
        """API Gateway's answer, as the API's gateway responses change it."""
        return customize(api.gateway_responses, decision, self._default_refusal(api, decision))

    def _default_refusal(self, api: ApiSpec, decision: GatewayDecision) -> HttpResponse:
        bodies = self.responses
        http = api.api_type is ApiType.HTTP
        if decision is GatewayDecision.UNAUTHORIZED:
            return HttpResponse.json(401, bodies.unauthorized)
        if decision is GatewayDecision.EXPLICIT_DENY:
            return HttpResponse.json(403, bodies.forbidden if http else bodies.explicit_deny)
        if decision is GatewayDecision.IMPLICIT_DENY:
            return HttpResponse.json(403, bodies.forbidden if http else bodies.implicit_deny)
        if decision is GatewayDecision.URI_TOO_LONG:
            return HttpResponse.json(414, bodies.uri_too_long)
        return HttpResponse.json(500, bodies.internal_error if http else bodies.authorizer_error)

    def _check_api_key(
        self,
        routed: Routed,
        authorization: Authorization | ManagedOutcome | None,
        note: dict[str, Any],
    ) -> HttpResponse | None:
        """``ApiKeyRequired``: a key must come from the authorizer (``usageIdentifierKey``,
        API key source ``AUTHORIZER``) or the ``x-api-key`` header. Whether it belongs to a
        usage plan is not known locally."""
        api = routed.api
        if not routed.route.api_key_required or api.api_type is not ApiType.REST:
            return None
        if api.api_key_source == "AUTHORIZER":
            key = authorization.usage_identifier_key if authorization else None
            missing = "the authorizer returned no usageIdentifierKey" if key is None else None
        else:
            missing = None if routed.request.header("x-api-key") else "no x-api-key header"
        if missing is None:
            return None
        note |= {"decision": "api_key_required", "reason": missing}
        return HttpResponse.json(403, self.responses.forbidden)

    def _integrate(
        self,
        routed: Routed,
        authorization: Authorization | ManagedOutcome | None,
        note: dict[str, Any],
    ) -> HttpResponse:
        api, route = routed.api, routed.route
        http = api.api_type is ApiType.HTTP
        failure = self.responses.internal_error if http else self.responses.bad_gateway
        failure_status = 500 if http else 502
        if route.function_id is None:
            note["reason"] = "no function behind this route"
            return HttpResponse.json(500, self.responses.internal_error)
        passed = self.passed_context(api, authorization)
        event = lambda_events.integration_event(
            routed,
            authorizer=passed,
            api_key=authorization.usage_identifier_key if authorization else None,
            now=self.wall_clock(),
        )
        invocation = self.runner.invoke(route.function_id, event)
        if invocation.error is not None:
            note["reason"] = f"integration failed: {type(invocation.error).__name__}"
            return HttpResponse.json(failure_status, failure)
        try:
            return proxy_response(invocation.value, payload_version=route.payload_version)
        except MalformedProxyResponse as error:
            note["reason"] = f"malformed integration response: {error}"
            return HttpResponse.json(failure_status, failure)
