"""Configuration builders for the token validators: ``jwt``, ``cognito``, ``oidc`` and
``introspection``.

The validator modules are imported inside the builders, so a configuration that only checks
API keys never loads ``cryptography``. Checks the constructors would also make are repeated
here where that lets the error name the exact field (``issuers[1].audience``); anything left
is reported at the validator's path by :func:`reported_at`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from authorizers._internal.config_schema import (
    BuildContext,
    ConfigFieldError,
    Fields,
    claim_names,
    reported_at,
)

if TYPE_CHECKING:
    from authorizers.validator import Validator

T = TypeVar("T")
DEFAULT_ALGORITHMS = ("RS256",)
TOKEN_USES = ("access", "id", "both")


def _checked_url(fields: Fields, key: str, url: str, allow_http_loopback: bool) -> str:
    from authorizers.jwks.fetch import FetchError, check_url  # noqa: PLC0415 - lazy

    try:
        check_url(url, allow_http_loopback=allow_http_loopback)
    except FetchError as error:
        raise fields.error(key, str(error)) from None
    return url


def _url(fields: Fields, key: str, allow_http_loopback: bool) -> str | None:
    """An HTTPS URL (plain HTTP to a loopback address only when allowed)."""
    url = fields.text(key)
    return None if url is None else _checked_url(fields, key, url, allow_http_loopback)


def _algorithms(fields: Fields) -> tuple[str, ...]:
    from authorizers._internal.signature import SUPPORTED_ALGORITHMS  # noqa: PLC0415 - lazy

    algorithms = fields.texts("algorithms") or DEFAULT_ALGORITHMS
    unsupported = sorted(set(algorithms) - SUPPORTED_ALGORITHMS)
    if unsupported:
        raise fields.error(
            "algorithms",
            f"{unsupported} not supported; choose from {sorted(SUPPORTED_ALGORITHMS)} "
            "(none and HMAC are never accepted)",
        )
    return algorithms


def _audience(fields: Fields) -> dict[str, Any]:
    audience = fields.texts("audience")
    client_ids = fields.texts("client_ids")
    verify = fields.flag("verify_audience", True)
    if verify and audience is None and client_ids is None:
        raise fields.missing(
            "audience", '; or give client_ids, or "verify_audience": false for any audience'
        )
    if not verify and (audience or client_ids):
        raise fields.error("verify_audience", "is false, but an audience or client_ids are given")
    settings = {"audience": audience, "client_ids": client_ids, "verify_audience": verify}
    return {name: value for name, value in settings.items() if value is not None}


def _claims_contain(fields: Fields) -> dict[str, tuple[str, ...]] | None:
    claims = fields.mapping("claims_contain")
    if claims is None:
        return None
    with Fields(claims, fields.at("claims_contain")) as wanted:
        return {name: wanted.need_texts(name) for name in claims}


def _claim_rules(fields: Fields, *, token_type: bool, groups_claim: bool) -> dict[str, Any]:
    """The claim settings every token validator shares, as ``IssuerConfig`` arguments."""
    settings: dict[str, Any] = {
        "leeway": fields.number("leeway", minimum=0, maximum=600),
        "max_age": fields.number("max_age", positive=True),
        "max_lifetime": fields.number("max_lifetime", positive=True),
        "required_claims": fields.texts("required_claims"),
        "claims_equal": fields.mapping("claims_equal"),
        "claims_contain": _claims_contain(fields),
        "scopes_any": fields.texts("scopes_any"),
        "scopes_all": fields.texts("scopes_all"),
        "groups_any": fields.texts("groups_any"),
        "groups_all": fields.texts("groups_all"),
        "principal_claim": fields.text("principal_claim"),
        "context_claims": claim_names(fields, "context_claims"),
    }
    revocation = fields.child("revocation")
    if revocation is not None:
        from authorizers._internal.config_revocation import build_revocation  # noqa: PLC0415

        settings["checks"] = [build_revocation(revocation)]
    if token_type:
        settings["token_type"] = fields.texts("typ")
    if groups_claim:
        settings["groups_claim"] = fields.text("groups_claim")
    return {name: value for name, value in settings.items() if value is not None}


def _reading(fields: Fields, context: BuildContext, name: str | None) -> dict[str, Any]:
    """Where the token is read from, the validator's name and clock, how keys are fetched."""
    options = {
        "header": fields.text("header"),
        "query_parameter": fields.text("query_parameter"),
        "name": name,
        "allow_bare_token": fields.flag("allow_bare_token", True),
    }
    reading = {k: v for k, v in options.items() if v is not None}
    return {"clock": context.clock} | reading | _fetcher(fields)


def _fetcher(fields: Fields) -> dict[str, str]:
    """``"fetcher": "requests"`` (the ``[requests]`` extra) or ``"http.client"`` (default)."""
    from authorizers.jwks.fetch import FETCHER_NAMES  # noqa: PLC0415 - lazy

    name = fields.choice("fetcher", FETCHER_NAMES, "")
    return {"fetcher": name} if name else {}


