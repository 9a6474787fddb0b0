"""Assertions for authorizer tests, built on the simulator.

``assert response["policyDocument"]...`` tests the shape; these test the *outcome* - what API
Gateway would do - and on failure print the statement that decided (or that none matched),
so the fix is obvious from the test report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authorizers.testing.simulator import (
    GatewayDecision,
    Result,
    as_request,
    request_arn,
    simulate,
)

if TYPE_CHECKING:
    from authorizers.rules import RouteRule

_DENIALS = {
    None: (GatewayDecision.EXPLICIT_DENY, GatewayDecision.IMPLICIT_DENY),
    True: (GatewayDecision.EXPLICIT_DENY,),
    False: (GatewayDecision.IMPLICIT_DENY,),
}


def call_handler(
    handler: Callable[[Mapping[str, Any], Any], Any], event: Mapping[str, Any], context: Any = None
) -> Any:
    """The handler's response, or the exception it raised (what API Gateway gets to see)."""
    try:
        return handler(event, context)
    except Exception as error:  # API Gateway maps any failure to 401 or 500
        return error


def _statements(response: Any) -> str:
    try:
        statements = response["policyDocument"]["Statement"]
        lines = [f"    [{i}] {json.dumps(s, sort_keys=True)}" for i, s in enumerate(statements)]
    except (KeyError, TypeError):
        return ""
    return "\n  statements in the policy:\n" + "\n".join(lines)


def _fail(expected: str, result: Result, response: Any, hint: str = "") -> AssertionError:
    listing = _statements(response) if result.statement is None else ""
    return AssertionError(f"expected {expected}, but got:\n{result.explain()}{hint}{listing}")


def _simulate_all(
    response: Any, requests: tuple[Any, ...], options: dict[str, Any]
) -> list[Result]:
    """Bare routes (``"POST /pets"``) belong to the API of the first event, ARN or AuthRequest
    among ``requests``, unless ``api=`` says otherwise."""
    resolved = [as_request(request) for request in requests]
    if "api" not in options:
        full = (r for r in resolved if not isinstance(r, str) or r.startswith("arn:"))
        first = next(full, None)
        options = {**options, "api": None if first is None else request_arn(first)}
    return [simulate(response, request, **options) for request in resolved]


def assert_allows(response: Any, *requests: Any, **options: Any) -> list[Result]:
    """Every request (``"GET /pets/1"``, an ARN, an event...) is allowed (200).
    ``options`` go to :func:`~authorizers.testing.simulator.simulate`."""
    results = _simulate_all(response, requests, options)
    for result in results:
        if not result.allowed:
            raise _fail(f"{result.arn} to be allowed", result, response)
    return results


def assert_denies(
    response: Any, *requests: Any, explicit: bool | None = None, **options: Any
) -> list[Result]:
    """Every request is refused with 403; ``explicit=True`` demands a matching Deny statement,
    ``explicit=False`` an implicit deny (no Allow matched)."""
    wanted = _DENIALS[explicit]
    results = _simulate_all(response, requests, options)
    for result in results:
        if result.decision not in wanted:
            kinds = " or ".join(decision.value for decision in wanted)
            raise _fail(f"{result.arn} to be denied ({kinds}, 403)", result, response)
    return results


def assert_invalid(response: Any, request: Any = "GET /", **options: Any) -> Result:
    """API Gateway would reject the response itself (500)."""
    result = simulate(response, request, **options)
    if result.decision is not GatewayDecision.INVALID:
        raise _fail("an invalid response (500)", result, response)
    return result


def assert_unauthorized(
    handler: Callable[[Mapping[str, Any], Any], Any], event: Mapping[str, Any], context: Any = None
) -> None:
    """Calling the handler makes API Gateway answer 401: it raises ``Exception("Unauthorized")``."""
    outcome = call_handler(handler, event, context)
    result = simulate(outcome, event)
    if result.decision is not GatewayDecision.UNAUTHORIZED:
        hint = ""
        if isinstance(outcome, BaseException):
            hint = "\n  (for a 401 the handler must raise Exception('Unauthorized') exactly)"
        raise _fail("401 Unauthorized", result, outcome, hint)


def assert_context(
    response: Any,
    expected: Mapping[str, Any],
    *,
    request: Any = "GET /",
    exact: bool = False,
    template: bool = False,
    **options: Any,
) -> Result:
    """The integration receives ``expected`` in its authorizer context (a subset unless
    ``exact``; ``principalId`` only counts if ``expected`` names it). ``template=True`` checks
    the mapping-template view, where every value is a string."""
    result = simulate(response, request, **options)
    if result.decision is GatewayDecision.INVALID:
        raise _fail("a valid response", result, response)
    actual = dict(result.template_context if template else result.context)
    if "principalId" not in expected and "isAuthorized" not in response:
        actual.pop("principalId", None)
    problems = [
        f"  {key!r}: expected {value!r}, got {actual.get(key, '<missing>')!r}"
        for key, value in expected.items()
        if key not in actual or actual[key] != value or type(actual[key]) is not type(value)
    ]
    if exact:
        problems += [
            f"  {key!r}: unexpected (value {actual[key]!r})"
            for key in actual.keys() - expected.keys()
        ]
    if problems:
        raise AssertionError("authorizer context differs:\n" + "\n".join(sorted(problems)))
    return result


def assert_rules_cover_template(
    rules: Iterable[RouteRule | str] | Mapping[str, Any],
    template: str | Path,
    *,
    authorizer: str | None = None,
    api: str | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
) -> None:
    """The rules and the routes the SAM template serves through ``authorizer`` agree: every
    route is ruled, every rule matches a route of this authorizer (see
    :mod:`authorizers.local.route_check`). ``rules`` are the ``RouteRule`` objects given to
    ``AccessRules``, route keys (``"GET /pets/{id}"``) or a zero-code configuration document;
    ``authorizer`` its name in the template or its function's logical id (needed when the
    template has several)."""
    from authorizers.local.route_check import check_routes, rule_keys  # noqa: PLC0415
    from authorizers.local.route_universe import select_authorizer  # noqa: PLC0415
    from authorizers.local.template import load_template  # noqa: PLC0415

    loaded = load_template(template, parameter_overrides=parameter_overrides)
    check = check_routes(select_authorizer(loaded, authorizer, api), rule_keys(rules))
    if not check.ok:
        raise AssertionError("rules and template disagree:\n  " + "\n  ".join(check.problems()))
