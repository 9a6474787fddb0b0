"""Compare an authorizer's route rules with the routes a SAM template serves through it.

Three kinds of finding, each a mistake that otherwise shows only as a 403 (or an Allow) in
production: a route served but not ruled (every call to it is refused), a rule that matches no
served route (a typo, or a route since removed), and a rule that matches only routes guarded by
another authorizer (or none), where it never applies.

A route is ruled as the access rules decide it: they look the route API Gateway selected up by
route key (``{id}`` and ``{petId}`` are the same; ``ANY`` covers every verb), so a rule lists
the route with its key and no other (:func:`relation`, with the rules' own
:func:`authorizers.rules._selection.route_key`). A TOKEN event names no route: its rules
select by path among the routes they know, which is the same only with the route universe
(without it, a broader rule takes a route the check calls unruled). A rule applies somewhere
when its paths meet a served route's (:func:`reaches`): a deny rule's Deny patterns refuse
those requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authorizers.errors import ConfigurationError
from authorizers.rules import RouteRule
from authorizers.rules._patterns import VERBS
from authorizers.rules._selection import (
    ANY,
    DEFAULT_ROUTE,
    GREEDY,
    PARAM,
    route_key,
    segment_kinds,
)

if TYPE_CHECKING:
    from authorizers.local.model import FunctionSpec, LocalTemplate, RouteSpec
    from authorizers.local.route_universe import AuthorizerRoutes

_ANY = ("ANY", "*", None)  # ANY in templates, "*" in rules, None: $default / WebSocket keys


class Relation(Enum):
    NONE = 0  # no request belongs to both
    PARTIAL = 1  # some requests of the route are the rule's, not all
    COVERS = 2  # every request of the route is the rule's


def relation(rule_verb: str, rule_path: str, route_method: str | None, route_path: str) -> Relation:
    """Which requests of a served route a rule (``"GET"``/``"*"``, ``/pets/{id}``) lists, as the
    access rules decide it: API Gateway names the route it selected (REST ``resource``, HTTP
    ``routeKey``) and the rules look it up by route key, an ``ANY`` rule taking every verb
    (:func:`authorizers.rules._selection.selected_route`). A rule ``GET /{proxy+}`` does not
    list the route ``GET /pets/{id}``: every call to that route is refused."""
    if route_key(ANY, rule_path) != route_key(ANY, route_path):
        return Relation.NONE
    if rule_verb in _ANY:
        return Relation.COVERS
    if route_method in _ANY:
        return Relation.PARTIAL
    return Relation.COVERS if rule_verb == route_method else Relation.NONE


def reaches(rule_verb: str, rule_path: str, route_method: str | None, route_path: str) -> bool:
    """Some request of the route is on the rule's paths, so the rule's patterns in a policy
    meet it (a deny rule's Deny refuses ``DELETE /admin/audit`` of ``ANY /admin/{proxy+}``)
    although the rule does not list the route. One pass over the segments."""
    if relation(rule_verb, rule_path, route_method, route_path) is not Relation.NONE:
        return True
    if route_path == DEFAULT_ROUTE and not rule_path.startswith("$"):
        return True  # an HTTP API's catch-all receives whatever no route takes
    if not (rule_verb in _ANY or route_method in _ANY or rule_verb == route_method):
        return False
    rule, route = segment_kinds(rule_path), segment_kinds(route_path)
    for (rule_kind, rule_text), (route_kind, route_text) in zip(rule, route, strict=False):
        if GREEDY in (rule_kind, route_kind):
            return True
        if PARAM not in (rule_kind, route_kind) and rule_text != route_text:
            return False
    return len(rule) == len(route)


# -- the rules to compare ----------------------------------------------------------------------


def _parse_key(key: str) -> tuple[str, str]:
    if key.startswith("$") and " " not in key:
        return "*", key
    verb, _, path = key.strip().partition(" ")
    if not path.startswith("/") or not verb.isalpha():
        raise ConfigurationError(f"route key {key!r} is not 'VERB /path' or '$connect'")
    return ("*" if verb.upper() == "ANY" else verb.upper()), path.strip()


def rule_keys(rules: Iterable[RouteRule | str] | Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(verb, path)`` of each rule: :class:`~authorizers.rules.RouteRule` objects, route keys
    (``"GET /pets/{id}"``), or a zero-code configuration document (its ``routes``)."""
    if isinstance(rules, Mapping):
        items = rules.get("routes") or []
        if not isinstance(items, list):
            raise ConfigurationError("the configuration's 'routes' is not a list")
        named = [item.get("allow") or item.get("deny") for item in items if isinstance(item, dict)]
        return [_parse_key(key) for key in named if isinstance(key, str)]
    keys: list[tuple[str, str]] = []
    for rule in rules:
        if isinstance(rule, str):
            keys.append(_parse_key(rule))
        elif isinstance(rule, RouteRule):
            keys.append((rule.verb, rule.path))
        else:
            raise ConfigurationError(f"{rule!r}: rules are route keys or RouteRule objects")
    return keys


def _shown(verb: str, path: str) -> str:
    return path if path.startswith("$") else f"{'ANY' if verb == '*' else verb} {path}"


@dataclass(frozen=True, slots=True)
class RouteCheck:
    """Findings for one authorizer (``label``: ``Api.Authorizer``); ``ok`` when none."""

    label: str
    unruled: tuple[str, ...] = ()
    partly_ruled: tuple[str, ...] = ()
    unmatched_rules: tuple[str, ...] = ()
    other_authorizer: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """One line per finding, saying what happens in production."""
        return [
            *(f"{self.label}: route {r} is served but no rule rules it: every call gets 403"
              for r in self.unruled),
            *(f"{self.label}: route {r} is only partly ruled: its other requests get 403"
              for r in self.partly_ruled),
            *(f"{self.label}: rule {r} matches no route served through this authorizer "
              "(a typo, or a removed route?)" for r in self.unmatched_rules),
            *(f"{self.label}: rule {r}: it never applies there" for r in self.other_authorizer),
            *(f"{self.label}: {setting}" for setting in self.settings),
        ]  # fmt: skip


def check_routes(found: AuthorizerRoutes, rules: list[tuple[str, str]]) -> RouteCheck:
    """Compare ``rules`` with the routes served through ``found``'s authorizer."""
    unruled, partly = [], []
    for route in found.routes:
        best = max(
            (relation(verb, path, route.method, route.path) for verb, path in rules),
            key=lambda found_relation: found_relation.value,
            default=Relation.NONE,
        )
        if best is Relation.NONE:
            unruled.append(route.route_key)
        elif best is Relation.PARTIAL and not _ruled_together(route, rules):
            partly.append(route.route_key)
    unmatched, elsewhere = [], []
    for verb, path in rules:
        if any(_meets(verb, path, route) for route in found.routes):
            continue
        other = next((route for route in found.other_routes if _meets(verb, path, route)), None)
        if other is None:
            unmatched.append(_shown(verb, path))
        else:
            guard = f"authorizer {other.authorizer}" if other.authorizer else "no authorizer"
            elsewhere.append(f"{_shown(verb, path)} (route {other.route_key} uses {guard})")
    return RouteCheck(
        found.label, tuple(unruled), tuple(partly), tuple(unmatched), tuple(elsewhere)
    )


def _meets(verb: str, path: str, route: RouteSpec) -> bool:
    return reaches(verb, path, route.method, route.path)


def _ruled_together(route: RouteSpec, rules: list[tuple[str, str]]) -> bool:
    """An ``ANY`` route whose every verb has a rule covering it is ruled."""
    if route.method not in _ANY or route.path.startswith("$"):
        return False
    return all(
        any(relation(verb, path, method, route.path) is Relation.COVERS for verb, path in rules)
        for method in VERBS
    )


# -- zero-code authorizers of a template (what `authorizers serve` warns about) -----------------


def function_document(function: FunctionSpec) -> tuple[dict[str, Any], str] | None:
    """A template function's zero-code configuration document, unsubstituted, read as the
    generic handler reads it (:func:`authorizers.config.load_config`, the function's code
    folder as ``LAMBDA_TASK_ROOT``), and its source (the variable or the file name); ``None``
    when the function names none, or names a file without a code folder to find it in."""
    from authorizers.config import CONFIG_ENV, CONFIG_FILE_ENV, load_config  # noqa: PLC0415

    env = function.environment
    if env.get(CONFIG_ENV):
        source = CONFIG_ENV
    elif env.get(CONFIG_FILE_ENV) and function.code_uri is not None:
        source = Path(env[CONFIG_FILE_ENV]).name
    else:
        return None
    document, _ = load_config({**env, "LAMBDA_TASK_ROOT": str(function.code_uri or "")})
    return document, source


def zero_code_document(template: LocalTemplate, function_id: str | None) -> dict[str, Any] | None:
    """The configuration document of a function running the generic handler, unsubstituted
    (only its ``routes`` are read); ``None`` for other functions."""
    function = template.functions.get(function_id or "")
    found = None if function is None else function_document(function)
    return None if found is None else found[0]


def _settings(found: AuthorizerRoutes, document: Mapping[str, Any]) -> tuple[str, ...]:
    """Where the document's description of the deployment differs from the template's: the
    Authorizer's cache-safety checks trust ``result_ttl_seconds``, and a simple response to an
    authorizer expecting a policy (or the reverse) is a 500 on every call."""
    from authorizers.authorizer import DEFAULT_RESULT_TTL_SECONDS  # noqa: PLC0415

    spec, findings = found.spec, []
    ttl = document.get("result_ttl_seconds", DEFAULT_RESULT_TTL_SECONDS)
    if isinstance(ttl, int) and ttl != spec.ttl_seconds:
        given = "" if "result_ttl_seconds" in document else " (the default)"
        findings.append(
            f"result_ttl_seconds is {ttl}{given}, but the template caches results for "
            f"{spec.ttl_seconds} s: make them equal"
        )
    simple = document.get("simple_responses", False)
    if isinstance(simple, bool) and simple != spec.simple_responses:
        findings.append(
            f"simple_responses is {str(simple).lower()}, but the template's "
            f"EnableSimpleResponses is {str(spec.simple_responses).lower()}: every call gets 500"
        )
    return tuple(findings)


def template_checks(template: LocalTemplate) -> list[RouteCheck]:
    """A check per zero-code authorizer of the template: its route rules (if any) and the
    settings that must match the template."""
    from authorizers.local.route_universe import authorizers_in  # noqa: PLC0415

    checks = []
    for found in authorizers_in(template):
        document = zero_code_document(template, found.spec.function_id)
        if document is None:
            continue
        check = check_routes(found, rule_keys(document)) if document.get("routes") else None
        checks.append(
            replace(check or RouteCheck(found.label), settings=_settings(found, document))
        )
    return checks