def _keys(fields: Fields, context: BuildContext) -> dict[str, Any]:
    """Exactly one of ``jwks_url`` (optionally seeded from ``snapshot_file``), ``jwks_file``
    and ``jwks`` (inline JWK Set)."""
    from authorizers.jwks.sources import StaticJwks  # noqa: PLC0415 - lazy

    loopback = fields.flag("allow_http_loopback", False)
    url = _url(fields, "jwks_url", loopback)
    snapshot = context.file(fields, "snapshot_file")
    file = context.file(fields, "jwks_file")
    inline = fields.mapping("jwks")
    given = [
        key
        for key, value in (("jwks_url", url), ("jwks_file", file), ("jwks", inline))
        if value is not None
    ]
    if len(given) != 1:
        found = f" (found {' and '.join(given)})" if given else ""
        raise ConfigFieldError(fields.path, f"give exactly one of jwks_url, jwks_file, jwks{found}")
    if url is not None:
        return {"jwks_url": url, "allow_http_loopback": loopback, "snapshot_file": snapshot}
    for key in ("allow_http_loopback", "snapshot_file"):
        if fields.raw(key) not in (None, False):
            raise fields.error(key, "applies to jwks_url only")
    with reported_at(fields.at(given[0])):
        return {"keys": StaticJwks.from_file(file) if file else StaticJwks(inline or {})}


def build_jwt(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.jwt import IssuerConfig, JwtValidator  # noqa: PLC0415 - lazy

    issuers = []
    for entry in fields.children("issuers", required=True):
        with entry, reported_at(entry.path):
            issuers.append(
                IssuerConfig(
                    entry.need_text("issuer"),
                    algorithms=_algorithms(entry),
                    **_keys(entry, context),
                    **_audience(entry),
                    **_claim_rules(entry, token_type=True, groups_claim=True),
                )
            )
    reading = _reading(fields, context, name)
    with reported_at(fields.path):
        return JwtValidator(issuers, **reading)


def _per_pool(
    fields: Fields, key: str, read: Callable[[Fields, str], T | None]
) -> T | dict[str, T] | None:
    """One value (a single pool), or an object of pool id -> value, each read by ``read``."""
    if not isinstance(fields.raw(key), dict):
        return read(fields, key)
    by_pool = fields.need_child(key)
    with by_pool:
        values = {pool: read(by_pool, pool) for pool in by_pool.names()}
        for pool, value in values.items():
            if value is None:
                raise by_pool.missing(pool)
        return {pool: value for pool, value in values.items() if value is not None}


def build_cognito(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.cognito import CognitoValidator  # noqa: PLC0415 - lazy

    pools = fields.need_texts("user_pool_ids")
    clients = fields.texts("client_ids")
    verify = fields.flag("verify_client_id", True)
    if verify and clients is None:
        raise fields.missing(
            "client_ids",
            ': the app clients whose tokens are accepted ("verify_client_id": false accepts '
            "every app client of the pool)",
        )
    if not verify and clients:
        raise fields.error("verify_client_id", "is false, but client_ids are given")
    loopback = fields.flag("allow_http_loopback", False)
    settings = {
        "token_use": fields.choice("token_use", TOKEN_USES, "access"),
        "verify_client_id": verify,
        "jwks_url": _per_pool(fields, "jwks_url", lambda at, key: _url(at, key, loopback)),
        "snapshot_file": _per_pool(fields, "snapshot_file", context.file),
        "allow_http_loopback": loopback,
        **_claim_rules(fields, token_type=False, groups_claim=False),
        **_reading(fields, context, name),
    }
    with reported_at(fields.path):
        return CognitoValidator(pools, clients, **settings)


def build_oidc(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.oidc import OidcValidator  # noqa: PLC0415 - lazy

    loopback = fields.flag("allow_http_loopback", False)
    issuer = _checked_url(fields, "issuer", fields.need_text("issuer"), loopback)
    settings: dict[str, Any] = {
        "algorithms": _algorithms(fields),
        "allow_http_loopback": loopback,
        **_audience(fields),
        **_claim_rules(fields, token_type=True, groups_claim=True),
        **_reading(fields, context, name),
    }
    timeout = fields.number("timeout", positive=True, maximum=30)
    if timeout is not None:
        settings["timeout"] = timeout
    with reported_at(fields.path):
        return OidcValidator(issuer, **settings)


def build_introspection(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers._internal.config_revocation import build_client_auth  # noqa: PLC0415
    from authorizers.validators.introspection import IntrospectionValidator  # noqa: PLC0415

    loopback = fields.flag("allow_http_loopback", False)
    settings: dict[str, Any] = {
        "client": build_client_auth(fields.need_child("client"), context),
        "endpoint": _url(fields, "endpoint", loopback),
        "allow_http_loopback": loopback,
        "token_type": fields.texts("token_type"),
        "header": fields.text("header"),
        "allow_bare_token": fields.flag("allow_bare_token", True),
        "cache_ttl": fields.number("cache_ttl", minimum=0, maximum=3600),
        "negative_cache_ttl": fields.number("negative_cache_ttl", minimum=0, maximum=3600),
        "misses_per_second": fields.number("misses_per_second", positive=True),
        "timeout": fields.number("timeout", positive=True, maximum=30),
        "name": name,
        **_audience(fields),
        **_claim_rules(fields, token_type=False, groups_claim=True),
    }
    issuer = _checked_url(fields, "issuer", fields.need_text("issuer"), loopback)
    options = {key: value for key, value in settings.items() if value is not None}
    with reported_at(fields.path):
        return IntrospectionValidator(issuer, clock=context.clock, **options)
