"""A local OpenID provider on 127.0.0.1 for development: discovery, JWKS and ``/mint``.

``authorizers idp`` and ``authorizers serve --issuer`` run it, ``authorizers mint
--issuer-url`` asks it for tokens, and so can curl::

    TOKEN=$(curl -s 'http://127.0.0.1:9000/mint?sub=alice&scope=pets/read&groups=admins')

Generic mode: the issuer is the server's URL, so an ``OidcValidator`` (with
``allow_http_loopback=True``) finds the keys by discovery. Cognito mode (``user_pool_id``):
tokens carry the pool's real ``iss``; point the validator's ``jwks_url`` at :attr:`jwks_url`.
It is the test kit's :class:`TestIssuer` / :class:`CognitoTestIssuer` served by its
:class:`JwksServer`: the keys are generated per start unless ``private_key`` is given.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from authorizers.clock import Clock, system_clock
from authorizers.testing.cognito import DEFAULT_CLIENT_ID, CognitoTestIssuer
from authorizers.testing.issuer import DEFAULT_AUDIENCE, BrokenToken, PrivateKey, TestIssuer
from authorizers.testing.jwks_server import JwksServer

MINT_PATH = "/mint"
MAX_EXPIRES_IN = 86_400
_COMMON = {"sub", "scope", "groups", "expires_in", "claims", "broken"}
_GENERIC = _COMMON | {"aud"}
_COGNITO = _COMMON | {"token_use", "client_id"}
_TOKEN_USES = ("access", "id", "m2m")


class LocalIdp:
    """A context manager serving one issuer's discovery, JWKS and mint endpoint."""

    def __init__(
        self,
        *,
        port: int = 0,
        audience: str | list[str] | None = DEFAULT_AUDIENCE,
        user_pool_id: str | None = None,
        client_ids: Iterable[str] | None = None,
        private_key: PrivateKey | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.port = port
        self.pool: CognitoTestIssuer | None = None
        self.issuer: TestIssuer | None = None
        if user_pool_id:
            self.pool = CognitoTestIssuer(
                user_pool_id,
                client_ids or (DEFAULT_CLIENT_ID,),
                private_key=private_key,
                clock=clock,
            )
        else:
            self.issuer = TestIssuer(audience=audience, private_key=private_key, clock=clock)
        self._stack = contextlib.ExitStack()
        self.server: JwksServer | None = None

    def start(self) -> Self:
        source: Any = self.pool or self.issuer
        self.server = self._stack.enter_context(
            source.serve(port=self.port, endpoints={MINT_PATH: self._endpoint})
        )
        return self

    def stop(self) -> None:
        self.server = None
        self._stack.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("LocalIdp is not running")
        return self.server.url

    @property
    def iss(self) -> str:
        """The ``iss`` of minted tokens: the URL (generic), the pool's issuer (Cognito)."""
        return self.pool.issuer if self.pool is not None else self.url

    @property
    def jwks_url(self) -> str:
        return self.url + "/.well-known/jwks.json"

    @property
    def mint_url(self) -> str:
        return self.url + MINT_PATH

    def mint(self, query: Mapping[str, list[str]]) -> str:
        """A token for the ``/mint`` query parameters; ``ValueError`` says what is wrong."""
        known = _COGNITO if self.pool is not None else _GENERIC
        unknown = sorted(set(query) - known)
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(known))}")
        one = {name: values[-1] for name, values in query.items()}
        request = _MintRequest(
            subject=one.get("sub"),
            scopes=[scope for value in query.get("scope", []) for scope in value.split()],
            groups=query.get("groups", []),
            claims=_claims(one.get("claims")),
            broken=_broken(one.get("broken")),
            expires_in=_expires_in(one.get("expires_in")),
            audience=query.get("aud"),
            token_use=one.get("token_use", "access"),
            client_id=one.get("client_id"),
        )
        if self.pool is not None:
            return request.cognito(self.pool)
        assert self.issuer is not None
        return request.generic(self.issuer)

    def _endpoint(self, query: Mapping[str, list[str]]) -> tuple[str, bytes]:
        return "text/plain", self.mint(query).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class _MintRequest:
    subject: str | None
    scopes: list[str]
    groups: list[str]
    claims: dict[str, Any]
    broken: BrokenToken | None
    expires_in: int
    audience: list[str] | None
    token_use: str
    client_id: str | None

    def generic(self, issuer: TestIssuer) -> str:
        claims = {"groups": self.groups, **self.claims} if self.groups else self.claims
        options: dict[str, Any] = {
            "subject": self.subject or "user-1",
            "scope": self.scopes or None,
            "expires_in": self.expires_in,
        }
        if self.audience:
            options["audience"] = self.audience[0] if len(self.audience) == 1 else self.audience
        if self.broken is not None:
            return issuer.mint_broken(self.broken, claims, **options)
        return issuer.mint(claims, **options)

    def cognito(self, pool: CognitoTestIssuer) -> str:
        if self.token_use not in _TOKEN_USES:
            raise ValueError(f"token_use must be one of {', '.join(_TOKEN_USES)}")
        options: dict[str, Any] = {
            "client_id": self.client_id,
            "claims": self.claims,
            "broken": self.broken,
            "expires_in": self.expires_in,
        }
        if self.scopes and self.token_use != "id":  # ID tokens carry no scope
            options["scopes"] = self.scopes
        if self.token_use == "m2m":
            return pool.m2m_token(**options)
        username = self.subject or "alice"
        if self.token_use == "id":
            return pool.id_token(username, groups=self.groups, **options)
        return pool.access_token(username, groups=self.groups, **options)


def _expires_in(text: str | None) -> int:
    if text is None:
        return 3600
    if not text.lstrip("-").isdigit() or not -MAX_EXPIRES_IN <= int(text) <= MAX_EXPIRES_IN:
        raise ValueError(f"expires_in must be whole seconds within +-{MAX_EXPIRES_IN}")
    return int(text)


def _claims(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        claims = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"claims is not valid JSON: {error}") from None
    if not isinstance(claims, dict):
        raise ValueError("claims must be a JSON object")
    return claims


def _broken(text: str | None) -> BrokenToken | None:
    if text is None:
        return None
    try:
        return BrokenToken(text)
    except ValueError:
        raise ValueError(f"broken must be one of {', '.join(BrokenToken)}") from None
