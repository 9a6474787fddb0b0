"""The validators the corpus is run against, and PyJWT configured the same way (the oracle).

``jwt``: a JwtValidator trusting two issuers (static keys, RS256/PS256/ES256/EdDSA, an
audience, the default 30 s leeway). ``cognito_access``/``cognito_id``: CognitoValidator for one
user pool whose keys a JwksServer on 127.0.0.1 serves. Every call of ``validator()`` builds a
fresh validator, so the verified-token cache of one path never answers for another.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

import jwt
from jwt import PyJWKSet

from authorizers.clock import FakeClock
from authorizers.jwks.sources import StaticJwks
from authorizers.validators.cognito import CognitoValidator
from authorizers.validators.jwt import IssuerConfig, JwtValidator

from . import keys
from .keys import ALGORITHMS, AUDIENCE, CLIENT_ID, LEEWAY, NOW


@dataclass(frozen=True)
class Profile:
    name: str
    default_key: str
    header: Mapping[str, Any]
    claims: Callable[[str], dict[str, Any]]  # case id -> the claims of a valid token
    validator: Callable[[], JwtValidator]
    oracle: Callable[[str], bool]  # PyJWT's verdict with equivalent settings


def _jwt_claims(case_id: str) -> dict[str, Any]:
    return {
        "iss": keys.ISSUER,
        "sub": "user-1",
        "aud": AUDIENCE,
        "iat": NOW,
        "exp": NOW + 3600,
        "jti": case_id,
    }


def _cognito_claims(token_use: str) -> Callable[[str], dict[str, Any]]:
    def claims(case_id: str) -> dict[str, Any]:
        common = {
            "iss": keys.POOL_ISSUER,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, "alice")),
            "token_use": token_use,
            "auth_time": NOW,
            "iat": NOW,
            "exp": NOW + 3600,
            "jti": case_id,
        }
        if token_use == "id":
            return common | {"aud": CLIENT_ID, "cognito:username": "alice", "email": "a@x.test"}
        return common | {"client_id": CLIENT_ID, "scope": "openid email", "username": "alice"}

    return claims


def jwt_validator() -> JwtValidator:
    clock = FakeClock(NOW)
    return JwtValidator(
        [
            IssuerConfig(
                issuer,
                keys=_static(names),
                audience=AUDIENCE,
                algorithms=ALGORITHMS,
                groups_claim="groups" if issuer == keys.ISSUER else None,  # no default
            )
            for issuer, names in keys.TRUSTED.items()
        ],
        clock=clock,
    )


_STATIC: dict[tuple[str, ...], StaticJwks] = {}


def _static(names: Sequence[str]) -> StaticJwks:
    """Key sources are immutable: parse each once per run."""
    key = tuple(names)
    if key not in _STATIC:
        _STATIC[key] = StaticJwks(keys.jwks(*names))
    return _STATIC[key]


def cognito_validator(jwks_url: str, token_use: str) -> Callable[[], JwtValidator]:
    def build() -> JwtValidator:
        return CognitoValidator(
            keys.POOL_ID,
            CLIENT_ID,
            token_use=token_use,  # type: ignore[arg-type]
            jwks_url=jwks_url,
            allow_http_loopback=True,
            clock=FakeClock(NOW),
        )

    return build


# --- the PyJWT oracle -------------------------------------------------------------------


class _FrozenDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> _FrozenDatetime:
        return cls.fromtimestamp(NOW, tz)


@contextlib.contextmanager
def pyjwt_at_now() -> Iterator[None]:
    """PyJWT reads the wall clock; give it the suite's NOW, as the validators' FakeClock."""
    with mock.patch.object(jwt.api_jwt, "datetime", _FrozenDatetime):
        yield


def _keysets(trusted: Mapping[str, Sequence[str]]) -> dict[str, PyJWKSet]:
    return {issuer: PyJWKSet.from_dict(keys.jwks(*names)) for issuer, names in trusted.items()}


def pyjwt_oracle(
    trusted: Mapping[str, Sequence[str]],
    *,
    audience: str | None,
    algorithms: Sequence[str],
) -> Callable[[str], bool]:
    """PyJWT's verdict: keys chosen by the unverified ``iss`` and ``kid`` (as the validator
    does), then ``jwt.decode`` with the same algorithms, audience, issuer, leeway and the claims
    the validator requires (``exp``, ``iss``, ``sub``)."""
    keysets = _keysets(trusted)

    def accepts(token: str) -> bool:
        try:
            iss = jwt.decode(token, options={"verify_signature": False})["iss"]
            key = keysets[iss][jwt.get_unverified_header(token)["kid"]]
            jwt.decode(
                token,
                key,
                algorithms=list(algorithms),
                audience=audience,
                issuer=iss,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "sub"], "verify_aud": audience is not None},
            )
        except Exception:  # any refusal, of whatever kind, is a reject
            return False
        return True

    return accepts


def build_profiles(cognito_jwks_url: str) -> dict[str, Profile]:
    pool = {keys.POOL_ISSUER: keys.POOL_KEYS, keys.POOL_UPDATED_ISSUER: keys.POOL_KEYS}
    cognito_oracle = pyjwt_oracle(pool, audience=None, algorithms=["RS256"])
    return {
        "jwt": Profile(
            "jwt",
            "rsa",
            {"typ": "JWT"},
            _jwt_claims,
            jwt_validator,
            pyjwt_oracle(keys.TRUSTED, audience=AUDIENCE, algorithms=ALGORITHMS),
        ),
        "cognito_access": Profile(
            "cognito_access",
            "cognito-access",
            {},
            _cognito_claims("access"),
            cognito_validator(cognito_jwks_url, "access"),
            cognito_oracle,
        ),
        "cognito_id": Profile(
            "cognito_id",
            "cognito-id",
            {},
            _cognito_claims("id"),
            cognito_validator(cognito_jwks_url, "id"),
            cognito_oracle,
        ),
    }
