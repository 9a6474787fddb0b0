"""DPoP-bound access tokens (RFC 9449): :class:`DpopValidator`.

``Authorization: DPoP <token>`` plus one ``DPoP`` proof header. Accepted only if the proof
verifies (:mod:`authorizers.validators.dpop_proof`: ``typ``, allowed asymmetric ``alg``, public
``jwk``, ``htm``/``htu`` of this call, ``iat`` in the window, ``ath`` of this token), the token
verifies (the wrapped :class:`~authorizers.validators.jwt.JwtValidator`), the token's
``cnf.jkt`` is the proof key's thumbprint, an optional server nonce is fresh, and the proof's
``jti`` was not seen before (the replay store - consulted last, so only complete, valid
presentations take space in it).

The verdict holds for one request (method, URL, time window, one-time ``jti``): the validator
is ``per_request``, so the Authorizer requires a result TTL of 0 and allows only the called
method ARN.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Protocol

from authorizers._internal.request_url import request_url
from authorizers._internal.validator_parts import NamedValidator, refuse_token_event
from authorizers.clock import Clock, system_clock
from authorizers.credentials import bearer_token, scheme_token
from authorizers.errors import MalformedEvent, ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.request import AuthRequest
from authorizers.validators.dpop_nonce import DpopNonces
from authorizers.validators.dpop_proof import Proof, ProofRules, invalid
from authorizers.validators.dpop_replay import MemoryReplayStore, ReplayStore

#: RFC 9449 §11.2 names ES256 and RS256 as the ones to support; PS256 and EdDSA are as safe.
DEFAULT_ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")


class TokenVerifier(Protocol):
    """What verifies the access token: ``JwtValidator``, ``OidcValidator``, ``CognitoValidator``."""

    def verify(self, token: str) -> Identity: ...


class DpopValidator(NamedValidator):
    """DPoP-bound JWT access tokens, verified by ``tokens`` (e.g. a ``JwtValidator``).

    ``max_age``/``leeway``: how old / how far in the future a proof's ``iat`` may be (seconds).
    ``replay``: where proof ids are remembered (default: this instance's memory; use
    :class:`~authorizers.validators.dpop_replay.DynamoDBReplayStore` to share them across
    instances). ``nonces``: require server nonces. ``allow_bearer``: also accept plain
    ``Bearer`` tokens *without* a ``cnf`` binding (a bound token sent as Bearer is refused).
    """

    per_request = True  # method, URL, iat window and a one-time jti
    #: ``cnf`` members this validator enforces (read by CertificateBoundValidator)
    binds = frozenset({"jkt"})

    def __init__(
        self,
        tokens: TokenVerifier,
        *,
        name: str = "dpop",
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        max_age: float = 60.0,
        leeway: float = 5.0,
        replay: ReplayStore | None = None,
        nonces: DpopNonces | None = None,
        allow_bearer: bool = False,
        clock: Clock = system_clock,
    ) -> None:
        super().__init__(name)
        self.tokens = tokens
        self.rules = ProofRules.build(tuple(algorithms), max_age, leeway)
        self.replay: ReplayStore = replay if replay is not None else MemoryReplayStore()
        self.nonces = nonces
        self.allow_bearer = allow_bearer
        self._clock = clock

    def validate(self, request: AuthRequest) -> Identity:
        refuse_token_event(request, "DPoP needs the DPoP header: use a REQUEST authorizer")
        authorization = request.authorization()
        scheme = (authorization or "").lstrip(" \t").partition(" ")[0].lower()
        if scheme == "bearer" and self.allow_bearer:
            return self._bearer(bearer_token(authorization, allow_bare=False))
        token = scheme_token(authorization, "DPoP")
        proofs = request.headers.get_all("dpop")
        if len(proofs) != 1:  # RFC 9449 §4.3: exactly one proof
            raise invalid("no DPoP proof header" if not proofs else "several DPoP proofs")
        url = request_url(request)
        if url is None or request.method is None:
            raise MalformedEvent(detail="the event lacks the domain name or path DPoP binds")
        now = self._clock()
        proof = self.rules.check(proofs[0], method=request.method, url=url, token=token, now=now)
        identity = self.tokens.verify(token)
        if not hmac.compare_digest(_bound_jkt(identity).encode(), proof.jkt.encode()):
            raise Unauthorized(ReasonCode.DPOP_BINDING_MISMATCH, "token is bound to another key")
        self._check_nonce(proof)
        key = hashlib.sha256(f"{proof.jkt}.{proof.jti}".encode()).hexdigest()
        expires_at = proof.iat + self.rules.max_age + 2 * self.rules.leeway
        if not self.replay.first_use(key, expires_at, now):
            raise Unauthorized(ReasonCode.DPOP_REPLAY, "DPoP proof was already used")
        return identity

    def _bearer(self, token: str) -> Identity:
        identity = self.tokens.verify(token)
        cnf = identity.claims.get("cnf")
        # RFC 9449 §7.2: a DPoP-bound token is no bearer token (other cnf: for a wrapper)
        if cnf is not None and (not isinstance(cnf, Mapping) or "jkt" in cnf):
            raise Unauthorized(ReasonCode.DPOP_BINDING_MISMATCH, "DPoP-bound token as Bearer")
        return identity

    def _check_nonce(self, proof: Proof) -> None:
        if self.nonces is not None and not self.nonces.is_fresh(proof.nonce):
            raise Unauthorized(ReasonCode.USE_DPOP_NONCE, "proof lacks a fresh server nonce")


def _bound_jkt(identity: Identity) -> str:
    cnf = identity.claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
    if not isinstance(jkt, str) or not jkt:
        raise Unauthorized(ReasonCode.DPOP_BINDING_MISMATCH, "token has no cnf.jkt binding")
    return jkt
