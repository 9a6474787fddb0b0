"""Requirements: conditions an accepted identity (and its request) must meet to call a route.

Route rules (:mod:`authorizers.rules`) and the configuration's ``requires`` both take them. A
requirement answers *why* it is not met with a :class:`~authorizers.errors.ReasonCode`, so a
403 says ``insufficient_scope`` rather than only "no".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol

from authorizers._internal import setting_checks as checks
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

    def __and__(self, other: Requirement | EstablishedBy) -> Requirement:
        if isinstance(other, EstablishedBy):
            return other & self
        return all_of(self, other)

    def __or__(self, other: Requirement) -> Requirement:
        return any_of(self, other)

    def __repr__(self) -> str:
        return f"Requirement({self.description})"


@dataclass(frozen=True, slots=True)
class EstablishedBy:
    """Restricts requirements to what one validator (by name) and/or issuer established:
    ``from_validator("cognito") & groups_any("admins")``. Behind ``AnyOf``/``AllOf`` several
    identity providers feed one identity; an unscoped ``groups_any("admins")`` is met by any
    of them (see docs/recipes.md, "several identity providers")."""

    validator: str | None = None
    issuer: str | None = None

    def __post_init__(self) -> None:
        if self.validator is None and self.issuer is None:
            raise ConfigurationError("EstablishedBy needs a validator name or an issuer")
        for field, value in (("validator", self.validator), ("issuer", self.issuer)):
            if value is not None:
                checks.name(value, field)

    def __and__(self, requirement: Requirement) -> Requirement:
        return _scoped(requirement, self)

    __rand__ = __and__

    def describe(self) -> str:
        parts = [f"validator {self.validator}" if self.validator else "", self.issuer or ""]
        return "from " + " ".join(part for part in parts if part)


def from_validator(name: str, *, issuer: str | None = None) -> EstablishedBy:
    """What the validator called ``name`` established (optionally: for ``issuer``)."""
    return EstablishedBy(name, issuer)


def from_issuer(issuer: str) -> EstablishedBy:
    """What tokens of ``issuer`` (their exact ``iss``) established."""
    return EstablishedBy(None, issuer)


@cache
def _scoped(requirement: Requirement, scope: EstablishedBy) -> Requirement:
    def unmet(identity: Identity, request: AuthRequest) -> ReasonCode | None:
        mine = identity.established_by(validator=scope.validator, issuer=scope.issuer)
        if mine is None:
            return ReasonCode.FORBIDDEN
        return requirement.unmet(mine, request)

    return Requirement(unmet, f"{scope.describe()}: {requirement.description}")


def _scope(validator: str | None, issuer: str | None) -> EstablishedBy | None:
    return None if validator is None and issuer is None else EstablishedBy(validator, issuer)


@cache  # scopes_any("a") twice is one object: AccessRules evaluates it once per request
def _membership(
    label: str,
    wanted: frozenset[str],
    reason: ReasonCode,
    held: Callable[[Identity], frozenset[str]],
    *,
    every: bool,
) -> Requirement:

    def unmet(identity: Identity, _: AuthRequest) -> ReasonCode | None:
        mine = held(identity)
        return None if (wanted <= mine if every else not wanted.isdisjoint(mine)) else reason

    return Requirement(unmet, f"{label} {', '.join(sorted(wanted))}")


_SCOPE, _GROUP = ReasonCode.INSUFFICIENT_SCOPE, ReasonCode.INSUFFICIENT_GROUP
_SCOPES = attrgetter("scopes")
_GROUPS = attrgetter("groups")


class Membership(Protocol):
    """``scopes_any("a", "b")`` or ``scopes_any(["a", "b"])``; ``validator=``/``issuer=``
    restrict it (:class:`EstablishedBy`)."""

    def __call__(
        self,
        *names: str | Iterable[str],
        validator: str | None = None,
        issuer: str | None = None,
    ) -> Requirement: ...


def _membership_requirement(
    field: str,
    label: str,
    reason: ReasonCode,
    held: Callable[[Identity], frozenset[str]],
    *,
    every: bool,
) -> Membership:
    check = checks.scopes if reason is _SCOPE else checks.names  # group names may hold spaces

    def build(
        *names: str | Iterable[str], validator: str | None = None, issuer: str | None = None
    ) -> Requirement:
        """Names one by one or as lists (``scopes_any("a", "b")`` = ``scopes_any(["a", "b"])``);
        ``validator=``/``issuer=`` scope it: only that validator's (issuer's) scopes or
        groups count, never another identity provider's of the same name."""
        wanted = check([n for group in names for n in check(group, field)], field, single=False)
        requirement = _membership(label, wanted, reason, held, every=every)
        scope = _scope(validator, issuer)
        return requirement if scope is None else scope & requirement

    return build


scopes_any = _membership_requirement("scopes_any", "any scope of", _SCOPE, _SCOPES, every=False)
scopes_all = _membership_requirement("scopes_all", "all scopes of", _SCOPE, _SCOPES, every=True)
groups_any = _membership_requirement("groups_any", "any group of", _GROUP, _GROUPS, every=False)
groups_all = _membership_requirement("groups_all", "all groups of", _GROUP, _GROUPS, every=True)


def _same(actual: Any, expected: Any) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (JSON tells them apart too)."""
    return isinstance(actual, bool) is isinstance(expected, bool) and bool(actual == expected)


def claim_equals(name: str, value: Any) -> Requirement:
    checks.name(name, "claim_equals: the claim name")
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
    checks.name(name, "claim_contains: the claim name")
    if value is None or value == "":
        raise ConfigurationError(f"claim_contains {name}: the value must not be empty")

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

    checks.name(header, "header_equals_claim: header")
    checks.name(claim, "header_equals_claim: claim")

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
