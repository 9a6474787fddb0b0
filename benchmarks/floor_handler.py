"""The floor of a Python TOKEN authorizer: a hand-fused handler doing only the bare checks.

Not shipped and not a peer: a measurement of how little a handler written in Python can cost
around the signature verify, so the warm-path profile can say how much of our cost is the
language and how much is ours. Everything happens inline in one function: the strict JWS
grammar (one regex), base64url, a plain ``json`` scan, ``alg``/``kid`` against a dict of keys,
the verify, ``iss``/``aud``/``exp``/``nbf``/``iat``/``sub``, an Allow of the whole stage and one
short log line. Left out, on purpose, is everything the product adds: duplicate-key and
canonical-base64 checks, ``crit``, scopes, identity and request models, route rules, the
response size checks, credential masking, EMF metrics, the token cache and response reuse.
"""

from __future__ import annotations

import binascii
import functools
import json
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)")
_PAD = ("", "", "==", "=")
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_QUOTE = json.encoder.encode_basestring_ascii
_LINE = '{"level":"INFO","timestamp":%d,"outcome":"allow","principal":%s,"route":%s}\n'


def _b64(segment: str) -> bytes:
    return binascii.a2b_base64(segment.replace("-", "+").replace("_", "/") + _PAD[len(segment) & 3])


@functools.lru_cache(maxsize=64)
def _header(segment: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(_b64(segment))
    return value


def minimal_handler(
    issuer: str, audience: str, keys: Mapping[str, Any], leeway: float = 30.0
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``handler(event)`` for RS256 tokens of ``issuer`` signed by ``keys`` (kid -> public key);
    any failure raises (the floor needs no refusal path)."""
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        arn, token = event["methodArn"], event["authorizationToken"]
        if event.get("type") != "TOKEN" or type(arn) is not str or type(token) is not str:
            raise ValueError("not a TOKEN event")
        if token[:7].lower() == "bearer ":
            token = token[7:]
        match = _JWS.fullmatch(token) if len(token) <= 16384 else None
        if match is None:
            raise ValueError("malformed token")
        header_b64, payload_b64, signature_b64 = match.groups()
        header = _header(header_b64)
        text = _b64(payload_b64).decode()
        claims, end = _SCAN(text, 0)
        if end != len(text) or type(claims) is not dict or header.get("alg") != "RS256":
            raise ValueError("malformed token")
        signing_input = token[: match.end(2)].encode("ascii")
        keys[header["kid"]].verify(_b64(signature_b64), signing_input, pkcs1, sha256)
        now = time.time()
        aud, exp, sub = claims.get("aud"), claims.get("exp", 0), claims.get("sub")
        if claims.get("iss") != issuer or not (
            aud == audience or (type(aud) is list and audience in aud)
        ):
            raise ValueError("wrong issuer or audience")
        if type(exp) not in (int, float) or exp <= now - leeway:
            raise ValueError("expired")
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is not None and (type(value) not in (int, float) or value > now + leeway):
                raise ValueError("not yet valid")
        if type(sub) is not str or not sub:
            raise ValueError("no subject")
        stage = arn.split("/", 2)
        statement = {
            "Action": "execute-api:Invoke",
            "Effect": "Allow",
            "Resource": [f"{stage[0]}/{stage[1]}/*"],
        }
        sys.stdout.write(_LINE % (int(now * 1000), _QUOTE(sub), _QUOTE(arn)))
        return {
            "principalId": sub,
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        }

    return handler
