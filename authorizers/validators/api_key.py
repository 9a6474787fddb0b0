"""API keys: a presented key is hashed and looked up in a key store.

The key is read from one place (a header, a query parameter, or an ``Authorization`` scheme such
as ``ApiKey <key>``), hashed with SHA-256 and looked up; the record's owner becomes the
principal. Only the hash ever reaches a store, a log line or an error. Optionally the key is
handed back as ``usageIdentifierKey`` so API Gateway usage plans meter and throttle it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from authorizers.clock import Clock, MonotonicClock, monotonic_clock, system_clock
from authorizers.errors import AuthorizerError, ConfigurationError, ReasonCode, Unauthorized
from authorizers.identity import ContextValue, Identity
from authorizers.keystores.base import (
    KeyRecord,
    KeyStore,
    SelfCachingStore,
    hash_api_key,
    new_api_key,
    store_unavailable,
)
from authorizers.keystores.cached import CachedKeyStore
from authorizers.request import AuthRequest, RequestKind
from authorizers.validators._parts import NamedValidator

__all__ = ["ApiKeyLocation", "ApiKeyValidator", "hash_api_key", "new_api_key"]

#: Printable ASCII without spaces, bounded: anything else cannot be a key we issued, so it is
#: refused before hashing or a store call (a flood of junk never reaches the store).
_KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,1024}")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")


class _Place(StrEnum):
    HEADER = "header"
    QUERY = "query"
    AUTHORIZATION = "authorization"


@dataclass(frozen=True, slots=True)
class ApiKeyLocation:
    """Where the key is sent. Build with :meth:`header`, :meth:`query` or
    :meth:`authorization`; on a REST TOKEN event the token *is* the configured header's value."""

    place: _Place
    name: str

    @classmethod
    def header(cls, name: str = "x-api-key") -> ApiKeyLocation:
        return cls(_Place.HEADER, _checked(name, "header name"))

    @classmethod
    def query(cls, name: str = "api_key") -> ApiKeyLocation:
        return cls(_Place.QUERY, _checked(name, "query parameter name"))

    @classmethod
    def authorization(cls, scheme: str = "ApiKey") -> ApiKeyLocation:
        if not _SCHEME.fullmatch(scheme):
            raise ConfigurationError("authorization scheme must be an RFC 9110 token")
        return cls(_Place.AUTHORIZATION, scheme)

    def describe(self) -> str:
        if self.place is _Place.AUTHORIZATION:
            return f"Authorization: {self.name} <key>"
        return f"{self.place.value} {self.name!r}"


def _checked(name: str, what: str) -> str:
    if not name or not name.isprintable() or " " in name:
        raise ConfigurationError(f"{what} must be a non-empty printable name")
    return name


class ApiKeyValidator(NamedValidator):
    """Validates API keys against a :class:`~authorizers.keystores.base.KeyStore`.

    Stores that call AWS are wrapped in a :class:`CachedKeyStore` (``cache_ttl`` seconds for
    known keys, ``negative_cache_ttl`` for unknown ones; ``cache_ttl=0`` turns caching off).
    ``usage_identifier=True`` returns the key as ``usageIdentifierKey`` (REST APIs whose API
    key source is ``AUTHORIZER``); it is off by default so keys never travel further than needed.
    """

    def __init__(
        self,
        store: KeyStore,
        *,
        location: ApiKeyLocation | None = None,
        usage_identifier: bool = False,
        cache_ttl: float = 300.0,
        negative_cache_ttl: float = 30.0,
        cache_size: int = 1024,
        clock: Clock = system_clock,
        monotonic: MonotonicClock = monotonic_clock,
        name: str = "api_key",
    ) -> None:
        if not isinstance(store, KeyStore):
            raise ConfigurationError("store must have a 'name' and a 'lookup(key_hash)' method")
        if cache_ttl > 0 and not isinstance(store, SelfCachingStore):
            store = CachedKeyStore(
                store,
                ttl=cache_ttl,
                negative_ttl=negative_cache_ttl,
                maxsize=cache_size,
                negative_maxsize=cache_size * 4,
                monotonic=monotonic,
            )
        self.store = store
        self.location = location or ApiKeyLocation.header()
        self.usage_identifier = usage_identifier
        self._clock = clock
        super().__init__(name)

    def validate(self, request: AuthRequest) -> Identity:
        key = self.presented_key(request)
        if key is None:
            raise Unauthorized(
                ReasonCode.MISSING_CREDENTIAL, f"no API key in {self.location.describe()}"
            )
        if not _KEY_SHAPE.fullmatch(key):
            raise Unauthorized(ReasonCode.UNKNOWN_API_KEY, "API key is not well-formed")
        record = self._lookup(hash_api_key(key))
        if record is None:
            raise Unauthorized(ReasonCode.UNKNOWN_API_KEY, "API key is not known")
        self._check_usable(record)
        return self._identity(record, key)

    def presented_key(self, request: AuthRequest) -> str | None:
        """The key as sent, or ``None`` if this location holds nothing (never logged)."""
        place = self.location.place
        if request.kind is RequestKind.REST_TOKEN:
            if place is _Place.QUERY:
                raise Unauthorized(
                    ReasonCode.MISSING_CREDENTIAL,
                    "a TOKEN authorizer receives no query parameters: use a REQUEST authorizer",
                )
            value = request.token or None
        elif place is _Place.HEADER:
            value = request.header(self.location.name) or None
        elif place is _Place.QUERY:
            value = request.query.get(self.location.name) or None
        else:
            value = request.authorization()
        if place is _Place.AUTHORIZATION and value is not None:
            return _from_scheme(value, self.location.name)
        return value

    def _lookup(self, key_hash: str) -> KeyRecord | None:
        """Any store fault, even from a custom store that raises something unexpected, fails
        closed as ``store_unavailable`` - never as "unknown key"."""
        try:
            return self.store.lookup(key_hash)
        except AuthorizerError:
            raise
        except Exception as error:
            raise store_unavailable(self.store.name, error) from None

    def _check_usable(self, record: KeyRecord) -> None:
        label = f"key {record.key_id!r} of {record.owner!r}" if record.key_id else "key"
        if not record.enabled:
            raise Unauthorized(ReasonCode.DISABLED_API_KEY, f"{label} is disabled")
        now = self._clock()
        if record.not_before is not None and now < record.not_before:
            raise Unauthorized(ReasonCode.API_KEY_NOT_YET_VALID, f"{label} is not valid yet")
        if record.expires_at is not None and now >= record.expires_at:
            raise Unauthorized(ReasonCode.EXPIRED_API_KEY, f"{label} has expired")

    def _identity(self, record: KeyRecord, key: str) -> Identity:
        facts = {"owner": record.owner, "key_id": record.key_id, "plan": record.plan}
        known = {name: value for name, value in facts.items() if value is not None}
        context: dict[str, ContextValue] = {
            name: value for name, value in known.items() if name != "owner"
        }
        context.update(record.context)  # the record's own context wins
        return Identity(
            principal_id=record.owner,
            validator=self._name,
            claims=known,
            scopes=record.scopes,
            groups=record.groups,
            context=context,
            usage_identifier_key=key if self.usage_identifier else None,
        )


def _from_scheme(value: str, scheme: str) -> str | None:
    """``"ApiKey abc"`` -> ``"abc"`` (scheme case-insensitive, RFC 9110). Another scheme means
    this credential is not ours: ``None``, so ``AnyOf`` can try the next validator."""
    given, _, rest = value.strip().partition(" ")
    if given.casefold() != scheme.casefold():
        return None
    return rest.strip(" ") or None
