"""What a JWT of one issuer must satisfy: :class:`IssuerConfig`, and the claim checks it
compiles to - time, audience, required values, scopes and groups.

Kept apart from :mod:`authorizers.validators.jwt` (the verification pipeline) so the rules
read as a list. Claims are attacker-chosen JSON even after the signature checks out (a buggy
or compromised client of the issuer may mint odd values), so every reader checks types:
a ``scope`` that is not a string is refused rather than ignored (dates: ``token_times``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authorizers import _setting_checks as checks
from authorizers.errors import ConfigurationError, Forbidden, ReasonCode, Unauthorized
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource
from authorizers.validators._signature import SUPPORTED_ALGORITHMS
from authorizers.validators.token_times import DEFAULT_LEEWAY

#: ``check(header, claims, key)``: raise an ``AuthorizerError`` to refuse the token.
CustomCheck = Callable[[Mapping[str, Any], Mapping[str, Any], VerificationKey], None]
Strings = str | Sequence[str]
FilePath = str | os.PathLike[str]


def _strings(value: Any, name: str, *, split: bool) -> frozenset[str]:
    """A claim holding one string or a list of strings, as a set."""
    if isinstance(value, str):
        return frozenset(value.split() if split else (value,))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} is not a string or string list")


def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """Scopes from ``scope`` (RFC 8693/9068: space-delimited string) and ``scp`` (string or
    list, as Okta and Entra ID send it); the union when both are present."""
    scopes = _NO_SCOPES
    if "scope" in claims:
        value = claims["scope"]
        if type(value) is not str:
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'scope' is not a string")
        scopes = frozenset(value.split())
    if "scp" in claims:
        scopes |= _strings(claims["scp"], "scp", split=True)
    return scopes


_NO_SCOPES: frozenset[str] = frozenset()


def groups_of(claims: Mapping[str, Any], name: str | None) -> frozenset[str]:
    """Groups from a list-of-strings claim (a single string counts as one group); none
    unless the issuer's groups claim is named (no default: see ``IssuerConfig``)."""
    if name is None or name not in claims:
        return _NO_SCOPES
    return _strings(claims[name], name, split=False)


def normalize_token_type(value: str) -> str:
    """RFC 7515 §4.1.9: media types are case-insensitive and ``application/`` may be left out."""
    value = value.lower()
    return value.removeprefix("application/") if value.count("/") == 1 else value


def context_value(value: Any) -> str | int | float | bool | None:
    """Flatten a claim to a value every API kind accepts in ``context`` (scalars only: REST
    and WebSocket reject lists and maps). Lists become comma-joined strings (``a,b``; non-
    string items as JSON), maps compact JSON; ``None`` means "leave out" (null, NaN)."""
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return ",".join(item if isinstance(item, str) else _json(item) for item in value)
    if isinstance(value, dict):
        return _json(value)
    return None


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _same_json(a: Any, b: Any) -> bool:
    # ``True == 1`` and ``1 == 1.0`` in Python, not in JSON: compare types too.
    return type(a) is type(b) and a == b


