"""Turn what a Lambda proxy integration returned into the HTTP response API Gateway sends.

REST APIs and HTTP API payload 1.0 need ``{"statusCode": int, "headers", "multiValueHeaders",
"body", "isBase64Encoded"}``; anything else is API Gateway's 502 ("Malformed Lambda proxy
response"). HTTP API payload 2.0 also accepts any JSON value without ``statusCode``: 200,
``application/json``, the value as the body; its ``cookies`` become ``Set-Cookie`` headers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from authorizers.local.http import HttpResponse


class MalformedProxyResponse(ValueError):
    """The function's return value is not a proxy response API Gateway accepts."""


def _text_map(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise MalformedProxyResponse(f"{what} must be an object")
    return value


def proxy_response(value: Any, *, payload_version: str) -> HttpResponse:
    """The HTTP response for a function's return value; raises MalformedProxyResponse."""
    if payload_version == "2.0" and not (isinstance(value, Mapping) and "statusCode" in value):
        body = json.dumps(value).encode()
        return HttpResponse(200, (("Content-Type", "application/json"),), body)
    if not isinstance(value, Mapping):
        raise MalformedProxyResponse("the function did not return an object")
    status = value.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedProxyResponse("statusCode must be an integer HTTP status")
    headers = [(k, str(v)) for k, v in _text_map(value.get("headers"), "headers").items()]
    for name, values in _text_map(value.get("multiValueHeaders"), "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedProxyResponse("multiValueHeaders values must be lists")
        headers += [(name, str(item)) for item in values]
    cookies = (value.get("cookies") or []) if payload_version == "2.0" else []
    if not isinstance(cookies, list):
        raise MalformedProxyResponse("cookies must be a list")
    headers += [("Set-Cookie", str(cookie)) for cookie in cookies]
    return HttpResponse(status, tuple(headers), _body(value))


def _body(value: Mapping[str, Any]) -> bytes:
    body = value.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    if value.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise MalformedProxyResponse("isBase64Encoded, but body is not base64") from None
    return body.encode()
