"""Event factories: the events API Gateway sends a Lambda authorizer, built for tests.

Shapes follow the captured events of the API Gateway documentation, aws-lambda-go and
Powertools. Defaults are realistic and fixed (us-east-1, account 123456789012, one request id
and time), so golden tests stay stable. ``**overrides`` sets ``partition``, ``region``,
``account_id``, ``api_id``, ``stage``, ``domain_name`` and ``base_path`` (a custom domain and its
API mapping: the event then reports that host, and a path starting with the base path instead
of the stage), or replaces a top-level event field (``methodArn=None``
to test a broken event). Standard library only, so it imports fast.

Routes are ``"VERB /path"``. A path with ``{name}`` placeholders is a template filled from
``path_parameters``; a concrete path plus a template (``resource=``, ``route_key=``) gets its
path parameters read from the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode

from authorizers.testing._identity_sources import identity_values
from authorizers.testing._routes import Params, parse_http_route, parse_route

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
API_ID = "a1b2c3d4e5"
SOURCE_IP = "203.0.113.10"  # TEST-NET-3: never a real client
USER_AGENT = "curl/8.5.0"
REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
REQUEST_TIME = 1_700_000_000  # the FakeClock default, so event time and test clock agree
_REQUEST_TIME_TEXT = "14/Nov/2023:22:13:20 +0000"  # REQUEST_TIME as API Gateway writes it

#: Header / query values: one string, several (sent repeatedly), or None to drop a default.
Values = str | Sequence[str] | None
Cert = Mapping[str, Any] | None  # a clientCert block, see client_certificate()

_LOCATION_KEYS = frozenset(
    {"partition", "region", "account_id", "api_id", "stage", "domain_name", "base_path"}
)


def token_event(route: str, token: str, **overrides: Any) -> dict[str, Any]:
    """A REST API TOKEN authorizer event: three fields, the token passed as received."""
    location, fields = _location(overrides, "prod")
    verb, path, _template, _params = parse_route(route, None, None)
    return {
        "type": "TOKEN",
        "authorizationToken": token,
        "methodArn": location.arn(verb, path),
    } | fields


def request_event(
    route: str,
    *,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    path_parameters: Params = None,
    resource: str | None = None,
    stage_variables: Params = None,
    source_ip: str = SOURCE_IP,
    client_cert: Cert = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A REST API REQUEST authorizer event (headers and query also as multi-value maps)."""
    location, fields = _location(overrides, "prod")
    verb, path, template, params = parse_route(route, resource, path_parameters)
    context = _rest_context(
        location,
        verb,
        template,
        location.stage_path(path, rest=True),
        source_ip=source_ip,
        cert=client_cert,
    )
    return {
        "type": "REQUEST",
        "methodArn": location.arn(verb, path),
        "resource": template,
        "path": path,
        "httpMethod": verb,
        **_last_and_all(_headers(location, headers), _values(query)),
        "pathParameters": params,
        "stageVariables": dict(stage_variables or {}),
        "requestContext": context,
    } | fields


