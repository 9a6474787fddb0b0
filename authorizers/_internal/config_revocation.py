"""Configuration builders for the ``revocation`` setting of the token validators and for the
``client`` an ``introspection`` validator authenticates as (see ``docs/configuration.md``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authorizers._internal.config_schema import BuildContext, ConfigFieldError, Fields, reported_at

if TYPE_CHECKING:
    from authorizers.revocation.base import RevocationStore
    from authorizers.revocation.check import RevocationCheck
    from authorizers.validators.client_auth import ClientAuth

REVOCATION_STORES = ("static", "dynamodb")
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt")
_MAX_TTL = 3600.0


def _revocation_store(fields: Fields) -> RevocationStore:
    with fields:
        kind = fields.choice("type", REVOCATION_STORES)
        if kind == "static":
            from authorizers.revocation.stores import StaticRevocations  # noqa: PLC0415 - lazy

            subjects = fields.mapping("subjects")
            with reported_at(fields.path):
                return StaticRevocations(
                    jtis=fields.texts("jtis") or (),
                    origin_jtis=fields.texts("origin_jtis") or (),
                    subjects=subjects,
                )
        from authorizers._internal.config_validators import _aws  # noqa: PLC0415 - no cycle
        from authorizers.revocation.dynamodb import DynamoDBRevocations  # noqa: PLC0415 - lazy

        return DynamoDBRevocations(
            fields.need_text("table"),
            partition_key=fields.text("partition_key", "pk") or "pk",
            consistent_read=fields.flag("consistent_read", False),
            settings=_aws(fields),
        )


def build_revocation(fields: Fields) -> RevocationCheck:
    """``{"store": {...}, "cache_ttl": 10, "cache_size": 10000, "subject_claim": "sub"}``."""
    from authorizers.revocation.check import (  # noqa: PLC0415 - lazy
        DEFAULT_MAXSIZE,
        DEFAULT_TTL,
        RevocationCheck,
    )

    with fields:
        store = _revocation_store(fields.need_child("store"))
        return RevocationCheck(
            store,
            ttl=fields.number("cache_ttl", DEFAULT_TTL, minimum=0, maximum=_MAX_TTL),
            maxsize=int(fields.number("cache_size", DEFAULT_MAXSIZE, minimum=1, maximum=1e6)),
            subject_claim=fields.text("subject_claim", "sub") or "sub",
        )


def build_client_auth(fields: Fields, context: BuildContext) -> ClientAuth:
    """``{"id", "auth", "secret"}``, or for ``private_key_jwt`` one of ``private_key_file``
    and ``private_key_secret_id`` (Secrets Manager; with ``region``/``endpoint_url``)."""
    from authorizers.validators import client_auth  # noqa: PLC0415 - lazy

    with fields:
        client_id = fields.need_text("id")
        method = fields.choice("auth", CLIENT_AUTH_METHODS)
        if method != "private_key_jwt":
            kind = (
                client_auth.ClientSecretBasic
                if method == "client_secret_basic"
                else client_auth.ClientSecretPost
            )
            return kind(client_id, fields.need_text("secret"))
        options: dict[str, Any] = {"kid": fields.text("kid"), "clock": context.clock}
        path = context.file(fields, "private_key_file")
        secret_id = fields.text("private_key_secret_id")
        if (path is None) == (secret_id is None):
            raise ConfigFieldError(
                fields.path, "give exactly one of private_key_file, private_key_secret_id"
            )
        if path is not None:
            return client_auth.PrivateKeyJwt.from_file(client_id, path, **options)
        from authorizers._internal.config_validators import _aws  # noqa: PLC0415 - no cycle

        return client_auth.PrivateKeyJwt.from_secrets_manager(
            client_id, secret_id or "", settings=_aws(fields), **options
        )
