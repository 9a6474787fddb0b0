"""The URL a client called, rebuilt from an authorizer event, and URL comparison for DPoP.

A DPoP proof names the URL it was made for (``htu``, RFC 9449 §4.2); the authorizer never sees
that URL, so it is rebuilt from what API Gateway reports: ``https://`` + the domain name the
client connected to (``requestContext.domainName``: the execute-api host or a custom domain)
+ the path as the client sent it (REST and HTTP API 1.0: ``requestContext.path``, which holds
the stage or the custom domain's base path; HTTP API 2.0: ``rawPath``). The ``Host`` header is
never used: it is the client's word, the domain name is API Gateway's.

Both sides are normalized the same way (RFC 3986 §6.2.2 and §6.2.3): scheme and host in lower
case, the default port dropped, an empty path as ``/``, percent-encodings in upper case and
unreserved characters decoded; query and fragment are ignored (RFC 9449 §4.3). Linear time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from authorizers.request import AuthRequest, RequestKind

#: Longer URLs are not sent by a client API Gateway serves (its own cap is 8 KB of request line).
MAX_URL_LENGTH = 8192
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: Characters a path may carry as they are; anything else is percent-encoded first.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _percent(match: re.Match[str]) -> str:
    char = chr(int(match.group(0)[1:], 16))
    return char if char in _UNRESERVED else match.group(0).upper()


def normalize_path(path: str) -> str:
    return _PERCENT.sub(_percent, quote(path, safe=_PATH_SAFE)) or "/"


def normalize_url(url: str) -> str | None:
    """``scheme://host[:port]/path`` normalized, or ``None`` when ``url`` is not an absolute
    http(s) URL without user information."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    authority = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{authority}{normalize_path(parts.path)}"


def _str(source: Mapping[str, Any], key: str) -> str | None:
    value = source.get(key)
    return value if isinstance(value, str) and value else None


def request_url(request: AuthRequest) -> str | None:
    """The normalized URL of the call, or ``None`` when the event lacks what it takes (a
    TOKEN or WebSocket event, no domain name)."""
    event = request.raw_event
    context = event.get("requestContext")
    if not isinstance(context, Mapping):
        return None
    domain = _str(context, "domainName")
    if request.kind is RequestKind.HTTP_V2:
        path = _str(event, "rawPath")
    elif request.kind in (RequestKind.REST_REQUEST, RequestKind.HTTP_V1):
        path = _str(context, "path")
    else:
        return None
    if domain is None or path is None or not path.startswith("/"):
        return None
    # Not through urlsplit: a decoded '?' or '#' in the path must stay part of the path.
    return f"https://{domain.lower().removesuffix(':443')}{normalize_path(path)}"
