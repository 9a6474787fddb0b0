"""The RFC 9728 metadata sample: the document from its environment, or from the called URL."""

from __future__ import annotations

import json

from authorizers.testing import request_event


def test_the_document_names_the_resource_and_its_authorization_servers(load_app):
    app = load_app(
        RESOURCE=None,
        AUTHORIZATION_SERVERS="https://login.example.com,https://other.example.com",
        DPOP_ALGORITHMS="ES256",
        DPOP_REQUIRED="true",
        MTLS_BOUND_TOKENS=None,
    )
    event = request_event("GET /.well-known/oauth-protected-resource")
    response = app.handler(event, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "resource": "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
        "authorization_servers": ["https://login.example.com", "https://other.example.com"],
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": ["ES256"],
        "dpop_bound_access_tokens_required": True,
    }
    custom = request_event(
        "GET /.well-known/oauth-protected-resource", domain_name="api.example.com", base_path="v1"
    )
    assert json.loads(app.handler(custom, None)["body"])["resource"] == "https://api.example.com/v1"
    configured = load_app(RESOURCE="https://api.example.com", DPOP_ALGORITHMS=None)
    document = json.loads(configured.handler(event, None)["body"])
    assert document["resource"] == "https://api.example.com"
    assert "dpop_signing_alg_values_supported" not in document
