"""Revocation lists held in code or configuration: :class:`StaticRevocations`, and
:class:`CallableRevocations` for any other source (a database, an HTTP service)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType

from authorizers.errors import ConfigurationError, InfrastructureError
from authorizers.keystores.base import SelfCachingStore, store_unavailable
from authorizers.revocation.base import Revocation, RevokedBy, revocation_key

#: ``lookup(kind, value)``: ``True`` or a :class:`Revocation` if revoked, ``False``/``None`` if
#: not; raise to say the answer is unknown (the request then fails closed).
RevocationLookup = Callable[[RevokedBy, str], "Revocation | bool | None"]


class StaticRevocations(SelfCachingStore):
    """Entries fixed at construction (checked at cold start). ``subjects`` maps a subject to
    ``None`` (all its tokens) or an epoch time (tokens issued before it)."""

    def __init__(
        self,
        *,
        jtis: Iterable[str] = (),
        origin_jtis: Iterable[str] = (),
        subjects: Mapping[str, float | None] | None = None,
        name: str = "static",
    ) -> None:
        entries: dict[str, Revocation] = {}
        try:
            for kind, values in ((RevokedBy.JTI, jtis), (RevokedBy.ORIGIN_JTI, origin_jtis)):
                for value in values:
                    entries[revocation_key(kind, value)] = Revocation()
            for subject, before in (subjects or {}).items():
                entry = Revocation.from_mapping({"before": before})
                entries[revocation_key(RevokedBy.SUBJECT, subject)] = entry
        except ValueError as error:
            raise ConfigurationError(f"revocation list: {error}") from None
        self._entries: Mapping[str, Revocation] = MappingProxyType(entries)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]:
        entries = self._entries
        return {key: entries[key] for key in keys if key in entries}


class CallableRevocations:
    """Asks a function, once per key; its answers are cached by the check like any store's."""

    def __init__(self, lookup: RevocationLookup, *, name: str = "callable") -> None:
        self._lookup = lookup
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def find(self, keys: Sequence[str]) -> Mapping[str, Revocation]:
        found: dict[str, Revocation] = {}
        for key in keys:
            kind, _, value = key.partition("#")
            try:
                answer = self._lookup(RevokedBy(kind), value)
            except InfrastructureError:
                raise
            except Exception as error:  # an unknown answer is not "not revoked": fail closed
                raise store_unavailable(self._name, error) from None
            if isinstance(answer, Revocation):
                found[key] = answer
            elif answer is True:
                found[key] = Revocation()
            elif answer not in (False, None):
                raise store_unavailable(self._name, TypeError("answer is not a bool"))
        return found
