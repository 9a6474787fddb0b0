"""REST API gateway responses from the template: what API Gateway sends instead of its defaults.

A Lambda authorizer cannot set headers on a 401 or 403; a gateway response can, which is how
an API sends ``WWW-Authenticate`` challenges (RFC 6750 §3, RFC 9728 §5.1). Read from SAM's
``GatewayResponses`` (on ``AWS::Serverless::Api``) and ``AWS::ApiGateway::GatewayResponse``
resources; the response types of the authorizer's refusals are honoured (``UNAUTHORIZED``,
``ACCESS_DENIED``, ``AUTHORIZER_FAILURE``, ``AUTHORIZER_CONFIGURATION_ERROR``) with API
Gateway's fallback to ``DEFAULT_4XX`` / ``DEFAULT_5XX``. Header values may be static
(``"'Bearer realm=\\"api\\"'"``); other mapping expressions are not evaluated locally (the
header is left out, and the template reader warns). Body templates: ``application/json``, with
``$context.error.messageString`` and ``$context.error.message`` filled in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authorizers.local.http import HttpResponse
from authorizers.testing.simulator import GatewayDecision

#: The response type API Gateway uses for each authorizer outcome (contract reference §3).
RESPONSE_TYPES: Mapping[GatewayDecision, str] = {
    GatewayDecision.UNAUTHORIZED: "UNAUTHORIZED",
    GatewayDecision.EXPLICIT_DENY: "ACCESS_DENIED",
    GatewayDecision.IMPLICIT_DENY: "ACCESS_DENIED",
    GatewayDecision.INVALID: "AUTHORIZER_FAILURE",
}


@dataclass(frozen=True, slots=True)
class GatewayResponseSpec:
    """One customised response type: status, static headers, JSON body template."""

    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    template: str | None = None


def _static(name: str, value: Any, warnings: list[str]) -> tuple[str, str] | None:
    text = str(value)
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return name, text[1:-1]
    warnings.append(f"gateway response header {name}: {text!r} is not evaluated locally")
    return None


def _spec(
    status: Any, headers: Mapping[str, Any], templates: Any, warnings: list[str]
) -> GatewayResponseSpec:
    pairs = [_static(name, value, warnings) for name, value in headers.items()]
    template = (templates or {}).get("application/json") if isinstance(templates, dict) else None
    return GatewayResponseSpec(
        status=int(status) if status not in (None, "") else None,
        headers=tuple(pair for pair in pairs if pair is not None),
        template=str(template) if template is not None else None,
    )


def from_sam(responses: Mapping[str, Any], warnings: list[str]) -> dict[str, GatewayResponseSpec]:
    """SAM ``GatewayResponses``: ``{TYPE: {StatusCode, ResponseParameters: {Headers},
    ResponseTemplates}}``."""
    found = {}
    for response_type, spec in (responses or {}).items():
        parameters = (spec or {}).get("ResponseParameters") or {}
        found[str(response_type)] = _spec(
            spec.get("StatusCode"),
            parameters.get("Headers") or {},
            spec.get("ResponseTemplates"),
            warnings,
        )
    return found


def from_resource(properties: Mapping[str, Any], warnings: list[str]) -> GatewayResponseSpec:
    """``AWS::ApiGateway::GatewayResponse`` properties."""
    prefix = "gatewayresponse.header."
    headers = {
        name.removeprefix(prefix): value
        for name, value in (properties.get("ResponseParameters") or {}).items()
        if name.startswith(prefix)
    }
    return _spec(
        properties.get("StatusCode"), headers, properties.get("ResponseTemplates"), warnings
    )


def customize(
    responses: Mapping[str, GatewayResponseSpec], decision: GatewayDecision, default: HttpResponse
) -> HttpResponse:
    """``default`` as the API's gateway responses change it for ``decision``."""
    response_type = RESPONSE_TYPES.get(decision)
    if response_type is None or not responses:
        return default
    fallback = "DEFAULT_4XX" if default.status < 500 else "DEFAULT_5XX"
    spec = responses.get(response_type) or responses.get(fallback)
    if spec is None:
        return default
    headers = tuple(pair for pair in default.headers if pair[0].lower() != "content-type")
    body = default.body
    if spec.template is not None:
        body = _render(spec.template, default.body).encode()
    return HttpResponse(
        spec.status or default.status,
        (("Content-Type", "application/json"), *headers, *spec.headers),
        body,
    )


def _render(template: str, default_body: bytes) -> str:
    try:
        document = json.loads(default_body)
    except ValueError:
        document = {}
    message = (
        document.get("message", document.get("Message")) if isinstance(document, dict) else None
    )
    text = "" if message is None else str(message)
    return template.replace("$context.error.messageString", json.dumps(text)).replace(
        "$context.error.message", text
    )
