"""A handler that does nothing: what the Lambda bootstrap itself costs, so the functions'
own share can be told apart from it (``benchmarks/cold_start.py``)."""

from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    allow = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [event["methodArn"]]}
    policy = {"Version": "2012-10-17", "Statement": [allow]}
    return {"principalId": "nobody", "policyDocument": policy}
