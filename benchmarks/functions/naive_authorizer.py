"""The "naive stack" the budgets compare with: what a REST TOKEN authorizer usually looks like
without this package - PyJWT's ``PyJWKClient`` for keys, ``jwt.decode`` with the same claim
requirements, Powertools' response class and ``Logger``, and ``requests`` imported for the
function's other outbound calls (``BENCH_NAIVE_REQUESTS=0`` leaves it out)."""

from __future__ import annotations

import os
from typing import Any

import jwt
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
)

if os.environ.get("BENCH_NAIVE_REQUESTS", "1") == "1":
    import requests  # noqa: F401 - part of the stack as defined, not of the hot path

ISSUER = os.environ["BENCH_ISSUER"]
AUDIENCE = os.environ["BENCH_AUDIENCE"]
logger = Logger(service="authorizer")
jwks_client = jwt.PyJWKClient(os.environ["BENCH_JWKS_URL"], timeout=3)


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
    response = APIGatewayAuthorizerResponse.from_route_arn(event["methodArn"], claims["sub"])
    response.allow_all_routes()
    logger.info("authorizer decision", extra={"outcome": "allow", "principal": claims["sub"]})
    return response.asdict()
