"""JWT bearer tokens: :class:`JwtValidator`, configured per trusted issuer by :class:`IssuerConfig`.

Secure by default: an issuer allow-list (exact ``iss`` match), a required audience (or an
explicit opt-out), an algorithm allow-list (``RS256`` unless told otherwise; ``none`` and HMAC
cannot even be configured), ``exp`` required, the header ``alg`` bound to the key it selects.

One validator may trust several issuers. The UNVERIFIED ``iss`` only picks which issuer's
settings and keys verify the token; a token naming an issuer we don't trust is refused before
any key lookup, so it can never cause a network call. ``kid`` is only a lookup key into that
issuer's key source; ``jku``/``x5u``/``jwk``/``x5c`` headers are never followed.

Hot path: one regex, three base64 decodes, two JSON parses, a dict lookup for the key and the
raw ``cryptography`` verify. Tokens that verified a second time are kept in a bounded cache
keyed by the exact token string; a hit re-runs only what can change - the time checks, whether
the key is still published, and custom checks (which may consult outside state) - and costs
microseconds. A token seen once leaves only its hash behind: most tokens reach a function once
per API Gateway result-cache TTL, and keeping each one's claims and identity (~4 KB of fresh
objects) cost a new token ~0.3x a signature verify, more than the check itself.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Unpack

from authorizers._frozen_build import builder
from authorizers._sightings import seen_before
from authorizers.clock import Clock, MonotonicClock, monotonic_clock, system_clock
from authorizers.credentials import bearer_jws, bearer_token
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized, issuer_mismatch
from authorizers.identity import ContextValue, Identity
from authorizers.jwks.fetch import DEFAULT_TIMEOUT, Fetcher
from authorizers.jwks.keys import VerificationKey
from authorizers.jwks.sources import KeySource
from authorizers.request import AuthRequest, RequestKind
from authorizers.validators._jws import DEFAULT_MAX_TOKEN_BYTES, parse_compact
from authorizers.validators._signature import verify_signature
from authorizers.validators.claims import (
    CustomCheck,
    IssuerConfig,
    IssuerRules,
    Strings,
    context_value,
    groups_of,
    normalize_token_type,
    scopes_of,
)
from authorizers.validators.token_options import (
    IssuerSettings,
    JwksTuning,
    KeyFetching,
    split_options,
)
from authorizers.validators.token_times import DEFAULT_LEEWAY, check_times

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "DEFAULT_LEEWAY",
    "CustomCheck",
    "IssuerConfig",
    "JwtValidator",
    "Strings",
    "split_options",
]

#: Verified tokens remembered per validator. Worst case memory: size x max token bytes. A
#: repeating token holds ~4 KB here and ~3 KB in the response reuse (a typical ~700-byte
#: token): with both full, 256 of them add ~2.4 MiB of RSS, 0.79x of the naive PyJWT +
#: Powertools function after 10,000 distinct tokens each sent twice (1024: 0.84x, over the
#: 0.8x budget; docs/performance.md). API Gateway's own result cache already absorbs most
#: repeats of one token.
DEFAULT_CACHE_SIZE = 256

_NO_CONTEXT: Mapping[str, ContextValue] = MappingProxyType({})
#: Every new token's Identity, without the dataclass ``__init__`` (``identity_from_claims``
#: checks the principal as ``Identity.__post_init__`` would).
_new_identity = builder(Identity)


class _Verified(NamedTuple):
    """What a cache hit needs to re-check a token (built with ``tuple.__new__``: hot path)."""

    issuer: IssuerRules
    key: VerificationKey
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    identity: Identity
    window: tuple[float, float]  # when check_times surely passes (see _time_window)


def _time_window(claims: Mapping[str, Any], issuer: IssuerRules) -> tuple[float, float]:
    """``(from, until)``: at any ``now`` with ``from <= now <= until``, :func:`check_times` of
    these (already checked) claims passes, so a cache hit compares two floats instead. One
    ulp inside the exact bounds: never wider than what :func:`check_times` accepts; outside,
    :func:`check_times` runs and says why."""
    leeway = issuer.leeway
    starts = [claims[name] - leeway for name in ("nbf", "iat") if claims.get(name) is not None]
    if issuer.max_lifetime is not None and claims.get("iat") is None:
        starts.append(claims["exp"] - leeway - issuer.max_lifetime)  # exp - now - leeway bound
    start = max(starts) if starts else -math.inf
    until = claims["exp"] + leeway  # expired when exp <= now - leeway
    if issuer.max_age is not None:
        until = min(until, claims["iat"] + issuer.max_age + leeway)
    return math.nextafter(start, math.inf), math.nextafter(until, -math.inf)


class JwtValidator:
    """Validates a JWT bearer token from the request against one or more trusted issuers.

    ``JwtValidator(issuers=[IssuerConfig(...), ...])``, or the settings of a single issuer as
    keyword arguments: ``JwtValidator(issuer=..., jwks_url=..., audience=...)``.

    Keys behind a ``jwks_url`` are fetched on first use or :meth:`prefetch` (call it at module
    level: Lambda's init phase) through ``fetcher`` (default: the hardened HTTP fetcher) on the
    ``monotonic`` clock, each fetch within ``timeout`` seconds; ``jwks_options`` tunes the key
    cache (:class:`~authorizers.jwks.sources.JwksTuning`). An issuer's
    ``snapshot_file`` seeds its cache, so a cold start fetches nothing.

    The token is read from the ``Authorization`` header (a REST TOKEN event's token), or from
    another ``header``; ``Bearer <token>`` with the scheme in any case, or the bare token unless
    ``allow_bare_token=False``. Browsers opening a WebSocket cannot set headers, so
    ``query_parameter`` names a query parameter to read instead (a header and a query value
    that differ are ambiguous and refused).
    """

    per_request = False  # the verdict depends on the token only (see NamedValidator)

    def __init__(
        self,
        issuers: Iterable[IssuerConfig] | None = None,
        *,
        name: str = "jwt",
        header: str | None = None,
        query_parameter: str | None = None,
        allow_bare_token: bool = True,
        clock: Clock = system_clock,
        max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
        cache_size: int = DEFAULT_CACHE_SIZE,
        fetcher: Fetcher | str | None = None,
        monotonic: MonotonicClock = monotonic_clock,
        timeout: float = DEFAULT_TIMEOUT,
        jwks_options: JwksTuning | None = None,
        **issuer_settings: Unpack[IssuerSettings],
    ) -> None:
        if issuers is None:
            configs = [IssuerConfig(**issuer_settings)]
        elif issuer_settings:
            raise ConfigurationError("pass issuers=[...] or one issuer's settings, not both")
        else:
            configs = list(issuers)
        if not configs:
            raise ConfigurationError("JwtValidator needs at least one issuer")
        self._name = name
        self._header = None if header is None or header.lower() == "authorization" else header
        self._query_parameter = query_parameter
        self._allow_bare = allow_bare_token
        self._clock = clock
        self._max_token_bytes = max_token_bytes
        self._issuers: dict[str, IssuerRules] = {}
        fetching = KeyFetching(fetcher, monotonic, timeout, jwks_options)
        remote: dict[tuple[str, bool, Any], KeySource] = {}  # one source per JWKS URL
        for config in configs:
            if config.issuer in self._issuers:
                raise ConfigurationError(f"issuer {config.issuer} configured twice")
            keys = config.keys
            if keys is None:
                url = (str(config.jwks_url), config.allow_http_loopback, config.snapshot_file)
                if url not in remote:
                    remote[url] = fetching.remote(
                        url[0], allow_http_loopback=url[1], snapshot_file=url[2]
                    )
                keys = remote[url]
            self._issuers[config.issuer] = IssuerRules.compile(config, keys)
        # An LRU in C (OrderedDict): a hit and an insert with eviction cost a fraction of a µs.
        self._cache: OrderedDict[str, _Verified] | None = OrderedDict() if cache_size > 0 else None
        self._cache_size = cache_size
        self._seen: set[int] = set()  # tokens verified once (authorizers._sightings)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    @property
    def issuers(self) -> tuple[str, ...]:
        return tuple(self._issuers)

    def prefetch(self) -> None:
        """Load every issuer's keys now (call at cold start, outside the handler)."""
        for keys in {id(i.keys): i.keys for i in self._issuers.values()}.values():
            keys.prefetch()

    def validate(self, request: AuthRequest) -> Identity:
        return self.verify(self._token_of(request))

    def _token_of(self, request: AuthRequest) -> str:
        if self._header is None:  # the Authorization header, or a TOKEN event's token
            value = request.authorization()
        elif request.kind is RequestKind.REST_TOKEN:  # API Gateway read the header already
            value = request.token or None
        else:
            value = request.header(self._header) or None
        in_query = None
        if self._query_parameter is not None:
            in_query = request.query.get(self._query_parameter) or None
        if in_query is None:  # the token goes to parse_compact, whose grammar checks it
            return bearer_jws(value, allow_bare=self._allow_bare)
        # Two sources: each is read strictly, so a malformed one is refused as malformed,
        # not as differing from the other.
        token = bearer_token(in_query)  # a bare token: no scheme in a query string
        if value is not None and bearer_token(value, allow_bare=self._allow_bare) != token:
            raise Unauthorized(ReasonCode.AMBIGUOUS_CREDENTIAL, "different tokens in header, query")
        return token

    @property
    def token_cache_size(self) -> int:
        """How many verified tokens this validator remembers (0: none)."""
        return self._cache_size if self._cache is not None else 0

    def verify(self, token: str) -> Identity:
        """Verify a raw token string (without ``Bearer``); the identity or an error."""
        now = self._clock()
        identity = self._cached(token, now)
        return identity if identity is not None else self._verify_new(token, now)

    def cached_identity(self, token: str) -> Identity | None:
        """The identity of ``token`` if this validator holds it verified, after the cache
        hit's re-checks (time, key still published, custom checks: raises like
        :meth:`verify`); ``None`` if the token is not in its cache. The same object for as
        long as the token stays cached (so a caller may key derived results on it)."""
        return self._cached(token, self._clock())

    def _cached(self, token: str, now: float) -> Identity | None:
        cache = self._cache
        if cache is None:
            return None
        hit = cache.get(token)  # atomic: a new token (the usual miss) takes no lock
        if hit is None:
            return None
        with self._lock:
            try:  # noqa: SIM105 - contextlib.suppress costs ~0.5 µs per cache hit
                cache.move_to_end(token)
            except KeyError:  # evicted meanwhile by another thread: nothing to move
                pass
        return self._revalidate(token, hit, now)

    def _revalidate(self, token: str, hit: _Verified, now: float) -> Identity:
        issuer = hit.issuer
        if not issuer.keys.is_current(hit.key):  # key left the JWKS: verify from scratch
            self._forget(token)
            return self._verify_new(token, now)
        try:
            if not hit.window[0] <= now < hit.window[1]:
                check_times(hit.claims, now, issuer.leeway, issuer.max_age, issuer.max_lifetime)
            for check in issuer.checks:
                check(hit.header, hit.claims, hit.key)
        except Exception:
            self._forget(token)
            raise
        return hit.identity

    def _forget(self, token: str) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache.pop(token, None)

    def _verify_new(self, token: str, now: float) -> Identity:
        jws = parse_compact(token, max_bytes=self._max_token_bytes)
        header, claims = jws.header, jws.claims
        issuer = self._issuer_of(claims)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in issuer.algorithms:
            raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "alg is not allowed")
        kid = header.get("kid")
        if kid is None:
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, "token has no kid")
        key = issuer.keys.get_key(kid, alg)
        if not key.fits(alg):
            raise Unauthorized(ReasonCode.DISALLOWED_ALGORITHM, "alg does not fit the key")
        if not verify_signature(alg, key.public_key, jws.signing_input, jws.signature):
            raise Unauthorized(ReasonCode.BAD_SIGNATURE, "signature does not verify")
        check_times(claims, now, issuer.leeway, issuer.max_age, issuer.max_lifetime)
        if issuer.token_types is not None:
            typ = header.get("typ")
            if not isinstance(typ, str) or normalize_token_type(typ) not in issuer.token_types:
                raise Unauthorized(ReasonCode.WRONG_TOKEN_TYPE, "unexpected typ header")
        issuer.rules.check(claims)
        for check in issuer.checks:
            check(header, claims, key)
        identity = self._identity(issuer, claims)
        issuer.rules.authorize(identity.scopes, identity.groups)
        # cached at its second verification; the cache lookup hashed this object already
        if self._cache is not None and seen_before(self._seen, hash(token), self._cache_size):
            window = _time_window(claims, issuer)
            verified = tuple.__new__(_Verified, (issuer, key, header, claims, identity, window))
            with self._lock:
                self._cache[token] = verified
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return identity

    def _issuer_of(self, claims: Mapping[str, Any]) -> IssuerRules:
        iss = claims.get("iss")
        if iss is None:
            raise Unauthorized(ReasonCode.MISSING_CLAIM, "'iss' is required")
        if not isinstance(iss, str):
            raise Unauthorized(ReasonCode.INVALID_CLAIM, "'iss' is not a string")
        issuer = self._issuers.get(iss)
        if issuer is None:
            raise Unauthorized(ReasonCode.WRONG_ISSUER, issuer_mismatch(iss, tuple(self._issuers)))
        return issuer

    def _identity(self, issuer: IssuerRules, claims: dict[str, Any]) -> Identity:
        return identity_from_claims(self._name, issuer, claims)


def identity_from_claims(validator: str, issuer: IssuerRules, claims: dict[str, Any]) -> Identity:
    """The identity a token's claims establish under ``issuer``'s rules (principal, scopes,
    groups, context); introspection answers get theirs here too."""
    principal = claims.get(issuer.principal_claim)
    if principal is None:
        raise Unauthorized(ReasonCode.MISSING_CLAIM, f"{issuer.principal_claim!r} is required")
    if not isinstance(principal, str) or not principal:
        raise Unauthorized(ReasonCode.INVALID_CLAIM, f"{issuer.principal_claim!r} is not a string")
    context: Mapping[str, ContextValue] = _NO_CONTEXT
    if issuer.context_claims:
        values = {key: context_value(claims.get(claim)) for claim, key in issuer.context_claims}
        context = MappingProxyType({k: v for k, v in values.items() if v is not None})
    return _new_identity(
        principal_id=principal,
        validator=validator,
        claims=MappingProxyType(claims),
        scopes=scopes_of(claims),
        groups=groups_of(claims, issuer.groups_claim),
        issuer=issuer.issuer,
        context=context,
    )
