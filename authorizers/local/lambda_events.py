"""The Lambda events the gateway sends: to an authorizer, and to the route's integration.

Both are built with the test kit's event factories (:mod:`authorizers.testing.events`), so
the local gateway, the unit tests and ``authorizers events`` agree on every field. The
factories' fixed request id and time are replaced by real ones. An integration event is the
authorizer event of the same kind without the authorizer-only fields, plus the body and what
the authorizer passed on (``requestContext.authorizer``).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Mapping
from typing import Any

from authorizers.local.http import HttpRequest
from authorizers.local.model import ApiSpec, ApiType, AuthorizerSpec
from authorizers.local.routing import Routed
from authorizers.request import RequestKind
from authorizers.testing import events
from authorizers.testing.simulator import Result

_AUTHORIZER_ONLY = ("type", "methodArn", "routeArn", "identitySource", "authorizationToken")


def _forwarded(request: HttpRequest) -> dict[str, events.Values]:
    """Headers as API Gateway passes them on: the client's, plus X-Forwarded-*."""
    headers: dict[str, events.Values] = {
        "X-Forwarded-For": request.source_ip,
        "X-Forwarded-Proto": "http",
    }
    return headers | request.header_values()


def _client_cert(request: HttpRequest) -> dict[str, Any]:
    """With mutual TLS, the ``client_cert`` factory argument for the presented certificate."""
    if request.client_cert_pem is None:
        return {}
    from authorizers.local.mtls import client_cert_block  # noqa: PLC0415

    return {"client_cert": client_cert_block(request.client_cert_pem)}


def _location(api: ApiSpec) -> dict[str, Any]:
    return {"api_id": api.logical_id, "stage": api.stage}


def _stamp(event: dict[str, Any], request_id: str, now: float) -> dict[str, Any]:
    """This request's id and time in place of the factories' fixed ones."""
    context = event.get("requestContext")
    if isinstance(context, dict):
        millis = int(now * 1000)
        context["requestId"] = request_id
        if "connectionId" in context:  # WebSocket: one id per connection, API Gateway's shape
            digest = hashlib.sha256(request_id.encode()).digest()[:11]
            context["connectionId"] = base64.b64encode(digest).decode()
        if "timeEpoch" in context:  # HTTP API payload 2.0
            context["timeEpoch"] = millis
            context["time"] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
        if "requestTimeEpoch" in context:
            context["requestTimeEpoch"] = millis
            context["requestTime"] = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
    return event


def _http_event(
    routed: Routed, version: str, identity_sources: tuple[str, ...] = ()
) -> dict[str, Any]:
    request, api, route = routed.request, routed.api, routed.route
    common: dict[str, Any] = {
        "route_key": route.route_key,
        "query": request.query_values(),
        "stage_variables": api.stage_variables,
        "identity_sources": list(identity_sources),
        "source_ip": request.source_ip,
        **_location(api),
        **_client_cert(request),
    }
    route_text = f"{request.method} {routed.path}"
    if version == "2.0":
        headers = {n: v for n, v in _forwarded(request).items() if n.lower() != "cookie"}
        return events.http_v2_event(
            route_text,
            headers=headers,
            cookies=request.cookies(),
            **common,
        )
    return events.http_v1_event(route_text, headers=_forwarded(request), **common)


def _rest_event(routed: Routed) -> dict[str, Any]:
    request, api = routed.request, routed.api
    return events.request_event(
        f"{request.method} {routed.path}",
        headers=_forwarded(request),
        query=request.query_values(),
        resource=routed.route.path,
        stage_variables=api.stage_variables,
        source_ip=request.source_ip,
        **_location(api),
        **_client_cert(request),
    )


def _connect_event(request: HttpRequest, api: ApiSpec) -> dict[str, Any]:
    return events.websocket_connect_event(
        headers=_forwarded(request),
        query=request.query_values(),
        stage_variables=api.stage_variables,
        source_ip=request.source_ip,
        **_location(api),
    )


def authorizer_event(routed: Routed, authorizer: AuthorizerSpec, *, now: float) -> dict[str, Any]:
    """The event ``authorizer`` receives for this request.

    An HTTP API event lists the identity-source values; when one is missing no such event
    exists (API Gateway answers 401 without invoking), so the event is built without them and
    the cache replay, which checks the sources itself, answers the 401.
    """
    kind, request = authorizer.kind, routed.request
    if kind is RequestKind.REST_TOKEN:
        header = authorizer.identity_sources[0].removeprefix("method.request.header.")
        token = request.header(header) or ""
        route = f"{request.method} {routed.path}"
        event = events.token_event(route, token, **_location(routed.api))
    elif kind is RequestKind.REST_REQUEST:
        event = _rest_event(routed)
    elif kind is RequestKind.WEBSOCKET:
        event = _connect_event(request, routed.api)
    else:
        version = "2.0" if kind is RequestKind.HTTP_V2 else "1.0"
        try:
            event = _http_event(routed, version, authorizer.identity_sources)
        except ValueError:  # a missing identity source: see above
            event = _http_event(routed, version)
    return _stamp(event, routed.request_id, now)


def passed_context(api: ApiSpec, result: Result, latency_ms: float) -> dict[str, Any]:
    """``requestContext.authorizer`` of the integration event (contract §3, §5, §6).

    REST and WebSocket: ``principalId`` and the context, every value a string, and the
    authorizer's latency; HTTP APIs: the context as returned, under ``lambda``.
    """
    if api.api_type is ApiType.HTTP:
        return {"lambda": dict(result.context)}
    return {**result.template_context, "integrationLatency": round(latency_ms)}


def integration_event(
    routed: Routed, *, authorizer: Mapping[str, Any] | None, api_key: str | None, now: float
) -> dict[str, Any]:
    """The proxy event the route's function receives (REST v1, HTTP API 1.0 / 2.0, or a
    WebSocket ``$connect``)."""
    api = routed.api
    if api.api_type is ApiType.WEBSOCKET:
        event = _connect_event(routed.request, api)
    elif api.api_type is ApiType.REST:
        event = _rest_event(routed)
    else:
        event = _http_event(routed, routed.route.payload_version)
    for name in _AUTHORIZER_ONLY:
        event.pop(name, None)
    context = event.setdefault("requestContext", {})
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    if api_key is not None and isinstance(context.get("identity"), dict):
        context["identity"]["apiKey"] = api_key
    body, encoded = routed.request.body_text()
    event["body"] = body
    event["isBase64Encoded"] = encoded
    return _stamp(event, routed.request_id, now)
