"""The product's own per-request work, fused: how close any fast path could come to the goal.

Not shipped. ``benchmarks/floor_handler.py`` measures a Python handler doing only the bare
checks; this one does what ``Authorizer.handler`` does for a new RS256 token in the default
configuration (a REST TOKEN event, one issuer, whole-API rules, the JSON log line with its EMF
metrics, the token cache's and response reuse's bookkeeping), with the product's own pieces
(strict JWS parsing, claim rules, ``check_times``, cached policy resources, the log line's
prepared pieces and masking) called inline from one function: no validator, authorizer or
observer objects in between. ``models=True`` also builds what the product's layers hand each
other (``AuthRequest``, ``Identity``, ``Decision``); ``models=False`` builds none of them.

It handles the happy path of that configuration only (anything else raises ``ValueError``
where the product would refuse or take another path); ``tests/shipping/test_benchmarks_smoke.py``
holds its responses and log lines to the product's, so it cannot measure less work unnoticed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from authorizers.arn import ApiArn
from authorizers.decision import Decision, Outcome
from authorizers.event_parsing import _new_request
from authorizers.grants import Grants
from authorizers.observability import _REDACTED, MIN_SECRET_CHARS, JsonLogObserver, _quote
from authorizers.request import RequestKind
from authorizers.responses import _resources
from authorizers.validators._jws import (
    _COMPACT_JWS,
    DEFAULT_MAX_TOKEN_BYTES,
    decode_segment,
    parse_header,
    parse_json_object,
)
from authorizers.validators.claims import groups_of, scopes_of
from authorizers.validators.jwt import JwtValidator, _new_identity
from authorizers.validators.token_times import check_times

_PKCS1, _SHA256 = padding.PKCS1v15(), hashes.SHA256()
_WHOLE_API = Grants(allow=("*",))
_NO_CONTEXT: Any = MappingProxyType({})


def fused_handler(
    validator: JwtValidator, *, models: bool = True
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``handler(event)`` doing ``Authorizer(validator).handler(event)``'s work for a new token
    of one of ``validator``'s issuers, inline; the log line goes to ``sys.stdout``."""
    issuers = validator._issuers
    name = validator.name
    pieces = JsonLogObserver()._pieces
    head = "".join((pieces[1], "INFO", pieces[2]))
    fields = (pieces[3], '"allow"', pieces[4], '"ok"', pieces[5], '""', pieces[6], _quote(name))
    constant = "".join((*fields, pieces[7]))
    kind = "".join((pieces[8], _quote(RequestKind.REST_TOKEN), pieces[9]))
    tail = "".join((pieces[10], "null", pieces[11]))
    seen: set[int] = set()  # the token cache's once-seen hashes
    reuse_seen: set[int] = set()  # response reuse's once-allowed (credential, API) hashes
    reusable: dict[str, Any] = {}  # response reuse's entries (a new token finds none)

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        if type(event) is not dict:
            raise ValueError("not an event")
        credential = event.get("authorizationToken")
        if type(credential) is not str or credential in reusable:
            raise ValueError("not a new token")
        method_arn = event.get("methodArn")
        if event.get("type") != "TOKEN" or "version" in event or type(method_arn) is not str:
            raise ValueError("not a TOKEN event")
        arn = ApiArn.parse(method_arn)
        if arn.verb is None:
            raise ValueError("not a REST method ARN")
        if models:
            request = _new_request(
                kind=RequestKind.REST_TOKEN,
                arn=arn,
                token=credential,
                method=arn.verb,
                path=arn.path,
                raw_event=event,
            )
        scheme, space, token = credential.strip(" \t").partition(" ")
        if not space:
            token = scheme
        elif scheme.lower() != "bearer":
            raise ValueError("not a bearer token")
        token = token.lstrip(" ")
        if len(token) > DEFAULT_MAX_TOKEN_BYTES:
            raise ValueError("token too long")
        match = _COMPACT_JWS.fullmatch(token)
        if match is None:
            raise ValueError("not a compact JWS")
        header_b64, payload_b64, signature_b64 = match.groups()
        header = parse_header(header_b64)
        claims = parse_json_object(decode_segment(payload_b64, "payload"), "payload")
        iss = claims.get("iss")
        issuer = issuers.get(iss) if type(iss) is str else None
        alg = header.get("alg")
        if issuer is None or type(alg) is not str or alg not in issuer.algorithms:
            raise ValueError("issuer or algorithm")
        kid = header.get("kid")
        if kid is None:
            raise ValueError("no kid")
        key = issuer.keys.get_key(kid, alg)
        if alg != "RS256" or not key.fits(alg) or key.public_key.key_size < 2048:
            raise ValueError("not an RS256 key")
        signing_input = token[: match.end(2)].encode("ascii")
        signature = decode_segment(signature_b64, "signature")
        key.public_key.verify(signature, signing_input, _PKCS1, _SHA256)
        now = time.time()
        check_times(claims, now, issuer.leeway, issuer.max_age, issuer.max_lifetime)
        if issuer.token_types is not None or issuer.checks or issuer.context_claims:
            raise ValueError("not the default configuration")
        issuer.rules.check(claims)
        principal = claims.get(issuer.principal_claim)
        if type(principal) is not str or not principal:
            raise ValueError("no principal")
        scopes, groups = scopes_of(claims), groups_of(claims, issuer.groups_claim)
        if models:
            identity = _new_identity(
                principal_id=principal,
                validator=name,
                claims=MappingProxyType(claims),
                scopes=scopes,
                groups=groups,
                issuer=iss,
                context=_NO_CONTEXT,
            )
        issuer.rules.authorize(scopes, groups)
        fingerprint = hash(token)
        if fingerprint in seen:
            raise ValueError("a repeated token")
        seen.add(fingerprint)
        allow, _, _ = _resources(arn.api_prefix + "/", _WHOLE_API)
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [*allow]}
        response = {
            "principalId": principal,
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        }
        if models:
            decision = tuple.__new__(
                Decision,
                (Outcome.ALLOW, name, request, None, "", identity, _WHOLE_API, response),
            )
            assert decision.response is response
        route = method_arn
        if len(arn.resource) >= MIN_SECRET_CHARS:
            for part in credential.replace(",", " ").replace(".", " ").split():
                if MIN_SECRET_CHARS <= len(part) <= len(route) and part in route:
                    route = route.replace(part, _REDACTED)
        latency = repr(round((time.perf_counter() - started) * 1000.0, 3))
        stamp = str(int(time.time() * 1000))
        line = (pieces[0], stamp, head, stamp, constant, _quote(principal), kind, _quote(route),
                tail, latency, pieces[12], latency, pieces[13])  # fmt: skip
        sys.stdout.write("".join(line))
        reuse_seen.add(hash((credential, arn.api_prefix)))
        return response

    return handler
