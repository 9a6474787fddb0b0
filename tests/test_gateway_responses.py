"""REST gateway responses read from a template and applied to the authorizer's refusals: the
response type, API Gateway's DEFAULT_4XX / DEFAULT_5XX fallback, static header values only."""

from __future__ import annotations

from authorizers.local.gateway_responses import (
    GatewayResponseSpec,
    customize,
    from_resource,
    from_sam,
)
from authorizers.local.http import HttpResponse
from authorizers.testing.simulator import GatewayDecision

UNAUTHORIZED = HttpResponse.json(401, '{"message":"Unauthorized"}')
DENIED = HttpResponse.json(403, '{"Message":"User is not authorized to access this resource"}')
FAILED = HttpResponse.json(500, '{"message":null}')


def test_sam_gateway_responses_with_static_and_unevaluated_headers() -> None:
    warnings: list[str] = []
    found = from_sam(
        {
            "UNAUTHORIZED": {
                "StatusCode": 401,
                "ResponseParameters": {
                    "Headers": {
                        "WWW-Authenticate": "'Bearer realm=\"api\"'",
                        "X-Request": "method.request.header.x-request",
                    }
                },
                "ResponseTemplates": {"application/json": '{"error":$context.error.messageString}'},
            }
        },
        warnings,
    )
    response = customize(found, GatewayDecision.UNAUTHORIZED, UNAUTHORIZED)
    assert response.status == 401
    assert response.header("WWW-Authenticate") == 'Bearer realm="api"'
    assert response.header("X-Request") is None
    assert response.body == b'{"error":"Unauthorized"}'
    assert warnings == [
        "gateway response header X-Request: 'method.request.header.x-request' "
        "is not evaluated locally"
    ]
    assert customize(found, GatewayDecision.IMPLICIT_DENY, DENIED) is DENIED  # not customised


def test_default_4xx_and_5xx_stand_in_for_the_types_not_given() -> None:
    warnings: list[str] = []
    four = from_resource(
        {
            "ResponseType": "DEFAULT_4XX",
            "ResponseParameters": {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        },
        warnings,
    )
    five = GatewayResponseSpec(status=503)
    responses = {"DEFAULT_4XX": four, "DEFAULT_5XX": five}
    denied = customize(responses, GatewayDecision.EXPLICIT_DENY, DENIED)
    assert (denied.status, denied.header("WWW-Authenticate")) == (403, "Bearer")
    assert denied.body == DENIED.body
    assert customize(responses, GatewayDecision.INVALID, FAILED).status == 503
    assert customize({}, GatewayDecision.UNAUTHORIZED, UNAUTHORIZED) is UNAUTHORIZED
    assert warnings == []
