"""Configuration builders for every validator type, and the dispatcher that picks one.

Each builder reads its own keys from a :class:`Fields` reader and builds the validator with
the library's constructor; the modules behind them are imported inside the builders, so a
cold start loads only what the configuration uses (boto3 not even then: the key stores
create their clients on first use).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from authorizers._internal.config_schema import (
    BuildContext,
    ConfigFieldError,
    Fields,
    reported_at,
)
from authorizers._internal.config_sender import build_cert_bound, build_dpop
from authorizers._internal.config_tokens import (
    build_cognito,
    build_introspection,
    build_jwt,
    build_oidc,
)

if TYPE_CHECKING:
    from authorizers._internal.cidr import IPNetwork
    from authorizers.keystores._aws import AwsClientSettings
    from authorizers.keystores.base import KeyStore
    from authorizers.validator import Validator
    from authorizers.validators.api_key import ApiKeyLocation
    from authorizers.validators.request_params import ClientCertRule, ValueMatch

Builder = Callable[[Fields, BuildContext, "str | None"], "Validator"]
STORE_TYPES = ("static", "dynamodb", "secrets_manager", "ssm")
_MAX_TTL = 3600.0


def _named(name: str | None) -> dict[str, Any]:
    return {} if name is None else {"name": name}


def build_validator(fields: Fields, context: BuildContext) -> Validator:
    """``{"type": ..., "name": ..., <settings of that type>}``."""
    with fields:
        kind = fields.choice("type", tuple(BUILDERS))
        name = fields.text("name")
        return BUILDERS[kind](fields, context, name)


def build_validators(fields: Fields, key: str, context: BuildContext) -> list[Validator]:
    return [build_validator(item, context) for item in fields.children(key, required=True)]


# -- composition ------------------------------------------------------------------------------


def _any_of(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validator import AnyOf  # noqa: PLC0415 - lazy

    return AnyOf(*build_validators(fields, "validators", context), name=name or "any_of")


def _all_of(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validator import AllOf  # noqa: PLC0415 - lazy

    return AllOf(*build_validators(fields, "validators", context), name=name or "all_of")


# -- API keys ---------------------------------------------------------------------------------


def _aws(fields: Fields) -> AwsClientSettings:
    from authorizers.keystores._aws import AwsClientSettings  # noqa: PLC0415 - lazy

    return AwsClientSettings(
        region_name=fields.text("region"), endpoint_url=fields.text("endpoint_url")
    )


def _store(fields: Fields) -> KeyStore:
    """``static`` (records by key hash, in the document), ``dynamodb``, ``secrets_manager``
    or ``ssm``; the AWS ones take ``region`` and ``endpoint_url``."""
    with fields:
        kind = fields.choice("type", STORE_TYPES)
        if kind == "static":
            from authorizers.keystores.static import StaticKeyStore  # noqa: PLC0415 - lazy

            records = fields.mapping("keys", required=True)
            with reported_at(fields.at("keys")):
                return StaticKeyStore(records or {})
        settings = _aws(fields)
        if kind == "dynamodb":
            from authorizers.keystores.dynamodb import DynamoDBKeyStore  # noqa: PLC0415

            return DynamoDBKeyStore(
                fields.need_text("table"),
                partition_key=fields.text("partition_key", "key_hash") or "key_hash",
                consistent_read=fields.flag("consistent_read", False),
                settings=settings,
            )
        ttl = fields.number("ttl", 300.0, positive=True, maximum=_MAX_TTL)
        if kind == "secrets_manager":
            from authorizers.keystores.secrets_manager import (  # noqa: PLC0415 - lazy
                SecretsManagerKeyStore,
            )

            return SecretsManagerKeyStore(fields.need_text("secret_id"), ttl=ttl, settings=settings)
        from authorizers.keystores.ssm import SsmKeyStore  # noqa: PLC0415 - lazy

        path = fields.need_text("path")
        with reported_at(fields.at("path")):
            return SsmKeyStore(path, ttl=ttl, settings=settings)


def _key_location(fields: Fields) -> ApiKeyLocation | None:
    from authorizers.validators.api_key import ApiKeyLocation  # noqa: PLC0415 - lazy

    places = {
        "header": ApiKeyLocation.header,
        "query": ApiKeyLocation.query,
        "authorization_scheme": ApiKeyLocation.authorization,
    }
    given = [(key, value) for key in places if (value := fields.text(key)) is not None]
    if len(given) > 1:
        raise ConfigFieldError(
            fields.path, "give at most one of header, query, authorization_scheme"
        )
    if not given:
        return None
    key, value = given[0]
    with reported_at(fields.at(key)):
        return places[key](value)


def _api_key(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.api_key import ApiKeyValidator  # noqa: PLC0415 - lazy

    store = _store(fields.need_child("store"))
    return ApiKeyValidator(
        store,
        location=_key_location(fields),
        usage_identifier=fields.flag("usage_identifier", False),
        cache_ttl=fields.number("cache_ttl", 300.0, minimum=0, maximum=_MAX_TTL),
        negative_cache_ttl=fields.number("negative_cache_ttl", 30.0, minimum=0, maximum=_MAX_TTL),
        clock=context.clock,
        **_named(name),
    )


# -- request parameters, client certificates, HMAC signatures ---------------------------------


def _networks(fields: Fields, key: str) -> list[IPNetwork]:
    from authorizers._internal.cidr import parse_network  # noqa: PLC0415 - lazy

    networks = []
    for path, text in fields.items(key):  # a given list may not be empty: [] is no rule
        if not isinstance(text, str):
            raise ConfigFieldError(path, "must be a CIDR block as a string")
        with reported_at(path):
            networks.append(parse_network(text))
    return networks


def _value_match(fields: Fields | None) -> ValueMatch | None:
    from authorizers.validators.request_params import ValueMatch  # noqa: PLC0415 - lazy

    if fields is None:
        return None
    with fields:
        one_of = fields.texts("one_of")
        with reported_at(fields.path):
            return ValueMatch(
                fields.text("equals"),
                None if one_of is None else frozenset(one_of),
                fields.text("regex"),
            )


def _client_cert(fields: Fields | None) -> ClientCertRule | None:
    from authorizers.validators.request_params import ClientCertRule  # noqa: PLC0415 - lazy

    if fields is None:
        return None
    with fields:
        serials = fields.texts("serial_numbers")
        return ClientCertRule(
            subject_dn=_value_match(fields.child("subject_dn")),
            issuer_dn=_value_match(fields.child("issuer_dn")),
            serial_numbers=None if serials is None else frozenset(serials),
            check_validity=fields.flag("check_validity", True),
        )


def _request(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.request_params import (  # noqa: PLC0415 - lazy
        ParamRule,
        RequestValidator,
    )

    rules = []
    for path, rule in fields.items("rules"):
        with reported_at(path):
            rules.append(ParamRule.from_mapping(rule))
    settings: dict[str, Any] = {
        "allow_cidrs": _networks(fields, "allow_cidrs"),
        "deny_cidrs": _networks(fields, "deny_cidrs"),
        "client_cert": _client_cert(fields.child("client_cert")),
        "principal": fields.text("principal", "anonymous"),
        "principal_from": fields.text("principal_from"),
    }
    with reported_at(fields.path):
        return RequestValidator(rules, clock=context.clock, **settings, **_named(name))


def _hmac(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    from authorizers.validators.hmac_signature import (  # noqa: PLC0415 - lazy
        HmacSecrets,
        HmacSignatureValidator,
        SecretsManagerHmacSecrets,
        SignatureScheme,
        StaticHmacSecrets,
    )

    inline = fields.mapping("secrets")
    managed = fields.child("secrets_manager")
    if (inline is None) == (managed is None):
        raise ConfigFieldError(fields.path, "give exactly one of secrets, secrets_manager")
    secrets: HmacSecrets
    if managed is not None:
        with managed:
            ttl = managed.number("ttl", 300.0, positive=True, maximum=_MAX_TTL)
            secret_id = managed.need_text("secret_id")
            secrets = SecretsManagerHmacSecrets(secret_id, ttl=ttl, settings=_aws(managed))
    else:
        with reported_at(fields.at("secrets")):
            secrets = StaticHmacSecrets(inline or {})
    headers = ("key_id_header", "timestamp_header", "signature_header")
    named_headers = {key: value for key in headers if (value := fields.text(key)) is not None}
    with reported_at(fields.path):
        scheme = SignatureScheme(
            fields.text_list("signed_headers"),
            fields.text_list("signed_query"),
            **named_headers,
            version=fields.integer("version", minimum=1, maximum=2) or 2,
        )
    return HmacSignatureValidator(
        secrets,
        scheme=scheme,
        max_skew=fields.number("max_skew", 300.0, positive=True, maximum=_MAX_TTL),
        clock=context.clock,
        **_named(name),
    )


BUILDERS: dict[str, Builder] = {
    "jwt": build_jwt,
    "cognito": build_cognito,
    "oidc": build_oidc,
    "introspection": build_introspection,
    "api_key": _api_key,
    "request": _request,
    "hmac": _hmac,
    "dpop": build_dpop,
    "cert_bound": build_cert_bound,
    "any_of": _any_of,
    "all_of": _all_of,
}
