"""Replay requests through API Gateway's authorizer result cache (contract reference §4.5, §5).

The classic production surprise - a policy that allows only the called method, cached and
then evaluated against the *next* method - never shows in a unit test that calls the handler
once. Replaying a sequence with the cache's rules makes it show: the second route gets 403.

Rules modelled: a method ARN over 1600 bytes is 414 before anything else (AGW/limits); the
cache key is the identity-source values (the token for TOKEN authorizers); a missing or empty
source is 401 without invoking the function; a hit skips the function and evaluates the cached
response against the new request; TTL 0 disables caching, 3600 is the maximum. Errors are not
cached unless ``cache_errors`` (UNVERIFIED). A gateway that cannot invoke the function
(``invokable=False``: no permission, throttled, deleted) answers 500 on a miss, while cached
entries keep answering.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.errors import ConfigurationError
from authorizers.request import AuthRequest, RequestKind
from authorizers.testing._identity_sources import dotted, parse_source
from authorizers.testing.simulator import (
    ApiKind,
    GatewayDecision,
    Result,
    infer_api_kind,
    simulate,
    uri_too_long,
)

Handler = Callable[[Mapping[str, Any], Any], Any]
MAX_TTL_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One replayed request: did the function run, was the cache used, what did the caller get.

    ``cache_key`` is a short hash of the identity-source values (never the values: they are
    credentials), so two outcomes with the same key shared a cache entry. ``response`` is
    the authorizer response evaluated (fresh or cached; the exception it raised; ``None``
    when it was not invoked).
    """

    index: int
    invoked: bool
    cached: bool
    cache_key: str | None
    result: Result
    response: Any = field(default=None, repr=False)  # may carry usageIdentifierKey

    @property
    def decision(self) -> GatewayDecision:
        return self.result.decision

    @property
    def status(self) -> int:
        return self.result.status

    def __str__(self) -> str:
        source = "cache hit" if self.cached else "invoked" if self.invoked else "not invoked"
        return f"#{self.index} {self.result.arn}: {source} -> {self.decision.value} {self.status}"


def _source(expression: str) -> tuple[str, str]:
    parsed = parse_source(expression)
    if parsed is None:
        raise ConfigurationError(f"not an identity source expression: {expression!r}")
    return parsed


def _context_value(event: Mapping[str, Any], path: str) -> str | None:
    """``$context.a.b`` from ``requestContext`` (or the event's top level, e.g. ``routeKey``)."""
    for root in (event.get("requestContext") or {}, event):
        value = dotted(root, path)
        if value is not None:
            return str(value)
    return None


