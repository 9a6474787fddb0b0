"""The backend every route of the sample shares: echoes what the authorizer passed on.

``requestContext.authorizer`` only: ``jwt.claims``/``jwt.scopes`` from an HTTP API JWT
authorizer, ``claims`` from a REST JWT or Cognito user pools authorizer, ``principalId`` and
the context from a Lambda authorizer. Headers are not echoed: they carry the token.
"""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    authorizer = (event.get("requestContext") or {}).get("authorizer")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"authorizer": authorizer}, sort_keys=True),
    }