def http_v1_event(
    route: str,
    *,
    route_key: str | None = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    path_parameters: Params = None,
    stage_variables: Params = None,
    identity_sources: Sequence[str] | None = None,
    source_ip: str = SOURCE_IP,
    client_cert: Cert = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An HTTP API authorizer event, payload format 1.0 (identity values comma-joined)."""
    location, fields = _location(overrides, "$default")
    verb, path, route_key, params = parse_http_route(route, route_key, path_parameters)
    template = route_key.partition(" ")[2] or path
    stage_path = location.stage_path(path)
    context = _rest_context(
        location, verb, template, stage_path, source_ip=source_ip, cert=client_cert
    )
    event = {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": location.arn(verb, path),
        "resource": template,
        "path": stage_path,
        "httpMethod": verb,
        "headers": _joined(_headers(location, headers)),
        "queryStringParameters": _joined(_values(query)),
        "pathParameters": params,
        "stageVariables": dict(stage_variables or {}),
        "requestContext": context | {"resourceId": route_key},
    }
    joined = ",".join(identity_values(event, identity_sources)) or None
    return event | {"identitySource": joined, "authorizationToken": joined} | fields


def http_v2_event(
    route: str,
    *,
    route_key: str | None = None,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    cookies: Sequence[str] = (),
    path_parameters: Params = None,
    stage_variables: Params = None,
    identity_sources: Sequence[str] | None = None,
    source_ip: str = SOURCE_IP,
    client_cert: Cert = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An HTTP API authorizer event, payload format 2.0: lowercase header names, repeated
    headers and query parameters comma-joined, ``routeArn`` with the concrete verb and path;
    empty maps are left out."""
    location, fields = _location(overrides, "$default")
    verb, path, route_key, params = parse_http_route(route, route_key, path_parameters)
    query_values = _values(query)
    pairs = [(name, value) for name, values in query_values.items() for value in values]
    http = {"method": verb, "path": location.stage_path(path), "protocol": "HTTP/1.1"}
    context = {
        "accountId": location.account_id,
        "apiId": location.api_id,
        "domainName": location.host,
        "domainPrefix": location.api_id,
        "http": http | {"sourceIp": source_ip, "userAgent": USER_AGENT},
        "requestId": REQUEST_ID,
        "routeKey": route_key,
        "stage": location.stage,
        "time": _REQUEST_TIME_TEXT,
        "timeEpoch": REQUEST_TIME * 1000,
    }
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": location.arn(verb, path),
        "routeKey": route_key,
        "rawPath": http["path"],
        "rawQueryString": urlencode(pairs, quote_via=quote),
        "cookies": list(cookies),
        "headers": _joined(_lowercase(_headers(location, headers))),
        "queryStringParameters": _joined(query_values),
        "pathParameters": params,
        "stageVariables": dict(stage_variables or {}),
        "requestContext": context,
    }
    if client_cert:
        context["authentication"] = {"clientCert": dict(client_cert)}
    event["identitySource"] = identity_values(event, identity_sources)
    return {key: value for key, value in event.items() if value or key == "rawQueryString"} | fields


def websocket_connect_event(
    *,
    headers: Mapping[str, Values] | None = None,
    query: Mapping[str, Values] | None = None,
    stage_variables: Params = None,
    source_ip: str = SOURCE_IP,
    **overrides: Any,
) -> dict[str, Any]:
    """A WebSocket API ``$connect`` authorizer event (REQUEST type; no path parameters)."""
    location, fields = _location(overrides, "prod")
    upgrade: dict[str, Values] = {
        "Connection": "upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
    }
    context = location.context() | {
        "routeKey": "$connect",
        "eventType": "CONNECT",
        "messageDirection": "IN",
        "connectedAt": REQUEST_TIME * 1000,
        "connectionId": "Fx1yZfD2IAMCKsw=",
        "identity": {"sourceIp": source_ip, "userAgent": USER_AGENT},
    }
    return {
        "type": "REQUEST",
        "methodArn": f"{location.arn_prefix()}/$connect",
        **_last_and_all(_headers(location, upgrade | dict(headers or {})), _values(query)),
        "stageVariables": dict(stage_variables or {}),
        "requestContext": context,
    } | fields


def client_certificate(
    *,
    subject_dn: str = "CN=client.example.com,O=Example Corp,C=US",
    issuer_dn: str = "CN=Example Private CA,O=Example Corp,C=US",
    serial_number: str = "4f:9e:3a:51:0c:22:7d:18:a6:5b:93:e0:1f:44:c2:7a",
    not_before: str = "Jan  1 00:00:00 2023 GMT",
    not_after: str = "Jan  1 00:00:00 2033 GMT",
    pem: str = "-----BEGIN CERTIFICATE-----\nMIIB...test-only...\n-----END CERTIFICATE-----",
) -> dict[str, Any]:
    """The ``clientCert`` block API Gateway adds for mutual TLS (pass as ``client_cert=``)."""
    return {
        "clientCertPem": pem,
        "subjectDN": subject_dn,
        "issuerDN": issuer_dn,
        "serialNumber": serial_number,
        "validity": {"notBefore": not_before, "notAfter": not_after},
    }


# --- building blocks -----------------------------------------------------------------------