class CacheReplay:
    """An authorizer behind API Gateway's result cache; call :meth:`request` per event.

    ``identity_sources`` are the expressions configured on the authorizer
    (``method.request.header.Authorization``, ``$request.header.Authorization``,
    ``$context.routeKey``...); TOKEN events always use their token. ``clock`` is monotonic
    seconds: advance a :class:`~authorizers.clock.FakeClock` to expire entries.
    ``invokable`` (an attribute, so a test may flip it mid-sequence) says whether API Gateway
    can invoke the function at all.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        ttl_seconds: float = 300,
        identity_sources: Sequence[str] = (),
        validation_expression: str | None = None,
        cache_errors: bool = False,
        api_kind: ApiKind | str | None = None,
        clock: MonotonicClock = monotonic_clock,
        lambda_context: Any = None,
        invokable: bool = True,
    ) -> None:
        if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise ConfigurationError(f"TTL must be 0..{MAX_TTL_SECONDS} seconds")
        self.handler = handler
        self.ttl_seconds = ttl_seconds
        self.sources = [(expression, *_source(expression)) for expression in identity_sources]
        self.validation = re.compile(validation_expression) if validation_expression else None
        self.cache_errors = cache_errors
        self.api_kind = api_kind
        self.clock = clock
        self.lambda_context = lambda_context
        self.invokable = invokable
        self.invocations = 0
        self._entries: dict[str, tuple[float, Any]] = {}
        self._count = 0

    def clear(self) -> None:
        self._entries.clear()

    def request(self, event: Mapping[str, Any]) -> ReplayStep:
        """Send one event through the cache, as API Gateway would."""
        from authorizers.event_parsing import parse_event  # noqa: PLC0415

        index, self._count = self._count, self._count + 1
        arn = event.get("methodArn") or event.get("routeArn")
        too_long = uri_too_long(arn, self._event_kind(event)) if isinstance(arn, str) else None
        if too_long is not None:
            return ReplayStep(index, invoked=False, cached=False, cache_key=None, result=too_long)
        if event.get("type") == "TOKEN" and event.get("authorizationToken") is None:
            event = {**event, "authorizationToken": ""}  # absent header: same 401 as empty
        request = parse_event(event)
        values, missing = self._identity(request)
        if missing is not None:
            reason = f"identity source {missing} is missing or empty: 401 without invoking"
            result = Result(
                GatewayDecision.UNAUTHORIZED,
                str(request.arn),
                self._kind(request),
                reasons=(reason,),
            )
            return ReplayStep(index, invoked=False, cached=False, cache_key=None, result=result)
        key = hashlib.sha256("\x00".join(values).encode()).hexdigest()[:12] if values else None
        now = self.clock()
        entry = self._entries.get(key) if key is not None else None
        if entry is not None and now - entry[0] < self.ttl_seconds:
            result = simulate(entry[1], request, api_kind=self.api_kind)
            return ReplayStep(
                index, invoked=False, cached=True, cache_key=key, result=result, response=entry[1]
            )
        if not self.invokable:
            reason = "API Gateway could not invoke the authorizer function: 500"
            kind = self._kind(request)
            result = Result(GatewayDecision.INVALID, str(request.arn), kind, reasons=(reason,))
            return ReplayStep(index, invoked=False, cached=False, cache_key=key, result=result)
        response = self._invoke(event)
        result = simulate(response, request, api_kind=self.api_kind)
        cacheable = self.cache_errors or result.decision not in (
            GatewayDecision.UNAUTHORIZED,
            GatewayDecision.INVALID,
        )
        if key is not None and self.ttl_seconds > 0 and cacheable:
            self._entries[key] = (now, response)
        return ReplayStep(
            index, invoked=True, cached=False, cache_key=key, result=result, response=response
        )

    def _kind(self, request: AuthRequest) -> ApiKind:
        return ApiKind(self.api_kind) if self.api_kind else infer_api_kind(None, request)

    def _event_kind(self, event: Mapping[str, Any]) -> ApiKind:
        """The API kind of an event that cannot be parsed (its ARN is too long)."""
        if self.api_kind:
            return ApiKind(self.api_kind)
        if "routeArn" in event or event.get("version") == "1.0":
            return ApiKind.HTTP_IAM
        context = event.get("requestContext")
        websocket = isinstance(context, Mapping) and "connectionId" in context
        return ApiKind.WEBSOCKET if websocket else ApiKind.REST

    def _invoke(self, event: Mapping[str, Any]) -> Any:
        self.invocations += 1
        try:
            return copy.deepcopy(self.handler(event, self.lambda_context))
        except Exception as error:  # API Gateway turns any failure into a 401 or a 500
            return error

    def _identity(self, request: AuthRequest) -> tuple[list[str], str | None]:
        """The cache-key values, or the first missing source's expression."""
        if request.kind is RequestKind.REST_TOKEN:
            token = request.token or ""
            if not token or (self.validation and not self.validation.fullmatch(token)):
                return [], "(the TOKEN authorizer's token header)"
            return [token], None
        if not self.sources and self.ttl_seconds > 0:
            raise ConfigurationError("REQUEST authorizers need identity sources to be cached")
        values: list[str] = []
        for expression, where, name in self.sources:
            if where == "header":
                value = ",".join(request.headers.get_all(name))
            elif where == "query":
                value = ",".join(request.query.get_all(name))
            elif where == "stage":
                value = request.stage_variables.get(name, "")
            else:
                value = _context_value(request.raw_event, name) or ""
            if not value:
                return [], repr(expression)
            values.append(value)
        return values, None


def replay(
    handler: Handler, events: Iterable[Mapping[str, Any]], **options: Any
) -> list[ReplayStep]:
    """Replay ``events`` in order through one fresh cache (options as for CacheReplay)."""
    cache = CacheReplay(handler, **options)
    return [cache.request(event) for event in events]
