"""Turn the event API Gateway sends a Lambda authorizer into an :class:`AuthRequest`.

One parser for the five shapes (REST TOKEN, REST REQUEST, HTTP API payload 1.0 and 2.0,
WebSocket ``$connect``), so validators never look at raw events. Lenient about keys we do not
use (AWS adds context keys over time), strict about the ones we do: a wrong type or an unknown
shape raises :class:`MalformedEvent` (fail closed, 500), never a guess. Error details name the
field, never its value: the value may be a credential.

This runs on every invocation, so the common paths avoid Python-level loops: map types are
checked with set(map(type, ...)) (in C), header/query lookup indexes are built on first use,
and ARN parses are cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote_plus

from authorizers._internal.frozen_build import builder
from authorizers.arn import ApiArn
from authorizers.errors import MalformedEvent
from authorizers.request import (
    EMPTY_HEADERS,
    EMPTY_MAPPING,
    EMPTY_QUERY,
    AuthRequest,
    ClientCert,
    MultiMap,
    RequestKind,
)

_new_request = builder(AuthRequest)


def parse_event(event: Mapping[str, Any]) -> AuthRequest:
    """Build the request model from a Lambda authorizer event, or raise ``MalformedEvent``."""
    if type(event) is not dict and not isinstance(event, Mapping):
        raise MalformedEvent(detail="event is not a JSON object")
    event_type = event.get("type")
    version = event.get("version")
    if version is None:
        if event_type == "TOKEN":
            return _token_request(event)
        if event_type == "REQUEST":
            return _rest_or_websocket_request(event)
    elif event_type == "REQUEST":
        if version == "2.0":
            return _http_v2_request(event)
        if version == "1.0":
            return _http_v1_request(event)
    raise MalformedEvent(detail="'type'/'version' do not name an API Gateway authorizer event")


# --- the five shapes -----------------------------------------------------------------------


def _token_request(event: Mapping[str, Any]) -> AuthRequest:
    arn = ApiArn.parse(_required_str(event, "methodArn"))
    if arn.verb is None:
        raise MalformedEvent(detail="TOKEN event with a WebSocket 'methodArn'")
    return _new_request(  # every invocation of a TOKEN authorizer: no dataclass __init__
        kind=RequestKind.REST_TOKEN,
        arn=arn,
        token=_required_str(event, "authorizationToken"),
        method=arn.verb,
        path=arn.path,
        raw_event=event,
    )


def _rest_or_websocket_request(event: Mapping[str, Any]) -> AuthRequest:
    arn = ApiArn.parse(_required_str(event, "methodArn"))
    context = _object(event, "requestContext")
    if arn.verb is None or context.get("eventType") == "CONNECT":
        return _websocket_request(event, arn, context)
    return _proxy_style_request(RequestKind.REST_REQUEST, event, arn, context)


def _websocket_request(
    event: Mapping[str, Any], arn: ApiArn, context: Mapping[str, Any]
) -> AuthRequest:
    # Authorizers run only on $connect; anything else is not an event API Gateway sends.
    if (
        arn.verb is not None
        or arn.resource != "$connect"
        or context.get("eventType", "CONNECT") != "CONNECT"
        or context.get("routeKey", "$connect") != "$connect"
    ):
        raise MalformedEvent(detail="WebSocket authorizer event for a route other than $connect")
    identity = _object(context, "identity", "requestContext.")
    return AuthRequest(
        kind=RequestKind.WEBSOCKET,
        arn=arn,
        headers=_headers(event),
        query=_query(event),
        stage_variables=_read_only_str_map(event, "stageVariables"),
        source_ip=_optional_str(identity, "sourceIp", "requestContext.identity."),
        client_cert=_client_cert(identity, "requestContext.identity."),
        route_key="$connect",
        request_id=_optional_str(context, "requestId", "requestContext."),
        raw_event=event,
    )


def _http_v1_request(event: Mapping[str, Any]) -> AuthRequest:
    arn = _http_arn(event, "methodArn")
    context = _object(event, "requestContext")
    # 1.0 joins the identity-source values into one string (the same as authorizationToken).
    joined = _optional_str(event, "identitySource")
    return _proxy_style_request(
        RequestKind.HTTP_V1,
        event,
        arn,
        context,
        route_key=_optional_str(context, "routeKey", "requestContext."),
        identity_source=tuple(joined.split(",")) if joined else (),
    )


def _proxy_style_request(
    kind: RequestKind,
    event: Mapping[str, Any],
    arn: ApiArn,
    context: Mapping[str, Any],
    **specific: Any,
) -> AuthRequest:
    """REST REQUEST and HTTP API 1.0 events share the REST proxy-event layout."""
    identity = _object(context, "identity", "requestContext.")
    return AuthRequest(
        kind=kind,
        arn=arn,
        headers=_headers(event),
        query=_query(event),
        path_parameters=_read_only_str_map(event, "pathParameters"),
        stage_variables=_read_only_str_map(event, "stageVariables"),
        source_ip=_optional_str(identity, "sourceIp", "requestContext.identity."),
        client_cert=_client_cert(identity, "requestContext.identity."),
        method=_optional_str(event, "httpMethod") or arn.verb,
        path=_optional_str(event, "path") or arn.path,
        resource=_optional_str(event, "resource"),
        request_id=_optional_str(context, "requestId", "requestContext."),
        raw_event=event,
        **specific,
    )


def _http_v2_request(event: Mapping[str, Any]) -> AuthRequest:
    arn = _http_arn(event, "routeArn")
    context = _object(event, "requestContext")
    http = _object(context, "http", "requestContext.")
    authentication = _object(context, "authentication", "requestContext.")
    route_key = _optional_str(event, "routeKey")
    return AuthRequest(
        kind=RequestKind.HTTP_V2,
        arn=arn,
        headers=_headers(event),
        query=_v2_query(event),
        path_parameters=_read_only_str_map(event, "pathParameters"),
        stage_variables=_read_only_str_map(event, "stageVariables"),
        source_ip=_optional_str(http, "sourceIp", "requestContext.http."),
        client_cert=_client_cert(authentication, "requestContext.authentication."),
        method=_optional_str(http, "method", "requestContext.http.") or arn.verb,
        path=_optional_str(event, "rawPath") or arn.path,
        resource=_route_template(route_key),
        route_key=route_key,
        identity_source=_str_tuple(event, "identitySource"),
        cookies=_str_tuple(event, "cookies"),
        request_id=_optional_str(context, "requestId", "requestContext."),
        raw_event=event,
    )


def _http_arn(event: Mapping[str, Any], key: str) -> ApiArn:
    arn = ApiArn.parse(_required_str(event, key))
    if arn.verb is None:
        raise MalformedEvent(detail=f"{key!r} of an HTTP API event has no HTTP verb")
    return arn


def _route_template(route_key: str | None) -> str | None:
    """``"GET /pets/{id}"`` -> ``"/pets/{id}"``; ``$default`` has no template."""
    if route_key is None:
        return None
    _verb, space, template = route_key.partition(" ")
    return template if space else None


# --- typed field access --------------------------------------------------------------------
# ``where`` is the dotted path of ``source`` in the event, for error details only.

_STR_ONLY = frozenset({str})


def _required_str(source: Mapping[str, Any], key: str) -> str:
    value = source.get(key)
    if type(value) is not str:
        raise MalformedEvent(detail=f"{key!r} missing or not a string")
    return value


def _optional_str(source: Mapping[str, Any], key: str, where: str = "") -> str | None:
    value = source.get(key)
    if value is None or type(value) is str:
        return value
    raise MalformedEvent(detail=f"{where + key!r} is not a string")


def _object(source: Mapping[str, Any], key: str, where: str = "") -> Mapping[str, Any]:
    """A nested object; absent and ``null`` both mean empty."""
    value = source.get(key)
    if value is None:
        return EMPTY_MAPPING
    if isinstance(value, Mapping):
        return value
    raise MalformedEvent(detail=f"{where + key!r} is not an object")


def _str_map(source: Mapping[str, Any], key: str) -> Mapping[str, str]:
    value = _object(source, key)
    # set(map(type, ...)) checks every name and value in C: these maps are on the hot path.
    if value and not (
        set(map(type, value)) <= _STR_ONLY and set(map(type, value.values())) <= _STR_ONLY
    ):
        raise MalformedEvent(detail=f"{key!r} is not an object of strings")
    return value


def _list_map(source: Mapping[str, Any], key: str) -> Mapping[str, list[str]]:
    value = _object(source, key)
    if value and not (
        set(map(type, value)) <= _STR_ONLY
        and set(map(type, value.values())) <= {list}
        and set(map(type, chain.from_iterable(value.values()))) <= _STR_ONLY
    ):
        raise MalformedEvent(detail=f"{key!r} is not an object of string lists")
    return value


def _read_only_str_map(source: Mapping[str, Any], key: str) -> Mapping[str, str]:
    """A read-only view (no copy): the request model must not change with the event dict."""
    value = _str_map(source, key)
    return MappingProxyType(value) if value else EMPTY_MAPPING


def _str_tuple(source: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = source.get(key)
    if value is None:
        return ()
    if isinstance(value, list | tuple) and set(map(type, value)) <= _STR_ONLY:
        return tuple(value)
    raise MalformedEvent(detail=f"{key!r} is not a list of strings")


# --- headers, query, client certificate ----------------------------------------------------


def _headers(event: Mapping[str, Any]) -> MultiMap:
    single = _str_map(event, "headers")
    multi = _list_map(event, "multiValueHeaders")
    if single or multi:
        return MultiMap.from_event(single, multi, case_insensitive=True)
    return EMPTY_HEADERS


def _query(event: Mapping[str, Any]) -> MultiMap:
    single = _str_map(event, "queryStringParameters")
    multi = _list_map(event, "multiValueQueryStringParameters")
    if single or multi:
        return MultiMap.from_event(single, multi, case_insensitive=False)
    return EMPTY_QUERY


def _v2_query(event: Mapping[str, Any]) -> MultiMap:
    """Payload 2.0 comma-joins repeated parameters (``a=1&a=2`` -> ``"1,2"``), which would
    hide a duplicate credential; ``rawQueryString`` tells which names were repeated."""
    single = _str_map(event, "queryStringParameters")
    if not single:
        return EMPTY_QUERY
    values: dict[str, tuple[str, ...]] = dict(zip(single, zip(single.values()), strict=True))
    raw = _optional_str(event, "rawQueryString")
    if raw and "&" in raw:
        sent: dict[str, list[str]] = {}
        for pair in raw.split("&"):
            name, _, value = pair.partition("=")
            sent.setdefault(unquote_plus(name), []).append(unquote_plus(value))
        for name, occurrences in sent.items():
            if len(occurrences) > 1 and name in values:
                values[name] = tuple(occurrences)
    return MultiMap(values, case_insensitive=False)


def _client_cert(container: Mapping[str, Any], where: str) -> ClientCert | None:
    """``where`` is the dotted path of ``container``; the certificate is its ``clientCert``."""
    cert = container.get("clientCert")
    if cert is None:
        return None
    where = f"{where}clientCert."
    if not isinstance(cert, Mapping):
        raise MalformedEvent(detail=f"{where[:-1]!r} is not an object")
    validity = _object(cert, "validity", where)
    return ClientCert(
        pem=_optional_str(cert, "clientCertPem", where),
        subject_dn=_optional_str(cert, "subjectDN", where),
        issuer_dn=_optional_str(cert, "issuerDN", where),
        serial_number=_optional_str(cert, "serialNumber", where),
        not_before=_optional_str(validity, "notBefore", f"{where}validity."),
        not_after=_optional_str(validity, "notAfter", f"{where}validity."),
    )
