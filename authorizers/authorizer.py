"""The Authorizer: validators + access rules + renderer, and its Lambda entry point.

How each outcome reaches the client (API Gateway decides the status from what we return):

- allow: the identity's policy (or ``isAuthorized: true``) - 200 from the integration;
- deny (403): a valid identity refused. Refused by the route rules, the response is still the
  identity's complete policy (it lists the routes it may call and denies this one), so the
  result cached for this credential is right for every route; refused by a validator, a
  Deny of the whole stage;
- unauthorized (401): ``raise Exception("Unauthorized")``, the one message API Gateway turns
  into a 401. HTTP API simple responses cannot say 401, so they answer
  ``isAuthorized: false`` (a 403) instead;
- error (500): a dependency fault (``on_infrastructure_error="raise"``, the default, so
  clients retry instead of re-authenticating; ``"deny"`` answers 403 instead), a malformed
  event, a response API Gateway would reject, or any unexpected exception. The handler
  raises a generic exception naming only the reason code.

No path returns an Allow once anything raised: an Allow response is only built after the
validators and rules returned, and a failure while rendering, logging or timing the
decision turns the whole invocation into a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal

from authorizers.clock import MonotonicClock, monotonic_clock
from authorizers.decision import Decision, Outcome
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
    describe_unexpected,
)
from authorizers.event_parsing import parse_event
from authorizers.grants import Grants
from authorizers.observability import JsonLogObserver, Observer
from authorizers.request import RequestKind
from authorizers.response_reuse import response_reuse
from authorizers.responses import deny_all_response, policy_response, simple_response
from authorizers.rules import AllRoutes, GrantScope, RouteForbidden, Rules
from authorizers.rules._scope import called_route_only
from authorizers.validator import Validator

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authorizers.identity import Identity
    from authorizers.request import AuthRequest

#: API Gateway's result TTL when none is configured (REST default; HTTP API assumed alike).
DEFAULT_RESULT_TTL_SECONDS = 300
#: The exact error message API Gateway maps to a 401.
UNAUTHORIZED_MESSAGE = "Unauthorized"


class _Default:
    """Marks "observability not given": use the built-in JSON log observer."""


_DEFAULT: Final = _Default()


def _check_policy_size(rules: Rules) -> None:
    """Refuse rules whose largest policy can exceed what API Gateway accepts: a size error
    would otherwise be a 500 on every call of the broadest identities."""
    largest = getattr(rules, "largest_policy_bytes", None)
    limit = getattr(rules, "response_limit", None)
    if isinstance(largest, int) and isinstance(limit, int) and largest > limit:
        raise ConfigurationError(
            f"the broadest identity's policy can take {largest} bytes, over API Gateway's "
            f"{limit}: declare the complete route universe (AccessRules(..., universe=...)) so "
            "the policy is compacted, or answer per route (MethodArnOnly) with a per-route "
            "cache key (cache_per_route=True) or a result TTL of 0"
        )


def _per_request_only(validator: Validator, ttl: int) -> bool:
    """Whether answers hold for the called request only; such a validator needs TTL 0."""
    per_request = bool(getattr(validator, "per_request", False))
    if per_request and ttl != 0:
        raise ConfigurationError(
            f"validator {validator.name!r} decides per request (method, path, query, time), "
            f"but API Gateway would replay a cached answer for {ttl} s on other requests with "
            "the same identity-source values: deploy with a result TTL of 0 "
            "(result_ttl_seconds=0, and ReauthorizeEvery / AuthorizerResultTtlInSeconds 0 in "
            "the template); a per-route cache key is not enough (it binds neither path "
            "parameters, nor the query, nor the time window)"
        )
    return per_request


class Authorizer:
    """Decide one API Gateway authorizer call: ``authorize(request)`` or ``handler(event, _)``.

    ``result_ttl_seconds`` is the authorizer's result-cache TTL as deployed (``None``:
    unknown, taken as API Gateway's default 300). ``cache_per_route=True`` declares that the
    cache key includes the route (``$context.routeKey``, ``context.resourcePath`` +
    ``context.httpMethod``). Rules whose answer is only right for the called route
    (:class:`~authorizers.rules.MethodArnOnly`, or any route rules with simple responses,
    which cannot list routes) are refused at build time unless the TTL is 0 or the cache is
    per route: otherwise a cached answer would be replayed on other routes.

    A per-request validator (``per_request``: an HMAC signature binds one method, path,
    query and time window) needs a TTL of 0 whatever the cache key, since no identity source
    covers path parameters or time; its Allow names only the called method ARN and its
    route refusals are a Deny of the whole stage, so even a cache deployed against this
    setting cannot replay it on another route (see :func:`_per_request_only`).
    """

    def __init__(
        self,
        validator: Validator,
        *,
        rules: Rules | None = None,
        simple_responses: bool = False,
        on_infrastructure_error: Literal["raise", "deny"] = "raise",
        result_ttl_seconds: int | None = None,
        cache_per_route: bool = False,
        context_json_encode: bool = False,
        observability: Observer | _Default | None = _DEFAULT,
        clock: MonotonicClock = monotonic_clock,
    ) -> None:
        if not isinstance(validator, Validator):
            raise ConfigurationError("validator must have a name and validate(request)")
        if on_infrastructure_error not in ("raise", "deny"):
            raise ConfigurationError("on_infrastructure_error must be 'raise' or 'deny'")
        ttl = DEFAULT_RESULT_TTL_SECONDS if result_ttl_seconds is None else result_ttl_seconds
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 3600:
            raise ConfigurationError("result_ttl_seconds must be an int from 0 to 3600")
        self._rules: Rules = rules if rules is not None else AllRoutes()
        scope = self._rules.scope
        per_route = scope is GrantScope.THIS_REQUEST or (
            simple_responses and scope is not GrantScope.WHOLE_API
        )
        if per_route and ttl != 0 and not cache_per_route:
            raise ConfigurationError(
                f"these rules answer for the called route only, but API Gateway would reuse "
                f"the cached answer on other routes for {ttl} s: deploy with a result TTL of "
                "0 (result_ttl_seconds=0) or a per-route cache key (cache_per_route=True)"
                + ("" if scope is GrantScope.THIS_REQUEST else ", or use IAM responses")
            )
        _check_policy_size(self._rules)
        self._per_request = _per_request_only(validator, ttl)
        self._validator = validator
        self._simple = simple_responses
        self._deny_on_fault = on_infrastructure_error == "deny"
        self._json_encode = context_json_encode
        self._observer: Observer | None = (
            JsonLogObserver() if isinstance(observability, _Default) else observability
        )
        self._clock = clock
        # A repeated credential's response, reused where that cannot change a decision.
        self._reuse = response_reuse(validator, self._rules, self._observer, clock)

    # -- deciding ---------------------------------------------------------------------------

    def authorize(self, request: AuthRequest) -> Decision:
        """Decide without logging or raising; an unexpected exception becomes an error."""
        try:
            return self._authorize(request)
        except Exception as error:
            return self._error(request, error)

    def _authorize(self, request: AuthRequest) -> Decision:
        identity: Identity | None = None
        try:
            identity = self._validator.validate(request)
            grants = self._rules.grants(identity, request)
            if not isinstance(grants, Grants):
                raise TypeError(f"rules returned {type(grants).__name__}, not Grants")
            if not grants.allow:  # a simple response would otherwise say isAuthorized: true
                raise Forbidden(ReasonCode.FORBIDDEN, "the rules grant nothing")
            if self._per_request:
                grants = called_route_only(request)
        except RouteForbidden as refused:
            assert identity is not None  # rules only run once a validator returned one
            if self._per_request:  # the full policy lists other routes: never replay it
                return self._refusal(Outcome.DENY, request, refused, identity, self._deny(request))
            denial = self._render(request, identity, refused.grants, authorized=False)
            return self._refusal(Outcome.DENY, request, refused, identity, denial)
        except Forbidden as refused:
            return self._refusal(Outcome.DENY, request, refused, identity, self._deny(request))
        except Unauthorized as refused:
            simple = simple_response(request, False) if self._is_simple(request) else None
            return self._refusal(Outcome.UNAUTHORIZED, request, refused, None, simple)
        except InfrastructureError as fault:
            if self._deny_on_fault:
                return self._refusal(Outcome.DENY, request, fault, None, self._deny(request))
            return self._refusal(Outcome.ERROR, request, fault, None, None)
        response = self._render(request, identity, grants, authorized=True)
        # tuple.__new__ skips the NamedTuple's Python-level __new__: every Allow builds one.
        return tuple.__new__(
            Decision,
            (Outcome.ALLOW, identity.validator, request, None, "", identity, grants, response),
        )

    def _is_simple(self, request: AuthRequest) -> bool:
        return self._simple and request.kind is RequestKind.HTTP_V2

    def _render(
        self, request: AuthRequest, identity: Identity, grants: Grants, *, authorized: bool
    ) -> dict[str, Any]:
        if self._is_simple(request):
            return simple_response(
                request, authorized, context=identity.context if authorized else None
            )
        return policy_response(
            request,
            identity.principal_id,
            grants,
            context=identity.context,
            usage_identifier_key=identity.usage_identifier_key,
            json_encode_context=self._json_encode,
        )

    def _deny(self, request: AuthRequest) -> dict[str, Any]:
        if self._is_simple(request):
            return simple_response(request, False)
        return deny_all_response(request)

    def _refusal(
        self,
        outcome: Outcome,
        request: AuthRequest,
        error: AuthorizerError,
        identity: Identity | None,
        response: dict[str, Any] | None,
    ) -> Decision:
        grants = error.grants if isinstance(error, RouteForbidden) else None
        return Decision(
            outcome,
            identity.validator if identity is not None else self._validator.name,
            request,
            error.reason,
            error.detail,
            identity,
            grants,
            response,
        )

    def _error(self, request: AuthRequest | None, error: Exception) -> Decision:
        if isinstance(error, AuthorizerError):
            reason, detail = error.reason, error.detail
        elif isinstance(error, ConfigurationError):  # e.g. found at first use; never a secret
            reason, detail = ReasonCode.INTERNAL_ERROR, f"ConfigurationError: {error}"
        else:
            reason, detail = ReasonCode.INTERNAL_ERROR, describe_unexpected(error)
        return Decision(Outcome.ERROR, self._validator.name, request, reason, detail)

    # -- the Lambda entry point -------------------------------------------------------------

    def handler(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        """Lambda handler: return the response, or raise for a 401 (``Unauthorized``) or a
        500 (a generic exception naming the reason code only)."""
        reuse = self._reuse
        if reuse is not None and (reused := reuse.answer(event)) is not None:
            return reused
        try:
            started = self._clock()
            try:
                request = parse_event(event)
            except Exception as error:
                decision = self._error(None, error)
            else:
                decision = self.authorize(request)
            if self._observer is not None:
                self._observer.record(decision, (self._clock() - started) * 1000.0)
            if reuse is not None and decision.outcome is Outcome.ALLOW:
                reuse.remember(event, decision)
        except Exception:
            raise Exception(f"authorizer failed ({ReasonCode.INTERNAL_ERROR.value})") from None
        if decision.response is not None and decision.outcome is not Outcome.ERROR:
            return decision.response
        if decision.outcome is Outcome.UNAUTHORIZED:
            raise Exception(UNAUTHORIZED_MESSAGE)
        reason = decision.reason.value if decision.reason else ReasonCode.INTERNAL_ERROR.value
        raise Exception(f"authorizer failed ({reason})")
