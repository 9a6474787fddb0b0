"""The validator interface and its composition (any-of / all-of).

A validator looks at an :class:`~authorizers.request.AuthRequest` and either returns an
:class:`~authorizers.identity.Identity` or raises an :class:`~authorizers.errors.AuthorizerError`.
It never builds a response.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from authorizers._internal.validator_parts import NamedValidator
from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)

if TYPE_CHECKING:
    from authorizers.identity import Identity
    from authorizers.request import AuthRequest


@runtime_checkable
class Validator(Protocol):
    """Anything with a ``name`` and ``validate(request) -> Identity``.

    Optional: a class attribute ``per_request = True`` when the verdict depends on the
    request's method, path, query, body or a time window (read with ``getattr``; see
    :class:`~authorizers._internal.validator_parts.NamedValidator`)."""

    @property
    def name(self) -> str: ...

    def validate(self, request: AuthRequest) -> Identity: ...


def _most_telling(errors: Sequence[AuthorizerError]) -> AuthorizerError:
    """Pick the error to surface when every alternative failed.

    An infrastructure fault wins (the caller may well be valid: fail closed, don't claim 401);
    then a Forbidden (a valid identity was refused); then a credential that was present but
    bad, over a credential that was simply absent.
    """
    for kind in (InfrastructureError, Forbidden):
        for error in errors:
            if isinstance(error, kind):
                return error
    for error in errors:
        if error.reason is not ReasonCode.MISSING_CREDENTIAL:
            return error
    return errors[0]


class _Composition(NamedValidator):
    """What :class:`AnyOf` and :class:`AllOf` share: at least one validator, a name, and
    ``per_request`` when any child is (whichever child decides, its answer must not be
    replayed on another request)."""

    def __init__(self, validators: tuple[Validator, ...], name: str) -> None:
        if not validators:
            raise ConfigurationError(f"{type(self).__name__} needs at least one validator")
        super().__init__(name)
        self.validators = validators
        # an instance attribute shadowing NamedValidator's class default
        self.per_request = any(getattr(v, "per_request", False) for v in validators)


class AnyOf(_Composition):
    """The first validator that succeeds decides (e.g. JWT for people, API key for machines)."""

    def __init__(self, *validators: Validator, name: str = "any_of") -> None:
        super().__init__(validators, name)

    def validate(self, request: AuthRequest) -> Identity:
        errors: list[AuthorizerError] = []
        for validator in self.validators:
            try:
                return validator.validate(request)
            except AuthorizerError as error:
                errors.append(error)
        raise _most_telling(errors)


class AllOf(_Composition):
    """Every validator must succeed; their identities merge (see :meth:`Identity.merge`)."""

    def __init__(self, *validators: Validator, name: str = "all_of") -> None:
        super().__init__(validators, name)

    def validate(self, request: AuthRequest) -> Identity:
        identity: Identity | None = None
        for validator in self.validators:
            found = validator.validate(request)
            identity = found if identity is None else identity.merge(found)
        if identity is None:  # pragma: no cover - guarded by __init__
            raise Unauthorized(ReasonCode.MISSING_CREDENTIAL)
        return identity
