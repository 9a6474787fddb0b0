"""The backend echoes what API Gateway hands it from the authorizer: the integration event is
built from the simulator's view of a real authorizer response."""

from __future__ import annotations

import json

from authorizers import ApiKeyValidator, Authorizer
from authorizers.keystores.base import hash_api_key
from authorizers.keystores.static import StaticKeyStore
from authorizers.testing import http_v2_event, request_event, simulate, websocket_connect_event

KEY = "backend-sample-key-0123456789"
PARTNER = {"owner": "partner-a", "context": {"tier": 2, "team": "blue"}}


def _authorizer(*, simple: bool = False) -> Authorizer:
    keys = StaticKeyStore({hash_api_key(KEY): PARTNER})
    return Authorizer(ApiKeyValidator(keys), simple_responses=simple, observability=None)


def _echo(load_app, integration_event: dict) -> dict:
    response = load_app().handler(integration_event, None)
    assert response["statusCode"] == 200
    return json.loads(response["body"])


def test_rest_and_websocket_integrations_get_principal_and_context(load_app):
    headers = {"x-api-key": KEY}
    for event in (
        request_event("GET /whoami", headers=headers),
        websocket_connect_event(headers=headers),
    ):
        result = simulate(_authorizer().handler(event, None), event)
        assert result.allowed
        body = _echo(load_app, {"requestContext": {"authorizer": dict(result.context)}})
        assert body == {"principalId": "partner-a", "context": {"team": "blue", "tier": 2}}


def test_http_api_integrations_get_the_context_under_lambda(load_app):
    event = http_v2_event("GET /whoami", headers={"x-api-key": KEY})
    result = simulate(_authorizer(simple=True).handler(event, None), event)
    assert result.allowed
    body = _echo(load_app, {"requestContext": {"authorizer": {"lambda": dict(result.context)}}})
    assert body == {"principalId": None, "context": {"team": "blue", "tier": 2}}


def test_no_authorizer_data_echoes_nothing(load_app):
    assert _echo(load_app, {"requestContext": {}}) == {"principalId": None, "context": {}}
