"""The keyword arguments the token validators share, typed (PEP 692 ``Unpack``), and how they
reach remote keys.

:class:`~authorizers.validators.jwt.JwtValidator`, ``CognitoValidator`` and ``OidcValidator``
take the same options for reading the token, fetching keys (``fetcher``, ``monotonic``,
``timeout``, ``jwks_options``) and checking claims, so a misspelt one (``jwks_ulr=``) fails
``mypy --strict`` in the caller's code, not only at run time. The profiles forward
:class:`ValidatorOptions` to ``JwtValidator`` unchanged; every ``RemoteJwks`` a validator needs
(a JWKS URL, an OIDC provider's ``jwks_uri``) is built by ``KeyFetching.remote``
(:mod:`authorizers.jwks.sources`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from authorizers.clock import Clock, MonotonicClock
from authorizers.jwks.fetch import Fetcher
from authorizers.jwks.sources import JwksTuning, KeyFetching, KeySource
from authorizers.validators.claims import CustomCheck, FilePath, Strings


class ValidatorOptions(TypedDict, total=False):
    """``JwtValidator``'s own keyword arguments (but ``name``), which the profiles forward."""

    header: str | None
    query_parameter: str | None
    allow_bare_token: bool
    clock: Clock
    max_token_bytes: int
    cache_size: int
    fetcher: Fetcher | str | None
    monotonic: MonotonicClock
    timeout: float
    jwks_options: JwksTuning | None


class ClaimSettings(TypedDict, total=False):
    """Issuer settings (``IssuerConfig`` fields) every token validator takes."""

    leeway: float
    max_age: float | None
    max_lifetime: float | None
    required_claims: Sequence[str]
    claims_equal: Mapping[str, Any] | None
    claims_contain: Mapping[str, Strings] | None
    scopes_any: Strings | None
    scopes_all: Strings | None
    groups_any: Strings | None
    groups_all: Strings | None
    principal_claim: str
    context_claims: Sequence[str] | Mapping[str, str]
    checks: Sequence[CustomCheck]


class KeySettings(TypedDict, total=False):
    """Where one issuer's keys come from: ``keys`` (any ``KeySource``) or ``jwks_url``,
    optionally seeded from ``snapshot_file`` (a JWK Set shipped with the function: no fetch
    at cold start)."""

    keys: KeySource | None
    jwks_url: str | None
    snapshot_file: FilePath | None
    allow_http_loopback: bool


class IssuerSettings(ClaimSettings, KeySettings, total=False):
    """One issuer's settings as keyword arguments: the fields of ``IssuerConfig``."""

    issuer: str
    audience: Strings | None
    verify_audience: bool
    client_ids: Strings | None
    algorithms: Sequence[str]
    token_type: Strings | None
    groups_claim: str | None


class CognitoOptions(ValidatorOptions, ClaimSettings, total=False):
    """What ``CognitoValidator`` forwards: the pool sets audience, algorithms and groups."""


class OidcOptions(ValidatorOptions, ClaimSettings, total=False):
    """What ``OidcValidator`` forwards, with the settings an OpenID provider leaves open."""

    verify_audience: bool
    client_ids: Strings | None
    token_type: Strings | None
    groups_claim: str | None


_VALIDATOR_KEYS = ValidatorOptions.__optional_keys__


def split_options(options: Mapping[str, Any]) -> tuple[ValidatorOptions, dict[str, Any]]:
    """``(JwtValidator options, issuer settings)`` from one set of keyword arguments."""
    validator = {name: value for name, value in options.items() if name in _VALIDATOR_KEYS}
    issuer = {name: value for name, value in options.items() if name not in _VALIDATOR_KEYS}
    return ValidatorOptions(**validator), issuer  # type: ignore[typeddict-item]


#: The validator options that say how keys are fetched: ``KeyFetching``'s own fields.
_FETCHING_KEYS = ("fetcher", "monotonic", "timeout", "jwks_options")


def key_fetching(options: ValidatorOptions) -> KeyFetching:
    """The fetching part of validator options (``KeyFetching``'s defaults for the rest)."""
    given: dict[str, Any] = {name: options.get(name) for name in _FETCHING_KEYS if name in options}
    return KeyFetching(**given)


__all__ = [
    "ClaimSettings",
    "CognitoOptions",
    "IssuerSettings",
    "JwksTuning",
    "KeyFetching",
    "KeySettings",
    "OidcOptions",
    "ValidatorOptions",
    "key_fetching",
    "split_options",
]
