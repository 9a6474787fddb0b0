"""What the :class:`~authorizers.authorizer.Authorizer` needs from access rules, and the rules
that need no route table: how far one answer may be reused (:class:`GrantScope`), the
:class:`Rules` protocol, :class:`RouteForbidden`, the default :class:`AllRoutes`, and
:class:`MethodArnOnly`.

Apart from the route table (:mod:`authorizers.rules._access`) so that a function with the
default rules never imports the policy compiler: ~5 ms of its cold start.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from authorizers.errors import Forbidden, ReasonCode
from authorizers.grants import Grants

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest


class GrantScope(StrEnum):
    """How far one result of a rules object may be reused by API Gateway's result cache."""

    WHOLE_API = "whole_api"  # same answer for every route: any cache is safe
    ROUTE_TABLE = "route_table"  # per route, but the policy lists every route: IAM-cache safe
    THIS_REQUEST = "this_request"  # only the called method: unsafe with any cache


class Rules(Protocol):
    """What the :class:`~authorizers.authorizer.Authorizer` needs from access rules."""

    @property
    def scope(self) -> GrantScope: ...

    def grants(self, identity: Identity, request: AuthRequest) -> Grants: ...


class RouteForbidden(Forbidden):
    """The identity may not call this route; ``grants`` still lists what it may call, so the
    403 response is the identity's full policy and stays correct when cached."""

    def __init__(self, reason: ReasonCode, detail: str, grants: Grants) -> None:
        super().__init__(reason, detail)
        self.grants = grants


def relative_route(request: AuthRequest) -> str:
    """The called route as it appears in the method ARN, relative to the stage."""
    arn = request.arn
    return arn.resource if arn.verb is None else f"{arn.verb}/{arn.resource}"


class AllRoutes:
    """The default: an authenticated identity may call every route of the API stage, in one
    statement, so API Gateway's result cache can never turn into a false 403 elsewhere."""

    scope = GrantScope.WHOLE_API
    _EVERYTHING = Grants.everything()

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        return self._EVERYTHING


def called_route_only(request: AuthRequest) -> Grants:
    """Grants naming exactly the called method ARN, for answers that hold for this request only.

    IAM has no escape for ``*`` and ``?`` in a Resource, so a called path holding either (a
    literal ``*`` is legal in a URL path, ``?`` arrives percent-decoded) cannot be named
    exactly: ``GET/files/*`` would allow every file for as long as a cache keeps it. Such a
    request is refused (403, ``forbidden``); nothing from the request becomes a wildcard.
    """
    called = relative_route(request)
    if "*" in called or "?" in called:
        raise Forbidden(
            ReasonCode.FORBIDDEN, "the called path holds '*' or '?': no policy names it exactly"
        )
    return Grants(allow=(called,))


class MethodArnOnly:
    """Allow only the exact method ARN being called (after ``rules``, if given, allow it).

    Pitfall: API Gateway caches the policy per credential (300 s unless configured) and
    evaluates it against the *next* route called with the same credential, which this policy
    does not list: a false 403. The Authorizer therefore refuses to build with this mode
    unless the result TTL is 0 or the cache key includes the route. A called path holding
    ``*`` or ``?`` is refused (see :func:`called_route_only`).
    """

    scope = GrantScope.THIS_REQUEST

    def __init__(self, rules: Rules | None = None) -> None:
        self._rules = rules

    def grants(self, identity: Identity, request: AuthRequest) -> Grants:
        if self._rules is not None:
            try:
                self._rules.grants(identity, request)
            except RouteForbidden as refused:  # its full policy would outlive this request
                raise Forbidden(refused.reason, refused.detail) from None
        return called_route_only(request)
