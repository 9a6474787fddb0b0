"""The protected backend: echoes who the authorizer let in and what it passed on.

API Gateway hands the authorizer's ``principalId`` and ``context`` to the integration:

- REST API and WebSocket (``$connect``): ``requestContext.authorizer`` holds ``principalId``
  and the context keys side by side;
- HTTP API (payload 2.0): ``requestContext.authorizer.lambda`` holds the context (a simple
  response has no principal; an IAM response's ``principalId`` is there too).

Nothing else of the request is echoed: headers may carry the caller's credential.
"""

from __future__ import annotations

import json
from typing import Any


def caller(event: dict[str, Any]) -> dict[str, Any]:
    """``{"principalId": ..., "context": {...}}`` from any of the API kinds above."""
    passed = (event.get("requestContext") or {}).get("authorizer") or {}
    if isinstance(passed.get("lambda"), dict):  # HTTP API
        passed = passed["lambda"]
    context = {key: value for key, value in passed.items() if key != "principalId"}
    return {"principalId": passed.get("principalId"), "context": context}


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(caller(event), sort_keys=True),
    }