def as_set(values: str | Iterable[str] | None) -> frozenset[str]:
    """One string or several as a set (``None``: empty)."""
    if values is None:
        return frozenset()
    return frozenset((values,) if isinstance(values, str) else values)


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """The static (time-independent) claim rules of one issuer, compiled once."""

    audiences: frozenset[str] | None  # None: audience not checked
    client_ids: frozenset[str]
    required: tuple[str, ...] = ()
    equal: tuple[tuple[str, Any], ...] = ()
    contain: tuple[tuple[str, frozenset[str]], ...] = ()
    scopes_any: frozenset[str] = frozenset()
    scopes_all: frozenset[str] = frozenset()
    groups_any: frozenset[str] = frozenset()
    groups_all: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        audience: str | Iterable[str] | None,
        client_ids: str | Iterable[str] | None,
        required: Iterable[str] = (),
        equal: Mapping[str, Any] | None = None,
        contain: Mapping[str, str | Iterable[str]] | None = None,
        scopes_any: str | Iterable[str] | None = None,
        scopes_all: str | Iterable[str] | None = None,
        groups_any: str | Iterable[str] | None = None,
        groups_all: str | Iterable[str] | None = None,
    ) -> ClaimRules:
        return cls(
            audiences=None if audience is None else as_set(audience),
            client_ids=as_set(client_ids),
            required=tuple(required),
            equal=tuple((equal or {}).items()),
            contain=tuple((name, as_set(values)) for name, values in (contain or {}).items()),
            scopes_any=as_set(scopes_any),
            scopes_all=as_set(scopes_all),
            groups_any=as_set(groups_any),
            groups_all=as_set(groups_all),
        )

    def check_audience(self, claims: Mapping[str, Any]) -> None:
        """``aud`` must contain a configured audience, or - where client ids are configured -
        ``client_id`` must be one of them (what API Gateway's JWT authorizer accepts)."""
        audiences = self.audiences
        if audiences is not None and "aud" in claims:
            aud = claims["aud"]
            if isinstance(aud, str):  # the common case, without building a set
                if aud in audiences:
                    return
            elif not _strings(aud, "aud", split=False).isdisjoint(audiences):
                return
        if self.client_ids:
            client_id = claims.get("client_id")
            if isinstance(client_id, str) and client_id in self.client_ids:
                return
        elif audiences is None:
            return  # audience checks explicitly disabled
        raise Unauthorized(ReasonCode.WRONG_AUDIENCE, "token is not for this audience")

    def check(self, claims: Mapping[str, Any]) -> None:
        """Audience, ``jti`` type, required, exact and contained values (401 on failure)."""
        self.check_audience(claims)
        if "jti" in claims and type(claims["jti"]) is not str:  # RFC 7519 §4.1.7
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'jti' is not a string")
        for name in self.required:
            if claims.get(name) is None:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
        for name, expected in self.equal:
            if name not in claims:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
            if not _same_json(claims[name], expected):
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} has the wrong value")
        for name, wanted in self.contain:
            if name not in claims:
                raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{name!r} is required")
            if not wanted <= _strings(claims[name], name, split=False):
                raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{name!r} lacks a required value")

    def authorize(self, scopes: frozenset[str], groups: frozenset[str]) -> None:
        """Scope and group requirements. A valid identity that lacks them is *Forbidden*
        (403): the caller is known, just not allowed, and asking again with the same token
        cannot help - a 401 would invite a pointless re-authentication."""
        if (self.scopes_any and scopes.isdisjoint(self.scopes_any)) or not (
            self.scopes_all <= scopes
        ):
            raise Forbidden(ReasonCode.INSUFFICIENT_SCOPE, "token lacks a required scope")
        if (self.groups_any and groups.isdisjoint(self.groups_any)) or not (
            self.groups_all <= groups
        ):
            raise Forbidden(ReasonCode.INSUFFICIENT_GROUP, "caller is not in a required group")


