"""One Lambda authorizer behind API Gateway's result cache, for the local gateway.

The cache is the test kit's :class:`~authorizers.testing.cache_replay.CacheReplay` - the
same rules the unit tests replay (key = identity-source values, 401 without invoking when a
source is missing, a hit evaluates the cached response against the *new* route, TTL, errors
not cached) - so a policy that only allows the called method shows its 403 on the next route
here too. The decision comes from the policy simulator.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.local.functions import FunctionError, FunctionRunner, Invocation
from authorizers.local.model import AuthorizerSpec
from authorizers.observability import ALLOWED_REASON, LOG_MESSAGE
from authorizers.request import RequestKind
from authorizers.testing.cache_replay import CacheReplay
from authorizers.testing.simulator import GatewayDecision, Result

#: The cache replay's account of a missing source: "identity source '<expression>' is missing".
_MISSING = re.compile(r"identity source '([^']+)' is missing")
_CACHED = {
    GatewayDecision.ALLOW: "cached response allows this route",
    GatewayDecision.EXPLICIT_DENY: "cached response denies this route",
    GatewayDecision.IMPLICIT_DENY: "cached policy has no Allow for this route",
}
_DECIDED = {
    GatewayDecision.ALLOW: ALLOWED_REASON,
    GatewayDecision.EXPLICIT_DENY: "explicit deny",
    GatewayDecision.IMPLICIT_DENY: "no Allow statement matches this route",
    GatewayDecision.UNAUTHORIZED: "the authorizer raised 'Unauthorized'",
}


@dataclass(frozen=True, slots=True)
class Authorization:
    """What API Gateway made of one request's authorization.

    ``reason`` is the authorizer's own reason code when it logged a decision line (the
    framework's JSON log), else the gateway's account; ``response`` is the response
    evaluated (fresh or cached), ``None`` when the authorizer was not invoked.
    """

    result: Result
    invoked: bool
    cached: bool
    reason: str
    response: Any = field(repr=False)  # may carry usageIdentifierKey (the API key)
    latency_ms: float

    @property
    def usage_identifier_key(self) -> str | None:
        response = self.response
        key = response.get("usageIdentifierKey") if isinstance(response, Mapping) else None
        return key if isinstance(key, str) and key else None


def logged_reason(logs: tuple[str, ...]) -> str | None:
    """The ``reason`` of the framework's decision log line among a function's output."""
    for line in reversed(logs):
        if LOG_MESSAGE not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("message") == LOG_MESSAGE:
            return str(record.get("reason"))
    return None


class AuthorizerStage:
    """Authorizes requests for one authorizer of one API; thread-safe."""

    def __init__(
        self,
        spec: AuthorizerSpec,
        runner: FunctionRunner,
        *,
        clock: MonotonicClock = monotonic_clock,
    ) -> None:
        self.spec = spec
        self._runner = runner
        token = spec.kind is RequestKind.REST_TOKEN  # the cache keys on the token itself
        self._cache = CacheReplay(
            self._invoke,
            ttl_seconds=spec.ttl_seconds,
            identity_sources=() if token else spec.identity_sources,
            validation_expression=spec.validation_expression,
            api_kind=spec.api_kind,
            clock=clock,
        )
        self._lock = threading.Lock()
        self._last: Invocation | None = None

    def clear(self) -> None:
        """Forget every cached result (API Gateway: flush the authorizer cache)."""
        with self._lock:
            self._cache.clear()

    def _invoke(self, event: Mapping[str, Any], _context: Any) -> Any:
        assert self.spec.function_id is not None  # unsupported authorizers never get here
        self._last = self._runner.invoke(self.spec.function_id, event)
        return self._last.result()

    def authorize(self, event: Mapping[str, Any]) -> Authorization:
        """Send one authorizer event through the cache (and the function, on a miss)."""
        with self._lock:
            self._last = None
            step = self._cache.request(event)
            invocation = self._last
        latency = invocation.duration_ms if invocation is not None else 0.0
        return Authorization(
            step.result,
            step.invoked,
            step.cached,
            self._reason(step.result, step.cached, invocation, event),
            step.response,
            latency,
        )

    def _reason(
        self,
        result: Result,
        cached: bool,
        invocation: Invocation | None,
        event: Mapping[str, Any],
    ) -> str:
        decision = result.decision
        if cached:
            return _CACHED.get(decision, decision.value)
        if invocation is None and decision is not GatewayDecision.UNAUTHORIZED:
            return result.reasons[0] if result.reasons else decision.value  # 414, not invokable
        if invocation is None:  # 401 before invoking
            if self.spec.kind is RequestKind.REST_TOKEN:
                if event.get("authorizationToken"):
                    return "token does not match the ValidationExpression"
                return f"identity source missing: {self.spec.identity_sources[0]}"
            found = _MISSING.search(result.reasons[0]) if result.reasons else None
            missing = found[1] if found else ", ".join(self.spec.identity_sources)
            return f"identity source missing: {missing}"
        if isinstance(invocation.error, FunctionError):  # no code, init failed, timed out
            return str(invocation.error)
        logged = logged_reason(invocation.logs)
        if logged is not None and logged != ALLOWED_REASON:
            return logged
        if decision is GatewayDecision.INVALID:
            return result.reasons[0] if result.reasons else "invalid authorizer response"
        return logged or _DECIDED.get(decision, decision.value)
