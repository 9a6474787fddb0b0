"""Opaque (and revocable) tokens: :class:`IntrospectionValidator` asks the provider (RFC 7662).

Each unknown token is POSTed to the provider's introspection endpoint - from OIDC discovery
(``introspection_endpoint``) or configured - with the client's credentials
(:mod:`~authorizers.validators.client_auth`), under the JWKS fetcher's rules: one total
deadline, a size cap, HTTPS only, no redirects, strict JSON. Only ``"active": true`` counts,
and the answer must then pass the same claim rules as a JWT (:class:`IssuerConfig` settings:
issuer, audience or client ids, scopes, groups, required and exact claims, times, ``token_type``
against the answer's ``token_type``). A provider that cannot answer is an
``InfrastructureError`` (500, or a Deny with ``on_infrastructure_error="deny"``), never an
Allow. Answers are cached as :mod:`~authorizers.validators._introspection_cache` describes: an
Allow can outlive a revocation at the provider by up to ``cache_ttl`` seconds.

``AllOf(JwtValidator(...), IntrospectionValidator(...))`` verifies a JWT locally *and* asks
whether the provider still considers it active.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Protocol
from urllib.parse import urlencode

from authorizers.clock import Clock, MonotonicClock, monotonic_clock, system_clock
from authorizers.credentials import bearer_token
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.jwks.discovery import (
    DEFAULT_RETRY_AFTER,
    LoadOnce,
    discovery_url,
    require_issuer,
)
from authorizers.jwks.fetch import (
    DEFAULT_TIMEOUT,
    Fetcher,
    FetchError,
    Poster,
    check_url,
    describe_url,
    fetch_json,
    post_json,
)
from authorizers.jwks.keys import VerificationKey
from authorizers.request import AuthRequest, RequestKind
from authorizers.validators._introspection_cache import (
    IntrospectionCache,
    Loaded,
    MissLimiter,
    unavailable,
)
from authorizers.validators._jws import DEFAULT_MAX_TOKEN_BYTES
from authorizers.validators._parts import NamedValidator
from authorizers.validators.claims import IssuerConfig, IssuerRules
from authorizers.validators.client_auth import ClientAuth
from authorizers.validators.jwt import identity_from_claims
from authorizers.validators.token_times import check_times

DEFAULT_CACHE_TTL = 60.0
DEFAULT_NEGATIVE_TTL = 10.0
DEFAULT_MISSES_PER_SECOND = 20.0
#: An introspection answer is a few hundred bytes; 64 KiB bounds what a cached answer can
#: cost (x ``cache_size``) even if the provider misbehaves.
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024


class HttpClient(Fetcher, Poster, Protocol):
    """GET (discovery) and POST (introspection), e.g. ``HttpClientFetcher``."""


class _NoKeys:
    """The provider vouches for the token: there is no key to look up."""

    def get_key(self, kid: str, alg: str) -> VerificationKey:
        raise Unauthorized(ReasonCode.UNKNOWN_KEY, "introspected tokens have no keys")

    def is_current(self, key: VerificationKey) -> bool:
        return False

    def prefetch(self) -> None:
        """Nothing to fetch."""


class IntrospectionValidator(NamedValidator):
    """Tokens the provider at ``issuer`` says are active, for the client ``client``.

    Claim settings are :class:`IssuerConfig`'s (``audience``/``client_ids``/
    ``verify_audience``, ``scopes_any``, ``token_type``, ``context_claims``...). The principal
    is ``sub``, or ``client_id`` for a client-credentials token without one (unless
    ``principal_claim`` names another claim). ``exp`` is required: it bounds the cache.
    """

    per_request = False

    def __init__(
        self,
        issuer: str,
        *,
        client: ClientAuth,
        endpoint: str | None = None,
        name: str = "introspection",
        header: str | None = None,
        allow_bare_token: bool = True,
        token_type_hint: str | None = "access_token",  # noqa: S107 - not a secret
        cache_ttl: float = DEFAULT_CACHE_TTL,
        negative_cache_ttl: float = DEFAULT_NEGATIVE_TTL,
        cache_size: int = 1024,
        negative_cache_size: int = 4096,
        misses_per_second: float | None = DEFAULT_MISSES_PER_SECOND,
        fetcher: HttpClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        allow_http_loopback: bool = False,
        retry_after: float = DEFAULT_RETRY_AFTER,
        clock: Clock = system_clock,
        monotonic: MonotonicClock = monotonic_clock,
        **claim_settings: Any,
    ) -> None:
        super().__init__(name)
        keys = _NoKeys()
        config = IssuerConfig(issuer, keys=keys, **claim_settings)  # JwtValidator's own checks
        if config.checks:
            raise ConfigurationError(f"{name}: custom checks apply to JWTs, not introspection")
        self._rules = IssuerRules.compile(config, keys)
        self._client_rules = (
            None
            if "principal_claim" in claim_settings
            else dataclasses.replace(self._rules, principal_claim="client_id")
        )
        self.issuer = issuer
        self.client = client
        self._loopback = allow_http_loopback
        for url in (endpoint, discovery_url(issuer)):
            if url is not None:
                try:
                    check_url(url, allow_http_loopback=allow_http_loopback)
                except FetchError as error:
                    raise ConfigurationError(f"{name}: {error}") from None
        self._endpoint = endpoint
        self._header = None if header is None or header.lower() == "authorization" else header
        self._allow_bare = allow_bare_token
        self._hint = token_type_hint
        self._max_token_bytes = max_token_bytes
        self._timeout, self._max_bytes = timeout, max_bytes
        self._fetcher = fetcher
        self._clock, self._monotonic = clock, monotonic
        self._discovered = LoadOnce(self._discover, retry_after=retry_after, monotonic=monotonic)
        limiter = None
        if misses_per_second is not None:
            limiter = MissLimiter(misses_per_second, max(1.0, 2 * misses_per_second), monotonic)
        self.cache = IntrospectionCache(
            ttl=cache_ttl,
            negative_ttl=negative_cache_ttl,
            maxsize=cache_size,
            negative_maxsize=negative_cache_size,
            limiter=limiter,
            clock=clock,
            monotonic=monotonic,
            wait=timeout + 1.0,
        )

    def validate(self, request: AuthRequest) -> Identity:
        if self._header is None:
            value = request.authorization()
        elif request.kind is RequestKind.REST_TOKEN:
            value = request.token or None
        else:
            value = request.header(self._header) or None
        return self.introspect(bearer_token(value, allow_bare=self._allow_bare))

    def introspect(self, token: str) -> Identity:
        """The identity of an active token, or an error; answers cached by token hash."""
        if len(token) > self._max_token_bytes:
            raise Unauthorized(ReasonCode.MALFORMED_TOKEN, "token is too long")
        key = hashlib.sha256(token.encode()).digest()
        return self.cache.get(key, lambda: self._ask(token))

    def prefetch(self) -> None:
        """Discover the endpoint now (call at cold start); raises if the provider is down."""
        self.endpoint()

    # -- the provider ----------------------------------------------------------------------

    def _client(self) -> HttpClient:
        if self._fetcher is None:
            from authorizers.jwks.http_client_fetch import HttpClientFetcher  # noqa: PLC0415

            self._fetcher = HttpClientFetcher()
        return self._fetcher

    def endpoint(self) -> str:
        """The introspection endpoint: configured, or found by discovery (kept for good)."""
        return self._endpoint if self._endpoint is not None else self._discovered.get()

    def _discover(self) -> str:
        url = discovery_url(self.issuer)
        try:
            doc = fetch_json(
                url, fetcher=self._client(), timeout=self._timeout,
                allow_http_loopback=self._loopback,
            )  # fmt: skip
        except FetchError as error:
            raise unavailable(f"OIDC discovery failed: {error}") from None
        # the provider answered: what follows is its configuration, not an outage
        require_issuer(doc, self.issuer, url)
        endpoint = doc.get("introspection_endpoint")
        if not isinstance(endpoint, str):
            raise ConfigurationError(
                f"{describe_url(url)}: no 'introspection_endpoint'; configure endpoint="
            )
        try:
            check_url(endpoint, allow_http_loopback=self._loopback)
        except FetchError as error:
            raise ConfigurationError(f"introspection_endpoint refused: {error}") from None
        return endpoint

    def _ask(self, token: str) -> Loaded:
        endpoint = self.endpoint()
        form = {"token": token}
        if self._hint:
            form["token_type_hint"] = self._hint
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.client.apply(form, headers, self.issuer)
        try:
            answer = post_json(
                endpoint,
                urlencode(form).encode(),
                headers,
                poster=self._client(),
                timeout=self._timeout,
                max_bytes=self._max_bytes,
                allow_http_loopback=self._loopback,
            )
        except FetchError as error:  # names the endpoint and the failure, never the token
            raise unavailable(f"introspection failed: {error}") from None
        return self._judge(dict(answer))

    def _judge(self, answer: dict[str, Any]) -> Loaded:
        """The identity of an active answer under the claim rules, and its ``exp``."""
        if answer.get("active") is not True:
            raise Unauthorized(ReasonCode.TOKEN_INACTIVE, "the provider says the token is inactive")
        rules = self._rules
        if "iss" in answer and answer["iss"] != rules.issuer:
            raise Unauthorized(ReasonCode.WRONG_ISSUER, "issuer is not trusted")
        check_times(answer, self._clock(), rules.leeway, rules.max_age, rules.max_lifetime)
        if rules.token_types is not None:
            kind = answer.get("token_type")
            if not isinstance(kind, str) or kind.lower() not in rules.token_types:
                raise Unauthorized(ReasonCode.WRONG_TOKEN_TYPE, "unexpected token_type")
        rules.rules.check(answer)
        if self._client_rules is not None and "sub" not in answer:
            rules = self._client_rules  # a client-credentials token: the client is the caller
        identity = identity_from_claims(self.name, rules, answer)
        rules.rules.authorize(identity.scopes, identity.groups)
        return identity, float(answer["exp"])
