"""A key store held in configuration: records keyed by key hash, for small fixed key sets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.keystores.base import KeyRecord, SelfCachingStore, require_key_hash


class StaticKeyStore(SelfCachingStore):
    """Records given at construction, validated at cold start so a bad entry fails the deploy,
    not a request. Values may be :class:`KeyRecord` objects or their JSON form."""

    def __init__(
        self, records: Mapping[str, KeyRecord | Mapping[str, Any]], *, name: str = "static"
    ) -> None:
        parsed: dict[str, KeyRecord] = {}
        for key_hash, record in records.items():
            require_key_hash(key_hash)
            if isinstance(record, KeyRecord):
                parsed[key_hash] = record
                continue
            try:
                parsed[key_hash] = KeyRecord.from_mapping(record)
            except ValueError as error:
                raise ConfigurationError(f"static key record {key_hash[:8]}…: {error}") from None
        self._records: Mapping[str, KeyRecord] = MappingProxyType(parsed)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def lookup(self, key_hash: str) -> KeyRecord | None:
        return self._records.get(key_hash)