class _Location(NamedTuple):
    """Where the API lives: the parts of every ARN and host name in one event."""

    partition: str = "aws"
    region: str = REGION
    account_id: str = ACCOUNT_ID
    api_id: str = API_ID
    stage: str = "prod"
    domain_name: str | None = None  # a custom domain; None: the execute-api host
    base_path: str = ""  # the custom domain's API mapping ("" : none)

    def arn_prefix(self) -> str:
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account_id}:"
            f"{self.api_id}/{self.stage}"
        )

    def arn(self, verb: str, path: str) -> str:
        return f"{self.arn_prefix()}/{verb}{path}"

    def stage_path(self, path: str, *, rest: bool = False) -> str:
        """The path as the client sent it: a named stage first (REST: always; HTTP APIs: not
        ``$default``), or on a custom domain the API mapping's base path."""
        if self.domain_name is not None:
            return f"/{self.base_path.strip('/')}{path}" if self.base_path.strip("/") else path
        return path if self.stage == "$default" and not rest else f"/{self.stage}{path}"

    @property
    def host(self) -> str:
        if self.domain_name is not None:
            return self.domain_name
        suffix = ".cn" if self.partition == "aws-cn" else ""
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com{suffix}"

    def context(self) -> dict[str, Any]:
        """``requestContext`` keys shared by REST, HTTP 1.0 and WebSocket events."""
        return {
            "accountId": self.account_id,
            "apiId": self.api_id,
            "stage": self.stage,
            "requestId": REQUEST_ID,
            "extendedRequestId": "EXqgWgXxSK4EJug=",
            "requestTime": _REQUEST_TIME_TEXT,
            "requestTimeEpoch": REQUEST_TIME * 1000,
            "domainName": self.host,
            "domainPrefix": self.api_id,
        }


def _location(overrides: Mapping[str, Any], stage: str) -> tuple[_Location, dict[str, Any]]:
    """Split ``**overrides`` into ARN parts and top-level event fields (camelCase, no ``_``)."""
    for key in overrides:
        if key not in _LOCATION_KEYS and "_" in key:
            raise TypeError(f"unknown override {key!r}: use {sorted(_LOCATION_KEYS)} or a field")
    parts = {key: value for key, value in overrides.items() if key in _LOCATION_KEYS}
    fields = {key: value for key, value in overrides.items() if key not in _LOCATION_KEYS}
    return _Location(**({"stage": stage} | parts)), fields


def _rest_context(
    location: _Location, verb: str, template: str, path: str, *, source_ip: str, cert: Cert
) -> dict[str, Any]:
    identity = {"sourceIp": source_ip, "userAgent": USER_AGENT, "apiKey": None}
    return location.context() | {
        "resourceId": "a1b2c3",
        "resourcePath": template,
        "httpMethod": verb,
        "path": path,
        "protocol": "HTTP/1.1",
        "identity": identity | ({"clientCert": dict(cert)} if cert else {}),
    }


def _values(given: Mapping[str, Values] | None) -> dict[str, list[str]]:
    """Names to their list of values; ``None`` values dropped."""
    values: dict[str, list[str]] = {}
    for name, value in (given or {}).items():
        if value is not None:
            values[name] = [value] if isinstance(value, str) else list(value)
    return values


def _headers(location: _Location, given: Mapping[str, Values] | None) -> dict[str, list[str]]:
    """Realistic default headers under the given ones (same name in any case replaces)."""
    defaults: dict[str, Values] = {
        "Accept": "*/*",
        "Host": location.host,
        "User-Agent": USER_AGENT,
        "X-Amzn-Trace-Id": "Root=1-6553f100-0a1b2c3d4e5f60718293a4b5",
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    replaced = {name.lower() for name in given or {}}
    kept = {name: value for name, value in defaults.items() if name.lower() not in replaced}
    return _values(kept | dict(given or {}))


def _last_and_all(headers: dict[str, list[str]], query: dict[str, list[str]]) -> dict[str, Any]:
    """REST and WebSocket events: the last value of each name, and all of them."""
    return {
        "headers": {name: items[-1] for name, items in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {name: items[-1] for name, items in query.items()},
        "multiValueQueryStringParameters": query,
    }


def _lowercase(values: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Payload 2.0 lowercases header names; the same name in two cases becomes one."""
    merged: dict[str, list[str]] = {}
    for name, items in values.items():
        merged.setdefault(name.lower(), []).extend(items)
    return merged


def _joined(values: Mapping[str, list[str]]) -> dict[str, str]:
    """HTTP APIs send repeated headers and query parameters as one comma-joined value."""
    return {name: ",".join(items) for name, items in values.items()}
