"""HMAC-SHA256 request signatures with a shared secret, selected by key id (rotation).

The client signs a canonical string built from the key id, a timestamp, the method, the path,
chosen query parameters and chosen headers (see :meth:`SignatureScheme.canonical_string` and
``docs/api-keys-and-request-rules.md``). A Lambda authorizer never sees the request body, so the
body cannot be signed here. Signatures are compared in constant time; a timestamp outside
``max_skew`` is refused (this narrows replay, it does not prevent it within the window).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from authorizers.clock import Clock, system_clock
from authorizers.errors import (
    ConfigurationError,
    ReasonCode,
    Unauthorized,
)
from authorizers.identity import Identity
from authorizers.keystores.hmac import KEY_ID, HmacKey, HmacSecrets, StaticHmacSecrets, check_key_id
from authorizers.request import AuthRequest
from authorizers.validators._parts import NamedValidator, refuse_token_event
from authorizers.validators.hmac_canonical import (
    ALGORITHM,
    ALGORITHM_V2,
    TIMESTAMP,
    SignatureScheme,
    Values,
)

__all__ = [
    "ALGORITHM",
    "ALGORITHM_V2",
    "HmacSignatureValidator",
    "SignatureScheme",
    "Values",
    "sign_request",
]

_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_BAD = ReasonCode.BAD_REQUEST_SIGNATURE


def sign_request(
    secret: str | bytes,
    key_id: str,
    method: str,
    path: str,
    *,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    scheme: SignatureScheme | None = None,
    timestamp: int | None = None,
    api_id: str | None = None,
    stage: str | None = None,
) -> dict[str, str]:
    """The headers a client adds to sign a request (key id, timestamp, signature).

    ``path`` is the path below the stage, as in the method ARN (``/pets/1``); ``api_id`` and
    ``stage`` (required by version 2, the default) name the API stage the request is for.
    Pass the same ``scheme`` the authorizer uses; ``timestamp`` defaults to now.
    """
    scheme = scheme or SignatureScheme()
    stamp = int(time.time()) if timestamp is None else timestamp
    canonical = scheme.canonical_string(
        key_id=check_key_id(key_id),
        timestamp=stamp,
        method=method,
        path=path,
        headers=headers,
        query=query,
        api_id=api_id,
        stage=stage,
    )
    return {
        scheme.key_id_header: key_id,
        scheme.timestamp_header: str(stamp),
        scheme.signature_header: scheme.signature(HmacKey.parse(secret).secret, canonical),
    }


class HmacSignatureValidator(NamedValidator):
    """Verifies a signature made with :func:`sign_request` (or any client following the docs).

    Per request: the signature binds one method, path, query and time window, so the
    Authorizer refuses a result TTL above 0 and allows only the signed method ARN.
    """

    per_request = True

    def __init__(
        self,
        secrets: HmacSecrets | Mapping[str, str | bytes | HmacKey | Mapping[str, Any]],
        *,
        scheme: SignatureScheme | None = None,
        signed_headers: Iterable[str] = (),
        signed_query: Iterable[str] = (),
        max_skew: float = 300.0,
        clock: Clock = system_clock,
        name: str = "hmac_signature",
    ) -> None:
        if isinstance(secrets, Mapping):
            secrets = StaticHmacSecrets(secrets)
        if scheme is not None and (signed_headers or signed_query):
            raise ConfigurationError("give either a scheme or signed_headers/signed_query")
        self.secrets = secrets
        self.scheme = scheme or SignatureScheme(tuple(signed_headers), tuple(signed_query))
        if max_skew <= 0:
            raise ConfigurationError("max_skew must be positive")
        self.max_skew = max_skew
        self._clock = clock
        super().__init__(name)

    def validate(self, request: AuthRequest) -> Identity:
        refuse_token_event(
            request,
            "HmacSignatureValidator needs a REQUEST authorizer: a TOKEN event carries one "
            "header only",
        )
        scheme = self.scheme
        sent = [
            request.header(h)
            for h in (scheme.key_id_header, scheme.timestamp_header, scheme.signature_header)
        ]
        key_id, stamp, signature = sent
        if key_id is None or stamp is None or signature is None:
            raise Unauthorized(ReasonCode.MISSING_CREDENTIAL, "request signature headers missing")
        if not KEY_ID.fullmatch(key_id) or not TIMESTAMP.fullmatch(stamp):
            raise Unauthorized(_BAD, "malformed signature key id or timestamp")
        if not _SIGNATURE.fullmatch(signature):
            raise Unauthorized(_BAD, "signature is not 64 hex characters")
        if abs(self._clock() - int(stamp)) > self.max_skew:
            raise Unauthorized(ReasonCode.STALE_REQUEST_SIGNATURE, "timestamp outside max skew")
        key = self.secrets.secret_for(key_id)
        if key is None:
            raise Unauthorized(ReasonCode.UNKNOWN_KEY, f"unknown signing key id {key_id!r}")
        try:
            canonical = scheme.canonical_request(request, key_id=key_id, timestamp=stamp)
        except ValueError as error:  # e.g. a signed parameter sent twice (version 2)
            raise Unauthorized(_BAD, str(error)) from None
        expected = scheme.signature(key.secret, canonical)
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            raise Unauthorized(_BAD, "request signature does not verify")
        return Identity(
            principal_id=key.principal or key_id,
            validator=self._name,
            claims={"key_id": key_id},
        )
