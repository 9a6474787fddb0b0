"""The demo API's backend: answers with who the authorizer let in (principal and context).

Only the authorizer's output is echoed, never the request's headers (they carry credentials).
"""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    passed = (event.get("requestContext") or {}).get("authorizer") or {}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"authorizer": passed}, sort_keys=True, default=str),
    }
