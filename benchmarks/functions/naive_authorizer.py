"""The "naive stack" the goals compare with: what a REST TOKEN authorizer usually looks like
without this package - PyJWT's ``PyJWKClient`` for keys, ``jwt.decode`` with the same claim
requirements, a Powertools ``Logger`` line per decision, a blueprint-style policy dict (the AWS
blueprint's ``AuthPolicy``: the stage's ARN prefix, every route allowed), and ``requests``
imported for the function's other outbound calls (``BENCH_NAIVE_REQUESTS=0`` leaves it out)."""

from __future__ import annotations

import os
from typing import Any

import jwt
from aws_lambda_powertools import Logger

if os.environ.get("BENCH_NAIVE_REQUESTS", "1") == "1":
    import requests  # noqa: F401 - part of the stack as defined, not of the hot path

ISSUER = os.environ["BENCH_ISSUER"]
AUDIENCE = os.environ["BENCH_AUDIENCE"]
logger = Logger(service="authorizer")
jwks_client = jwt.PyJWKClient(os.environ["BENCH_JWKS_URL"], timeout=3)


def policy(principal: str, method_arn: str) -> dict[str, Any]:
    """The blueprint's way: split the method ARN by hand, allow every route of the stage."""
    arn, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    statement = {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": [f"{arn}/{stage}/*"],
    }
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = event["authorizationToken"].removeprefix("Bearer ")
    try:
        key = jwks_client.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        logger.info("authorizer decision", extra={"outcome": "unauthorized", "reason": str(error)})
        raise Exception("Unauthorized") from None
    logger.info("authorizer decision", extra={"outcome": "allow", "principal": claims["sub"]})
    return policy(claims["sub"], event["methodArn"])
