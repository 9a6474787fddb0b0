"""Requirements: conditions an accepted identity (and its request) must meet to call a route.

Route rules (:mod:`authorizers.rules`) and the configuration's ``requires`` both take them. A
requirement answers *why* it is not met with a :class:`~authorizers.errors.ReasonCode`, so a
403 says ``insufficient_scope`` rather than only "no".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from authorizers.errors import ConfigurationError, ReasonCode

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest

#: ``(identity, request) -> None`` when met, else the reason it is not.
Check = Callable[["Identity", "AuthRequest"], ReasonCode | None]


@dataclass(frozen=True, slots=True)
class Requirement:
    """A condition on the identity (and request); ``unmet`` returns why it fails, or None.

    Combine with ``&`` / ``|`` or :func:`all_of` / :func:`any_of`. A custom predicate that
    reads the *request* should only read what is part of the authorizer's cache key.
    """

    unmet: Check
    description: str

    def __and__(self, other: Requirement) -> Requirement:
        return all_of(self, other)

    def __or__(self, other: Requirement) -> Requirement:
        return any_of(self, other)

    def __repr__(self) -> str:
        return f"Requirement({self.description})"


@cache  # scopes_any("a") twice is one object: AccessRules evaluates it once per request
def _membership(
    label: str,
    wanted: frozenset[str],
    reason: ReasonCode,
    held: Callable[[Identity], frozenset[str]],
    *,
    every: bool,
) -> Requirement:
    if not wanted or not all(isinstance(name, str) and name for name in wanted):
        raise ConfigurationError(f"{label} needs at least one non-empty name")

    def unmet(identity: Identity, _: AuthRequest) -> ReasonCode | None:
        mine = held(identity)
        return None if (wanted <= mine if every else not wanted.isdisjoint(mine)) else reason

    return Requirement(unmet, f"{label} {', '.join(sorted(wanted))}")


_SCOPE, _GROUP = ReasonCode.INSUFFICIENT_SCOPE, ReasonCode.INSUFFICIENT_GROUP
_SCOPES = attrgetter("scopes")
_GROUPS = attrgetter("groups")


def scopes_any(*scopes: str) -> Requirement:
    return _membership("any scope of", frozenset(scopes), _SCOPE, _SCOPES, every=False)


def scopes_all(*scopes: str) -> Requirement:
    return _membership("all scopes of", frozenset(scopes), _SCOPE, _SCOPES, every=True)


def groups_any(*groups: str) -> Requirement:
    return _membership("any group of", frozenset(groups), _GROUP, _GROUPS, every=False)


def groups_all(*groups: str) -> Requirement:
    return _membership("all groups of", frozenset(groups), _GROUP, _GROUPS, every=True)


def _same(actual: Any, expected: Any) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (JSON tells them apart too)."""
    return isinstance(actual, bool) is isinstance(expected, bool) and bool(actual == expected)


def claim_equals(name: str, value: Any) -> Requirement:
    return Requirement(
        lambda identity, _: (
            None
            if name in identity.claims and _same(identity.claims[name], value)
            else ReasonCode.FORBIDDEN
        ),
        f"claim {name} equals {value!r}",
    )


def claim_contains(name: str, value: Any) -> Requirement:
    """The claim is a list holding ``value``, or a space-separated string with it as one word
    (never a substring match: ``admin`` is not in ``"nonadmin"``)."""

    def unmet(identity: Identity, _: AuthRequest) -> ReasonCode | None:
        actual = identity.claims.get(name)
        items = actual.split() if isinstance(actual, str) else actual
        if isinstance(items, list | tuple) and any(_same(item, value) for item in items):
            return None
        return ReasonCode.FORBIDDEN

    return Requirement(unmet, f"claim {name} contains {value!r}")


def header_equals_claim(header: str, claim: str) -> Requirement:
    """The request's ``header`` carries exactly the value of the identity's string ``claim``
    (e.g. ``x-tenant-id`` = ``custom:tenant``). Needs a REQUEST authorizer, and the header
    among its identity sources: otherwise API Gateway's result cache, keyed on the token
    alone, would replay an Allow for a request naming another tenant."""
    import hmac  # noqa: PLC0415 - loads OpenSSL's hashlib (~2 ms): only for rules that compare

    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        sent, expected = request.header(header), identity.claims.get(claim)
        if (
            isinstance(sent, str)
            and isinstance(expected, str)
            and hmac.compare_digest(sent.encode(), expected.encode())
        ):
            return None
        return ReasonCode.FORBIDDEN

    return Requirement(unmet, f"header {header} equals claim {claim}")


def predicate(
    test: Callable[[Identity, AuthRequest], bool],
    *,
    reason: ReasonCode = ReasonCode.FORBIDDEN,
    description: str | None = None,
) -> Requirement:
    """A custom check; ``reason`` is what the log says when it returns False."""
    return Requirement(
        lambda identity, request: None if test(identity, request) is True else reason,
        description or str(getattr(test, "__name__", "predicate")),
    )


def all_of(*requirements: Requirement) -> Requirement:
    """Every requirement must hold; the first one that fails gives the reason."""
    if not requirements:
        raise ConfigurationError("all_of needs at least one requirement")

    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        for requirement in requirements:
            reason = requirement.unmet(identity, request)
            if reason is not None:
                return reason
        return None

    return Requirement(unmet, " and ".join(f"({r.description})" for r in requirements))


def any_of(*requirements: Requirement) -> Requirement:
    """One requirement must hold; if none does, their common reason, else ``forbidden``."""
    if not requirements:
        raise ConfigurationError("any_of needs at least one requirement")

    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        reasons = set()
        for requirement in requirements:
            reason = requirement.unmet(identity, request)
            if reason is None:
                return None
            reasons.add(reason)
        return reasons.pop() if len(reasons) == 1 else ReasonCode.FORBIDDEN

    return Requirement(unmet, " or ".join(f"({r.description})" for r in requirements))


#: Met by every identity the validators accepted.
AUTHENTICATED = Requirement(lambda _identity, _request: None, "authenticated")
