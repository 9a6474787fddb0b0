"""OAuth 2.0 Protected Resource Metadata (RFC 9728) at ``/.well-known/oauth-protected-resource``.

Clients (agents, MCP clients) that get a 401 follow the ``resource_metadata`` URL of the
``WWW-Authenticate`` challenge here to learn which authorization servers issue tokens for this
API and how tokens must be presented (Bearer header, DPoP, certificate-bound). The route has no
authorizer: the document is public.

Environment: ``RESOURCE`` (the API's resource identifier, an https URL: the ``aud`` of its
tokens; empty: the URL this document was fetched from, without the well-known suffix),
``AUTHORIZATION_SERVERS`` (comma-separated issuer URLs), ``DPOP_ALGORITHMS``
(comma-separated; empty: DPoP not offered), ``DPOP_REQUIRED`` and ``MTLS_BOUND_TOKENS``
(``true``/``false``).
"""

from __future__ import annotations

import json
import os
from typing import Any


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").lower() == "true"


WELL_KNOWN = "/.well-known/oauth-protected-resource"


def called_resource(event: dict[str, Any]) -> str:
    """``https://<domain><stage or base path>``: where this API was called (RFC 9728 §3)."""
    context = event.get("requestContext") or {}
    path = str(context.get("path") or event.get("rawPath") or "")
    return f"https://{context.get('domainName', '')}{path.removesuffix(WELL_KNOWN)}"


def metadata(event: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "resource": os.environ.get("RESOURCE") or called_resource(event),
        "authorization_servers": [
            url for url in os.environ.get("AUTHORIZATION_SERVERS", "").split(",") if url
        ],
        "bearer_methods_supported": ["header"],
    }
    algorithms = [alg for alg in os.environ.get("DPOP_ALGORITHMS", "").split(",") if alg]
    if algorithms:
        document["dpop_signing_alg_values_supported"] = algorithms
        document["dpop_bound_access_tokens_required"] = _flag("DPOP_REQUIRED")
    if _flag("MTLS_BOUND_TOKENS"):
        document["tls_client_certificate_bound_access_tokens"] = True
    return document


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "cache-control": "max-age=3600"},
        "body": json.dumps(metadata(event), sort_keys=True),
    }