@dataclass(frozen=True)
class IssuerConfig:
    """Everything that decides whether one issuer's token is accepted.

    ``keys`` (any :class:`KeySource`) or ``jwks_url`` say where the keys come from;
    ``snapshot_file`` (with ``jwks_url``) seeds that URL's cache from a JWK Set shipped with
    the function, so a cold start needs no network.
    ``audience`` is required unless ``client_ids`` are given instead (matched against the
    ``client_id`` claim) or ``verify_audience=False`` says, explicitly, that any audience
    goes. With both, either match suffices (as API Gateway's JWT authorizer does).
    ``token_type`` (``typ``) accepts the short and the ``application/`` form alike.
    ``scopes_*``/``groups_*`` failures are 403 (Forbidden), everything else 401.
    ``context_claims`` copies claims into the authorizer context, flattened to scalars (see
    :func:`~authorizers.validators.claims.context_value`); a mapping renames them.
    ``groups_claim`` names the claim groups are read from; there is no default, because a
    ``groups`` claim means something different to every issuer (a route requiring the group
    ``admins`` must not accept another IdP's ``admins``). ``max_lifetime`` bounds ``exp - iat``
    (``exp - now`` without ``iat``): a token valid for longer than the issuer ever mints is
    refused. Empty or mistyped requirements are configuration errors, never "anything".
    """

    issuer: str
    keys: KeySource | None = None
    jwks_url: str | None = None
    snapshot_file: FilePath | None = None
    allow_http_loopback: bool = False
    audience: Strings | None = None
    verify_audience: bool = True
    client_ids: Strings | None = None
    algorithms: Sequence[str] = ("RS256",)
    leeway: float = DEFAULT_LEEWAY
    max_age: float | None = None
    token_type: Strings | None = None
    required_claims: Sequence[str] = ()
    claims_equal: Mapping[str, Any] | None = None
    claims_contain: Mapping[str, Strings] | None = None
    scopes_any: Strings | None = None
    scopes_all: Strings | None = None
    groups_any: Strings | None = None
    groups_all: Strings | None = None
    groups_claim: str | None = None
    max_lifetime: float | None = None
    checks: Sequence[CustomCheck] = ()
    principal_claim: str = "sub"
    context_claims: Sequence[str] | Mapping[str, str] = ()

    def __post_init__(self) -> None:  # refuse unsafe settings where they are written
        name = checks.name(self.issuer, "issuer")
        if (self.keys is None) == (self.jwks_url is None):
            raise ConfigurationError(f"{name}: give exactly one of keys= or jwks_url=")
        if self.snapshot_file is not None and self.jwks_url is None:
            raise ConfigurationError(f"{name}: snapshot_file seeds a jwks_url's cache: give both")
        unsupported = as_set(self.algorithms) - SUPPORTED_ALGORITHMS
        if not self.algorithms or unsupported:
            raise ConfigurationError(
                f"{name}: algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}"
                f" (none and HMAC are never accepted), not {sorted(unsupported) or '[]'}"
            )
        if not self.verify_audience:
            if self.audience is not None or self.client_ids:
                raise ConfigurationError(f"{name}: verify_audience=False but audience given")
        elif self.audience is None and not self.client_ids:
            raise ConfigurationError(
                f"{name}: an audience (or client_ids) is required; pass "
                "verify_audience=False to accept tokens for any audience"
            )
        elif self.audience is not None and not self.audience:
            raise ConfigurationError(f"{name}: audience is empty")
        if not 0 <= self.leeway <= 600:
            raise ConfigurationError(f"{name}: leeway must be 0-600 seconds")
        for limit in ("max_age", "max_lifetime"):
            value = getattr(self, limit)
            if value is not None and (isinstance(value, bool) or not value > 0):
                raise ConfigurationError(f"{name}: {limit} must be a positive number")
        self._check_requirements(name)

    def _check_requirements(self, name: str) -> None:
        names = ("audience", "client_ids", "groups_any", "groups_all", "token_type")
        for field in names:
            checks.optional_names(getattr(self, field), f"{name}: {field}")
        for field in ("scopes_any", "scopes_all"):
            if getattr(self, field) is not None:
                checks.scopes(getattr(self, field), f"{name}: {field}")
        if self.required_claims:
            checks.names(self.required_claims, f"{name}: required_claims", single=False)
        if self.claims_equal is not None:
            checks.mapping(self.claims_equal, f"{name}: claims_equal")
        if self.claims_contain is not None:
            for claim, values in checks.mapping(
                self.claims_contain, f"{name}: claims_contain"
            ).items():
                checks.names(values, f"{name}: claims_contain[{claim!r}]")
        checks.name(self.principal_claim, f"{name}: principal_claim")
        if self.groups_claim is not None:
            checks.name(self.groups_claim, f"{name}: groups_claim")
        elif self.groups_any is not None or self.groups_all is not None:
            raise ConfigurationError(
                f"{name}: groups_any/groups_all need groups_claim (the claim holding groups)"
            )


@dataclass(frozen=True, slots=True)
class IssuerRules:
    """An :class:`IssuerConfig` compiled once into what the hot path reads."""

    issuer: str
    keys: KeySource
    algorithms: frozenset[str]
    leeway: float
    max_age: float | None
    max_lifetime: float | None
    token_types: frozenset[str] | None
    rules: ClaimRules
    groups_claim: str | None
    checks: tuple[CustomCheck, ...]
    principal_claim: str
    context_claims: tuple[tuple[str, str], ...]

    @classmethod
    def compile(cls, config: IssuerConfig, keys: KeySource) -> IssuerRules:
        names = config.context_claims
        typ = config.token_type
        return cls(
            issuer=config.issuer,
            keys=keys,
            algorithms=as_set(config.algorithms),
            leeway=float(config.leeway),
            max_age=config.max_age,
            max_lifetime=config.max_lifetime,
            token_types=None if typ is None else frozenset(map(normalize_token_type, as_set(typ))),
            rules=ClaimRules.build(
                audience=config.audience if config.verify_audience else None,
                client_ids=config.client_ids,
                required=config.required_claims,
                equal=config.claims_equal,
                contain=config.claims_contain,
                scopes_any=config.scopes_any,
                scopes_all=config.scopes_all,
                groups_any=config.groups_any,
                groups_all=config.groups_all,
            ),
            groups_claim=config.groups_claim,
            checks=tuple(config.checks),
            principal_claim=config.principal_claim,
            context_claims=tuple(
                names.items() if isinstance(names, Mapping) else ((n, n) for n in names)
            ),
        )
