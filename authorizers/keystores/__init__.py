"""Where secrets live: API-key records (static, DynamoDB, Secrets Manager, SSM, with caching)
and HMAC shared secrets. Validators ask a store; they never learn where it keeps its data.
Names load lazily (boto3 only when an AWS store is built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "KeyRecord": "authorizers.keystores.base",
    "KeyStore": "authorizers.keystores.base",
    "hash_api_key": "authorizers.keystores.base",
    "new_api_key": "authorizers.keystores.base",
    "StaticKeyStore": "authorizers.keystores.static",
    "CachedKeyStore": "authorizers.keystores.cached",
    "DynamoDBKeyStore": "authorizers.keystores.dynamodb",
    "SecretsManagerKeyStore": "authorizers.keystores.secrets_manager",
    "SsmKeyStore": "authorizers.keystores.ssm",
    "AwsClientSettings": "authorizers.keystores.aws",
    "HmacKey": "authorizers.keystores.hmac",
    "HmacSecrets": "authorizers.keystores.hmac",
    "StaticHmacSecrets": "authorizers.keystores.hmac",
    "SecretsManagerHmacSecrets": "authorizers.keystores.hmac",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.keystores.aws import AwsClientSettings as AwsClientSettings
    from authorizers.keystores.base import KeyRecord as KeyRecord
    from authorizers.keystores.base import KeyStore as KeyStore
    from authorizers.keystores.base import hash_api_key as hash_api_key
    from authorizers.keystores.base import new_api_key as new_api_key
    from authorizers.keystores.cached import CachedKeyStore as CachedKeyStore
    from authorizers.keystores.dynamodb import DynamoDBKeyStore as DynamoDBKeyStore
    from authorizers.keystores.hmac import HmacKey as HmacKey
    from authorizers.keystores.hmac import HmacSecrets as HmacSecrets
    from authorizers.keystores.hmac import SecretsManagerHmacSecrets as SecretsManagerHmacSecrets
    from authorizers.keystores.hmac import StaticHmacSecrets as StaticHmacSecrets
    from authorizers.keystores.secrets_manager import (
        SecretsManagerKeyStore as SecretsManagerKeyStore,
    )
    from authorizers.keystores.ssm import SsmKeyStore as SsmKeyStore
    from authorizers.keystores.static import StaticKeyStore as StaticKeyStore
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
