"""Who the caller is, as established by the validators.

An :class:`Identity` is immutable: validators create one, :class:`~authorizers.validator.AllOf`
merges several, access rules read it, the response renderer turns it into ``principalId`` and
``context``. Nothing downstream mutates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: What may go into an authorizer ``context``. REST and WebSocket accept only scalars; HTTP API
#: simple responses also accept lists and maps (checked by the response renderer).
ContextValue = str | int | float | bool | list[Any] | dict[str, Any]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Provenance:
    """What one validator established: requirements scoped to a validator or an issuer read
    only these, so an IdP's ``admins`` group never satisfies a rule meant for another's."""

    validator: str
    issuer: str | None
    claims: Mapping[str, Any]
    scopes: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True, slots=True)
class Identity:
    """The authenticated caller.

    ``validator`` names the validator that produced it (for logs). ``usage_identifier_key`` is
    the API key API Gateway should meter (usage plans), set only when a validator is asked to;
    it is a credential and never appears in ``repr``. ``sources`` records, per validator,
    what each established (filled by :meth:`merge`; see :meth:`established_by`).
    """

    principal_id: str
    validator: str
    claims: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    issuer: str | None = None
    context: Mapping[str, ContextValue] = field(default_factory=lambda: _EMPTY)
    usage_identifier_key: str | None = field(default=None, repr=False)
    sources: tuple[Provenance, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.principal_id, str) or not self.principal_id:
            raise ValueError("principal_id must be a non-empty string")

    def provenance(self) -> tuple[Provenance, ...]:
        """Who established what: one entry per validator that took part."""
        if self.sources:
            return self.sources
        own = Provenance(self.validator, self.issuer, self.claims, self.scopes, self.groups)
        return (own,)

    def established_by(
        self, *, validator: str | None = None, issuer: str | None = None
    ) -> Identity | None:
        """This identity reduced to what ``validator`` (by name) and/or ``issuer`` established:
        their claims, scopes and groups only; ``None`` if neither took part."""
        picked = [
            source
            for source in self.provenance()
            if (validator is None or source.validator == validator)
            and (issuer is None or source.issuer == issuer)
        ]
        if not picked:
            return None
        first = picked[0]
        return Identity(
            self.principal_id,
            first.validator,
            {k: v for source in reversed(picked) for k, v in source.claims.items()},
            frozenset().union(*(source.scopes for source in picked)),
            frozenset().union(*(source.groups for source in picked)),
            first.issuer,
            self.context,
            self.usage_identifier_key,
            tuple(picked),
        )

    def merge(self, other: Identity) -> Identity:
        """Combine two identities established for one request (used by ``AllOf``).

        Conflict rule: the earlier identity wins. Its principal, issuer, usage key and any
        claim or context key it already has are kept; ``other`` only adds what is missing.
        Scopes and groups are unions. The validator names are joined with ``+``; ``sources``
        keeps what each validator established apart.
        """
        return Identity(
            principal_id=self.principal_id,
            validator=f"{self.validator}+{other.validator}",
            claims={**other.claims, **self.claims},
            scopes=self.scopes | other.scopes,
            groups=self.groups | other.groups,
            issuer=self.issuer if self.issuer is not None else other.issuer,
            context={**other.context, **self.context},
            usage_identifier_key=(
                self.usage_identifier_key
                if self.usage_identifier_key is not None
                else other.usage_identifier_key
            ),
            sources=self.provenance() + other.provenance(),
        )
