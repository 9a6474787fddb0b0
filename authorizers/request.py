"""The request model: one :class:`AuthRequest` for every event API Gateway sends an authorizer.

Validators read credentials only through this model, never from the raw event, so one
validator works for REST TOKEN, REST REQUEST, HTTP API 1.0/2.0 and WebSocket ``$connect``.
``parse_event`` (in :mod:`authorizers.event_parsing`) builds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from authorizers.arn import ApiArn
from authorizers.errors import ReasonCode, Unauthorized


class RequestKind(StrEnum):
    REST_TOKEN = "rest_token"
    REST_REQUEST = "rest_request"
    HTTP_V1 = "http_v1"
    HTTP_V2 = "http_v2"
    WEBSOCKET = "websocket"


class MultiMap(Mapping[str, str]):
    """A read-only map of names to one or more values (headers, query parameters).

    ``m[name]`` is the single value; if a name was sent several times with *different* values,
    reading it as a single value raises ``Unauthorized(ambiguous_credential)`` - a credential
    must never be picked from a set of conflicting ones. ``get_all`` returns every value.
    Header maps are case-insensitive (``case_insensitive=True``); query maps are not.

    The lookup index is built on first use: many requests never read their query string, and
    building it costs more than the rest of parsing an event.
    """

    __slots__ = ("_case_insensitive", "_index", "_names", "_sources")

    def __init__(
        self, values: Mapping[str, Sequence[str]] | None = None, *, case_insensitive: bool
    ) -> None:
        self._case_insensitive = case_insensitive
        self._sources: tuple[Mapping[str, Sequence[str]], ...] = (dict(values),) if values else ()
        self._index: dict[str, tuple[str, ...]] | None = None if values else {}
        self._names: dict[str, str] = {}

    @classmethod
    def from_event(
        cls,
        single: Mapping[str, str],
        multi: Mapping[str, Sequence[str]],
        *,
        case_insensitive: bool,
    ) -> MultiMap:
        """From an event's ``headers`` and ``multiValueHeaders`` (or query) maps, unmerged.

        The single map holds one value per name (the last); a value it holds that the multi
        map lacks means the event contradicts itself, so both are kept (ambiguous).
        """
        merged = cls(case_insensitive=case_insensitive)
        if single or multi:
            # Shallow copies (cheap, in C) so later changes to the event dict change nothing.
            merged._sources = (dict(multi), dict(zip(single, zip(single.values()), strict=True)))
            merged._index = None
        return merged

    def _lookup(self) -> dict[str, tuple[str, ...]]:
        index = self._index
        if index is not None:
            return index
        index, names = {}, {}
        for source in self._sources:
            for name, items in source.items():
                if not items:
                    continue
                key = name.lower() if self._case_insensitive else name
                known = index.get(key)
                if known is None:
                    index[key] = tuple(items)
                    names[key] = name
                elif known != tuple(items):
                    index[key] = (*known, *items)
        for key, items in index.items():
            if len(items) > 1:
                index[key] = tuple(dict.fromkeys(items))  # dedupe, keep order
        self._names = names
        self._index = index
        return index

    def _key(self, name: str) -> str:
        return name.lower() if self._case_insensitive else name

    def __getitem__(self, name: str) -> str:
        values = self._lookup()[self._key(name)]
        if len(values) != 1:
            raise Unauthorized(
                ReasonCode.AMBIGUOUS_CREDENTIAL, f"{self._names[self._key(name)]!r} sent twice"
            )
        return values[0]

    def get_all(self, name: str) -> tuple[str, ...]:
        return self._lookup().get(self._key(name), ())

    def __iter__(self) -> Iterator[str]:
        self._lookup()
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._lookup())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._lookup()

    def __repr__(self) -> str:
        return f"MultiMap({list(self)!r})"  # names only: values may be secret


EMPTY_HEADERS = MultiMap(case_insensitive=True)
EMPTY_QUERY = MultiMap(case_insensitive=False)
#: A shared empty read-only map (absent path parameters, stage variables, raw event).
EMPTY_MAPPING: Mapping[str, Any] = MappingProxyType({})
_EMPTY: Mapping[str, str] = EMPTY_MAPPING


@dataclass(frozen=True, slots=True)
class ClientCert:
    """The mTLS client certificate fields API Gateway passes (already verified by API Gateway
    against the truststore)."""

    pem: str | None = None
    subject_dn: str | None = None
    issuer_dn: str | None = None
    serial_number: str | None = None
    not_before: str | None = None
    not_after: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class AuthRequest:
    """What the authorizer knows about one API call.

    ``token`` is the raw ``authorizationToken`` of a REST TOKEN event (``None`` otherwise).
    ``identity_source`` holds the identity-source values (HTTP API, in order; payload 1.0 sends
    them comma-joined and they are split on commas). ``method`` and ``path`` are the concrete
    verb and path as API Gateway reports them (TOKEN events: taken from the ARN; HTTP APIs on a
    named stage: the path starts with the stage) and ``None`` for WebSocket. ``resource`` is
    the route template (``"/pets/{id}"``) when the event has one. ``route_key`` is
    ``"GET /pets/{id}"``, ``"$default"`` or ``"$connect"`` when the event says so. Access
    decisions should use ``arn``: it is what API Gateway matches the returned policy against.
    """

    kind: RequestKind
    arn: ApiArn
    token: str | None = None
    headers: MultiMap = field(default_factory=lambda: EMPTY_HEADERS)
    query: MultiMap = field(default_factory=lambda: EMPTY_QUERY)
    path_parameters: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    stage_variables: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    source_ip: str | None = None
    client_cert: ClientCert | None = None
    method: str | None = None
    path: str | None = None
    resource: str | None = None
    route_key: str | None = None
    identity_source: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    request_id: str | None = None
    raw_event: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def __repr__(self) -> str:  # never print credentials
        return f"AuthRequest(kind={self.kind.value}, arn={self.arn})"

    def header(self, name: str) -> str | None:
        """A header's single value, or ``None``; conflicting duplicates raise (see MultiMap)."""
        return self.headers.get(name)

    def authorization(self) -> str | None:
        """The Authorization value: the TOKEN event's token, else the ``Authorization`` header."""
        if self.kind is RequestKind.REST_TOKEN:
            return self.token or None
        return self.header("authorization") or None
