"""REST API REQUEST authorizer: an API key (``x-api-key``) looked up in DynamoDB, and a source-IP
allow-list. Both must pass.

Environment (read once, at import):

- ``API_KEY_TABLE``: DynamoDB table of key records, partition key ``key_hash`` (the SHA-256
  hex digest of a key: ``authorizers.keystores.base.hash_api_key``). A record's ``owner``
  becomes the principal, its ``scopes`` open routes, its ``context`` reaches the backend.
- ``ALLOWED_SOURCE_CIDRS``: comma-separated CIDR blocks callers may come from.
- ``RESULT_TTL_SECONDS``: the result-cache TTL as deployed (default 300). Put the source IP
  in the authorizer's identity sources (``context.identity.sourceIp``), so a result cached
  for an allowed address is never replayed for another one.

The key is returned as ``usageIdentifierKey``, so API Gateway usage plans meter and throttle
each caller (API key source ``AUTHORIZER``).
"""

from __future__ import annotations

import os

from authorizers import AllOf, ApiKeyValidator, Authorizer, RequestValidator
from authorizers.keystores.dynamodb import DynamoDBKeyStore
from authorizers.rules import AccessRules, allow_route, scopes_any

ALLOWED_SOURCE_CIDRS = [
    cidr.strip() for cidr in os.environ["ALLOWED_SOURCE_CIDRS"].split(",") if cidr.strip()
]

authorizer = Authorizer(
    # The API key comes first: the first validator's identity (the key's owner) is the
    # principal. Lookups are cached for 5 minutes (30 s for unknown keys).
    AllOf(
        ApiKeyValidator(DynamoDBKeyStore(os.environ["API_KEY_TABLE"]), usage_identifier=True),
        RequestValidator(allow_cidrs=ALLOWED_SOURCE_CIDRS),
    ),
    rules=AccessRules(
        allow_route("GET", "/partner/whoami"),
        allow_route("GET", "/partner/orders/{id}", requires=scopes_any("orders:read")),
        allow_route("POST", "/partner/orders", requires=scopes_any("orders:write")),
    ),
    result_ttl_seconds=int(os.environ.get("RESULT_TTL_SECONDS", "300")),
)


def handler(event: dict, context: object) -> dict:
    """401 (no, unknown, disabled or expired key; address not allowed), 403 (route not
    allowed for this key), else the key owner's policy; 500 if the table cannot be read."""
    return authorizer.handler(event, context)
