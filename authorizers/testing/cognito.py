"""Cognito-shaped tokens for tests: ID, access and machine-to-machine, with a pool's issuer.

Neither moto nor cognito-local mints client-credentials (M2M) tokens, and moto's ``iss`` is the
real AWS URL, so tests of a Cognito validator mint their own - with the claim layout Cognito
documents (contract reference §7): two RSA keys per pool, one for ID and one for access
tokens; a header with only ``kid`` and ``alg``; no ``aud`` in access tokens.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from authorizers.clock import Clock, system_clock
from authorizers.testing.issuer import BrokenToken, PrivateKey, TestIssuer

if TYPE_CHECKING:
    from authorizers.testing.jwks_server import JwksServer

_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(-[a-z]+)+-\d+)_[0-9A-Za-z]+")
DEFAULT_CLIENT_ID = "1example23456789abcdefghij"
DEFAULT_M2M_SCOPES = ("https://api.example.com/read",)


class CognitoTestIssuer:
    """A fake user pool: ``id_token()``, ``access_token()``, ``m2m_token()`` and ``jwks``.

    ``issuer_form`` picks the ``iss`` written into tokens: ``"classic"``
    (``https://cognito-idp.<region>.amazonaws.com/<pool>``) or ``"updated"``
    (``https://issuer-cognito-idp.<region>...``, the multi-Region form); both are in
    :attr:`issuers`. Every token method takes ``broken=`` to mint a :class:`BrokenToken`.
    ``private_key`` (e.g. a key saved by ``authorizers mint --save-key``) signs both kinds of
    token instead of two generated keys, so tokens survive a restart of the local IdP.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        user_pool_id: str = "us-east-1_Example",
        client_ids: Iterable[str] = (DEFAULT_CLIENT_ID,),
        *,
        issuer_form: str = "classic",
        private_key: PrivateKey | None = None,
        clock: Clock = system_clock,
    ) -> None:
        match = _POOL_ID.fullmatch(user_pool_id)
        if match is None:
            raise ValueError(f"not a user pool id (<region>_<id>): {user_pool_id!r}")
        if issuer_form not in ("classic", "updated"):
            raise ValueError("issuer_form must be 'classic' or 'updated'")
        self.user_pool_id = user_pool_id
        self.region = match["region"]
        self.client_ids = tuple(client_ids)
        if not self.client_ids:
            raise ValueError("a user pool test issuer needs at least one app client id")
        self.issuer_form = issuer_form
        domain = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        self.classic_issuer = f"https://cognito-idp.{self.region}.{domain}/{user_pool_id}"
        self.updated_issuer = f"https://issuer-cognito-idp.{self.region}.{domain}/{user_pool_id}"
        issuer = self.classic_issuer if issuer_form == "classic" else self.updated_issuer
        # Cognito signs ID and access tokens with different RSA keys (different kids).
        self.id_keys, self.access_keys = (
            TestIssuer(issuer, audience=None, typ=None, clock=clock, private_key=private_key)
            for _ in range(2)
        )
        self.server: JwksServer | None = None  # set while serve() runs

    @property
    def issuer(self) -> str:
        """The ``iss`` minted tokens carry."""
        return self.id_keys.issuer

    @property
    def issuers(self) -> tuple[str, str]:
        """Both issuer forms a validator of this pool may have to accept."""
        return (self.classic_issuer, self.updated_issuer)

    @property
    def jwks_url(self) -> str:
        """Where Cognito publishes the pool's keys (on the classic host)."""
        return f"{self.classic_issuer}/.well-known/jwks.json"

    @property
    def jwks(self) -> dict[str, list[dict[str, str]]]:
        keys = self.id_keys.jwks["keys"] + self.access_keys.jwks["keys"]
        return {"keys": list({key["kid"]: key for key in keys}.values())}  # one key: once

    def rotate(self, *, keep_old: bool = True) -> None:
        """New ID and access signing keys (old ones stay published if ``keep_old``)."""
        self.id_keys.rotate(keep_old=keep_old)
        self.access_keys.rotate(keep_old=keep_old)
        if self.server is not None:
            self.server.set_jwks(self.jwks)

    def id_token(
        self,
        username: str = "alice",
        *,
        client_id: str | None = None,
        email: str | None = None,
        groups: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        broken: BrokenToken | str | None = None,
        **options: Any,
    ) -> str:
        """An ID token: ``aud`` = app client, ``token_use`` id, ``cognito:username``, email."""
        payload: dict[str, Any] = {
            "aud": client_id or self.client_ids[0],
            "token_use": "id",
            "cognito:username": username,
            "email": email if email is not None else f"{username}@example.com",
            "email_verified": True,
            **self._session_claims(username, groups),
            **(claims or {}),
        }
        return self._mint(self.id_keys, payload, broken, options)

    def access_token(
        self,
        username: str = "alice",
        *,
        client_id: str | None = None,
        scopes: Iterable[str] = ("openid", "email"),
        groups: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        broken: BrokenToken | str | None = None,
        **options: Any,
    ) -> str:
        """A user's access token: ``client_id``, ``token_use`` access, ``scope``, ``username``;
        no ``aud``."""
        payload: dict[str, Any] = {
            "client_id": client_id or self.client_ids[0],
            "token_use": "access",
            "scope": " ".join(scopes),
            "username": username,
            **self._session_claims(username, groups),
            **(claims or {}),
        }
        return self._mint(self.access_keys, payload, broken, options)

    def m2m_token(
        self,
        *,
        client_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_M2M_SCOPES,
        claims: Mapping[str, Any] | None = None,
        broken: BrokenToken | str | None = None,
        **options: Any,
    ) -> str:
        """A client-credentials access token: ``sub`` is the client, no username, no groups."""
        client = client_id or self.client_ids[0]
        payload: dict[str, Any] = {
            "client_id": client,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": int(self.id_keys.clock()),
            **(claims or {}),
        }
        return self._mint(self.access_keys, payload, broken, {"subject": client, **options})

    def _session_claims(self, username: str, groups: Iterable[str]) -> dict[str, Any]:
        session: dict[str, Any] = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.user_pool_id}/{username}")),
            "auth_time": int(self.id_keys.clock()),
            "origin_jti": str(uuid.uuid4()),
        }
        group_list = list(groups)
        if group_list:
            session["cognito:groups"] = group_list
        return session

    @staticmethod
    def _mint(
        keys: TestIssuer,
        payload: dict[str, Any],
        broken: BrokenToken | str | None,
        options: Mapping[str, Any],
    ) -> str:
        options = {"subject": payload.pop("sub", None), **options}
        if broken is None:
            return keys.mint(payload, **options)
        return keys.mint_broken(broken, payload, **options)

    @contextmanager
    def serve(self, **server_options: Any) -> Iterator[JwksServer]:
        """Serve both keys on 127.0.0.1 (the discovery ``issuer`` stays the pool's, which is
        what tokens carry: point the validator's JWKS URL at ``server.jwks_url``)."""
        from authorizers.testing.jwks_server import JwksServer  # noqa: PLC0415 - lazy

        with JwksServer(self.jwks, **{"issuer": self.issuer, **server_options}) as server:
            self.server = server
            try:
                yield server
            finally:
                self.server = None
