"""Amazon Cognito user pool tokens: a :class:`JwtValidator` profile built from pool ids.

From a pool id alone this derives the region, both issuer forms Cognito may put in ``iss``
(``https://cognito-idp.<region>.amazonaws.com/<pool>`` and the "updated" issuer
``https://issuer-cognito-idp.<region>.amazonaws.com/<pool>``; ``.com.cn`` in China) and one JWKS
URL serving both. Nothing is fetched to configure it - keys load on first use or ``prefetch()``,
one fetch per pool - so an unused issuer form can never break start-up (the aws-jwt-verify
``hydrate()`` trap). The JWKS URL can be overridden, e.g. for moto, whose tokens carry the AWS
issuer but whose keys are served locally.

Cognito-specific rules run as checks of the profile: ``token_use`` must be the expected one
(``wrong_token_use``); the app client must match - ``aud`` on ID tokens, ``client_id`` on access
tokens, which have no ``aud`` (``wrong_audience``). Groups come from ``cognito:groups``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, TypeVar, Unpack

from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource
from authorizers.validators.claims import CustomCheck, FilePath, IssuerConfig, Strings
from authorizers.validators.jwt import JwtValidator
from authorizers.validators.token_options import CognitoOptions, split_options

TokenUse = Literal["id", "access", "both"]
#: Cognito mints access and ID tokens valid for 5 minutes to 1 day: a longer-lived token
#: (``exp - iat``) did not come from Cognito's token endpoint. Override with ``max_lifetime``.
COGNITO_MAX_LIFETIME = 86_400.0

T = TypeVar("T")
#: One value for a single pool, or a mapping of pool id to value.
PerPool: TypeAlias = T | Mapping[str, T]

_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")


def _region_of(user_pool_id: str) -> str:
    match = _POOL_ID.fullmatch(user_pool_id) if isinstance(user_pool_id, str) else None
    if match is None:
        raise ConfigurationError("user pool id must look like '<region>_<id>', e.g. us-east-1_Ab12")
    return match["region"]


def _domain(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def cognito_issuers(user_pool_id: str) -> tuple[str, str]:
    """The original and the updated issuer URL of a user pool."""
    region = _region_of(user_pool_id)
    domain = _domain(region)
    return (
        f"https://cognito-idp.{region}.{domain}/{user_pool_id}",
        f"https://issuer-cognito-idp.{region}.{domain}/{user_pool_id}",
    )


def cognito_jwks_url(user_pool_id: str) -> str:
    """Where the pool publishes its keys (the same keys sign under both issuer forms)."""
    return f"{cognito_issuers(user_pool_id)[0]}/.well-known/jwks.json"


def _token_use_check(allowed: frozenset[str]) -> CustomCheck:
    def check_token_use(
        header: Mapping[str, Any], claims: Mapping[str, Any], key: VerificationKey
    ) -> None:
        use = claims.get("token_use")
        if not isinstance(use, str) or use not in allowed:
            raise Unauthorized(ReasonCode.WRONG_TOKEN_USE, "unexpected token_use")

    return check_token_use


def _client_check(client_ids: frozenset[str]) -> CustomCheck:
    def check_client(
        header: Mapping[str, Any], claims: Mapping[str, Any], key: VerificationKey
    ) -> None:
        client = claims.get("aud" if claims.get("token_use") == "id" else "client_id")
        if not isinstance(client, str) or client not in client_ids:
            raise Unauthorized(ReasonCode.WRONG_AUDIENCE, "token is for another app client")

    return check_client


class CognitoValidator(JwtValidator):
    """ID and/or access tokens of one or several Cognito user pools.

    ``client_ids`` is required (the app clients whose tokens are accepted) unless
    ``verify_client_id=False`` says otherwise. Keys come from the pool's JWKS URL, fetched on
    first use or :meth:`prefetch`; ``jwks_url`` overrides it, ``keys`` replaces it with any
    :class:`~authorizers.jwks.sources.KeySource`, ``snapshot_file`` seeds it from a JWK Set
    shipped with the function (a cold start without a network call). Each takes one value
    for a single pool, or a mapping of pool id to value. The other keyword arguments are
    :class:`JwtValidator` options (``clock``, ``fetcher``, ``monotonic``, ``header``...) and
    claim settings (``leeway``, ``max_age``, ``max_lifetime`` - default one day -,
    ``scopes_any``, ``context_claims``...); ``checks`` run after Cognito's own.
    """

    def __init__(
        self,
        user_pool_ids: Strings,
        client_ids: Strings | None,
        *,
        token_use: TokenUse = "access",  # noqa: S107 - not a secret
        verify_client_id: bool = True,
        keys: PerPool[KeySource] | None = None,
        jwks_url: PerPool[str] | None = None,
        snapshot_file: PerPool[FilePath] | None = None,
        allow_http_loopback: bool = False,
        name: str = "cognito",
        **options: Unpack[CognitoOptions],
    ) -> None:
        pools = (user_pool_ids,) if isinstance(user_pool_ids, str) else tuple(user_pool_ids)
        if not pools:
            raise ConfigurationError("at least one user pool id is required")
        uses = {"id": {"id"}, "access": {"access"}, "both": {"id", "access"}}.get(token_use)
        if uses is None:
            raise ConfigurationError("token_use must be 'id', 'access' or 'both'")
        profile_checks = [_token_use_check(frozenset(uses))]
        clients = (client_ids,) if isinstance(client_ids, str) else tuple(client_ids or ())
        if verify_client_id:
            if not clients:
                raise ConfigurationError(
                    "client_ids are required; pass verify_client_id=False to accept any client"
                )
            profile_checks.append(_client_check(frozenset(clients)))
        elif clients:
            raise ConfigurationError("verify_client_id=False but client_ids given")
        validator_options, claim_settings = split_options(options)
        settings: dict[str, Any] = {
            "groups_claim": "cognito:groups",
            "max_lifetime": COGNITO_MAX_LIFETIME,
            **claim_settings,
            "verify_audience": False,  # the app-client check above replaces it
            "allow_http_loopback": allow_http_loopback,
            "checks": (*profile_checks, *claim_settings.get("checks", ())),
        }
        given_keys: dict[str, KeySource] = _per_pool(pools, keys, "keys")
        urls: dict[str, str] = _per_pool(pools, jwks_url, "jwks_url")
        snapshots: dict[str, FilePath] = _per_pool(pools, snapshot_file, "snapshot_file")
        if set(given_keys) & set(urls):
            raise ConfigurationError("give keys= or jwks_url= for a pool, not both")
        super().__init__(
            [
                IssuerConfig(
                    issuer,
                    keys=given_keys.get(pool),
                    jwks_url=None if pool in given_keys else urls.get(pool, cognito_jwks_url(pool)),
                    snapshot_file=snapshots.get(pool),
                    **settings,
                )
                for pool in pools
                for issuer in cognito_issuers(pool)
            ],
            name=name,
            **validator_options,
        )


def _per_pool(pools: tuple[str, ...], given: PerPool[T] | None, what: str) -> dict[str, T]:
    """``given`` as a mapping of pool id to value (pools it does not name are left out)."""
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        if len(pools) != 1:
            raise ConfigurationError(f"with several pools, {what} must map pool id to a value")
        return {pools[0]: given}
    unknown = set(given) - set(pools)
    if unknown:
        raise ConfigurationError(f"{what} given for unknown pools {sorted(unknown)}")
    return dict(given)
