"""Access rules: which routes an authenticated identity may call, as cache-safe :class:`Grants`.

API Gateway caches an authorizer's policy per credential and evaluates it against *later*
calls to *other* routes, so a policy must answer for every route the API serves, not only
the one being called. :class:`AccessRules` therefore returns the identity's policy for the
whole API (whichever route was called first, the same policy is cached), compiled by
:mod:`authorizers.rules._policy`: Allows for the routes it may call, and Denies wherever
an Allow pattern's ``*`` (which also matches ``/``) reaches a route it may not. With a
:class:`~authorizers.rules.universe.RouteUniverse` every served route is known and the policy is
exact and compact; without one each Allow is kept to its own route's paths. Where IAM
wildcards cannot separate two routes the policy errs towards 403, never towards an Allow
(docs/architecture.md, "The policy compiler").

The requirements themselves live in :mod:`authorizers.requirements` (re-exported here). Every
name is imported lazily: a function with the default rules (:class:`AllRoutes`) loads
:mod:`authorizers.rules._scope` only, never the route table and its policy compiler
(:mod:`authorizers.rules._access`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "AccessRules": "authorizers.rules._access",
    "RouteRule": "authorizers.rules._access",
    "allow_route": "authorizers.rules._access",
    "deny_route": "authorizers.rules._access",
    "AllRoutes": "authorizers.rules._scope",
    "GrantScope": "authorizers.rules._scope",
    "MethodArnOnly": "authorizers.rules._scope",
    "RouteForbidden": "authorizers.rules._scope",
    "Rules": "authorizers.rules._scope",
    "AUTHENTICATED": "authorizers.requirements",
    "Check": "authorizers.requirements",
    "Requirement": "authorizers.requirements",
    "all_of": "authorizers.requirements",
    "any_of": "authorizers.requirements",
    "claim_contains": "authorizers.requirements",
    "claim_equals": "authorizers.requirements",
    "groups_all": "authorizers.requirements",
    "groups_any": "authorizers.requirements",
    "header_equals_claim": "authorizers.requirements",
    "predicate": "authorizers.requirements",
    "scopes_all": "authorizers.requirements",
    "scopes_any": "authorizers.requirements",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.requirements import AUTHENTICATED as AUTHENTICATED
    from authorizers.requirements import Check as Check
    from authorizers.requirements import Requirement as Requirement
    from authorizers.requirements import all_of as all_of
    from authorizers.requirements import any_of as any_of
    from authorizers.requirements import claim_contains as claim_contains
    from authorizers.requirements import claim_equals as claim_equals
    from authorizers.requirements import groups_all as groups_all
    from authorizers.requirements import groups_any as groups_any
    from authorizers.requirements import header_equals_claim as header_equals_claim
    from authorizers.requirements import predicate as predicate
    from authorizers.requirements import scopes_all as scopes_all
    from authorizers.requirements import scopes_any as scopes_any
    from authorizers.rules._access import AccessRules as AccessRules
    from authorizers.rules._access import RouteRule as RouteRule
    from authorizers.rules._access import allow_route as allow_route
    from authorizers.rules._access import deny_route as deny_route
    from authorizers.rules._scope import AllRoutes as AllRoutes
    from authorizers.rules._scope import GrantScope as GrantScope
    from authorizers.rules._scope import MethodArnOnly as MethodArnOnly
    from authorizers.rules._scope import RouteForbidden as RouteForbidden
    from authorizers.rules._scope import Rules as Rules
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
