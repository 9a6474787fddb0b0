"""WebSocket APIs on the local gateway: the ``$connect`` authorization, then messages.

The handshake is the part authorizers care about: ``$connect`` runs the route's REQUEST
authorizer (a missing identity source, a 401, a Deny or a broken response refuse the
handshake with API Gateway's status), then the ``$connect`` integration (a 4xx/5xx answer
refuses it too); otherwise ``101 Switching Protocols``. Each later message is routed by the
API's route selection expression (``$request.body.action``) to its route or ``$default``,
and sent to its integration with the connection's authorizer context; the integration's
answer is sent back only for routes with a route response. Closing invokes ``$disconnect``.
RFC 6455 framing, text and binary messages, ping/pong, fragments; no extensions.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from authorizers.local import lambda_events
from authorizers.local.http import HttpRequest, HttpResponse
from authorizers.local.model import ApiSpec, ApiType, RouteSpec
from authorizers.local.routing import ApiRouter, Routed

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from authorizers.local.gateway import LocalGateway

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: API Gateway's WebSocket message limit (128 KB); larger messages close with 1009.
MAX_MESSAGE_BYTES = 128 * 1024
_TEXT, _BINARY, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class _Closed(Exception):
    """The connection ends; ``code`` is the close status to send (``None``: just stop)."""

    def __init__(self, code: int | None = 1000) -> None:
        super().__init__(code)
        self.code = code


def accept_key(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()  # noqa: S324


def frame(opcode: int, payload: bytes, mask: bytes = b"") -> bytes:
    """One final frame: unmasked (server to client), or masked with the 4-byte ``mask``
    (client to server)."""
    size, masked = len(payload), 0x80 if mask else 0
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, masked | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, masked | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, masked | 127, size)
    return head + mask + (_xor(payload, mask) if mask else payload)


def _xor(data: bytes, mask: bytes) -> bytes:
    """Mask or unmask a payload (RFC 6455 §5.3), one big-integer XOR."""
    size = len(data)
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(size, "big")


def _read(handler: BaseHTTPRequestHandler, size: int) -> bytes:
    data = handler.rfile.read(size)
    if len(data) != size:
        raise _Closed(None)  # the client went away
    return data


def _read_frame(handler: BaseHTTPRequestHandler) -> tuple[bool, int, bytes]:
    first, second = _read(handler, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", _read(handler, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", _read(handler, 8))
    if not second & 0x80:
        raise _Closed(1002)  # client frames must be masked
    if size > MAX_MESSAGE_BYTES:
        raise _Closed(1009)
    mask = _read(handler, 4)
    return bool(first & 0x80), first & 0x0F, _xor(_read(handler, size), mask)


@dataclass
class _Connection:
    gateway: LocalGateway
    handler: BaseHTTPRequestHandler
    request: HttpRequest
    router: ApiRouter
    connect_event: dict[str, Any] = field(repr=False)  # its headers and query hold credentials

    @property
    def api(self) -> ApiSpec:
        return self.router.api

    def send(self, opcode: int, payload: bytes) -> None:
        self.handler.wfile.write(frame(opcode, payload))
        self.handler.wfile.flush()

    def messages(self) -> None:
        """Receive until the client closes; each message goes to its route."""
        parts: list[bytes] = []
        while True:
            final, opcode, payload = _read_frame(self.handler)
            if opcode == _CLOSE:
                raise _Closed(1000)
            if opcode == _PING:
                self.send(_PONG, payload)
                continue
            if opcode in (_TEXT, _BINARY, _CONTINUATION):
                parts.append(payload)
                if sum(map(len, parts)) > MAX_MESSAGE_BYTES:
                    raise _Closed(1009)
                if final:
                    self.message(b"".join(parts))
                    parts = []

    def route_key(self, body: bytes) -> str:
        """The route selection expression (``$request.body.<path>``) applied to a message."""
        path = self.api.route_selection_expression.removeprefix("$request.body.").split(".")
        try:
            value: Any = json.loads(body)
            for name in path:
                value = value.get(name) if isinstance(value, dict) else None
        except ValueError:
            value = None
        return value if isinstance(value, str) else "$default"

    def message(self, body: bytes) -> None:
        route = self.router.route_key(self.route_key(body))
        if route is None:
            answer = {"message": "Forbidden", "connectionId": self.connection_id}
            self.send(_TEXT, json.dumps(answer).encode())
            return
        value = self.invoke(route, "MESSAGE", body.decode("utf-8", "replace"))
        if route.route_response and isinstance(value, dict) and "body" in value:
            self.send(_TEXT, str(value["body"]).encode())

    @property
    def connection_id(self) -> str:
        return str(self.connect_event["requestContext"]["connectionId"])

    def invoke(self, route: RouteSpec, event_type: str, body: str | None) -> Any:
        """Send one event of this connection to the route's integration; logged like a
        request (method ``MESSAGE``/``DISCONNECT``, path = route key)."""
        started, request_id = time.perf_counter(), str(uuid.uuid4())
        context = dict(self.connect_event["requestContext"])
        millis = int(self.gateway.wall_clock() * 1000)
        context |= {
            "routeKey": route.path,
            "eventType": event_type,
            "messageId": request_id[:16],
            "requestId": request_id,
            "requestTimeEpoch": millis,
        }
        event = {"requestContext": context, "isBase64Encoded": False}
        if body is not None:
            event["body"] = body
        status, reason, value = 200, "ok", None
        if route.function_id is None:
            status, reason = 500, "no function behind this route"
        else:
            invocation = self.gateway.runner.invoke(route.function_id, event)
            value = invocation.value
            if invocation.error is not None:
                status, reason = 500, f"integration failed: {type(invocation.error).__name__}"
        note = {"api": self.api.logical_id, "route": route.path, "decision": "connected"}
        note |= {"reason": reason}
        record_request = HttpRequest(
            event_type, self.request.path, source_ip=self.request.source_ip
        )
        self.gateway.finish(record_request, request_id, started, HttpResponse(status), note)
        return value


def serve_websocket(
    gateway: LocalGateway, request: HttpRequest, handler: BaseHTTPRequestHandler
) -> None:
    """Run one WebSocket connection on the handler's socket, handshake to close."""
    started, request_id = time.perf_counter(), str(uuid.uuid4())
    response, note, accepted = _connect(gateway, request, request_id)
    response = gateway.finish(request, request_id, started, response, note)
    handler.send_response(response.status)
    for name, value in response.headers:
        handler.send_header(name, value)
    if accepted is None:
        handler.send_header("Content-Length", str(len(response.body)))
        handler.end_headers()
        handler.wfile.write(response.body)
        return
    handler.end_headers()
    handler.wfile.flush()
    connection = _Connection(gateway, handler, request, *accepted)
    code: int | None = 1000
    try:
        connection.messages()
    except _Closed as closed:
        code = closed.code
    except OSError:
        code = None
    disconnect = connection.router.route_key("$disconnect")
    if disconnect is not None and disconnect.path == "$disconnect":
        connection.invoke(disconnect, "DISCONNECT", None)
    if code is not None:  # after $disconnect ran: a client that saw the close is done
        with contextlib.suppress(OSError):
            connection.send(_CLOSE, struct.pack("!H", code))


def _connect(
    gateway: LocalGateway, request: HttpRequest, request_id: str
) -> tuple[HttpResponse, dict[str, Any], tuple[ApiRouter, dict[str, Any]] | None]:
    """The handshake's answer: 101 with the API's router and the ``$connect`` event, or the
    refusal."""
    key = request.header("Sec-WebSocket-Key")
    target = gateway.mounts.resolve(request.path)
    note: dict[str, Any] = {"decision": "no_route"}
    if target is None or target.router.api.api_type is not ApiType.WEBSOCKET:
        note["reason"] = "no WebSocket API at this path"
        return HttpResponse.json(404, gateway.responses.not_found), note, None
    api = target.router.api
    note |= {"api": api.logical_id, "route": "$connect"}
    if not key or request.header("Sec-WebSocket-Version") != "13":
        note["reason"] = "not a WebSocket version 13 handshake"
        return HttpResponse.json(400, {"message": "Bad Request"}), note, None
    route = target.router.route_key("$connect")
    if route is None or route.path != "$connect":
        route = RouteSpec(api.logical_id, None, "$connect", None)
    routed = Routed(request, target.path, route, api, request_id)
    authorization, refusal = gateway.authorize(routed, note)
    if refusal is not None:
        return refusal, note, None
    passed = gateway.passed_context(api, authorization)
    event = lambda_events.integration_event(
        routed, authorizer=passed, api_key=None, now=gateway.wall_clock()
    )
    if route.function_id is not None:
        invocation = gateway.runner.invoke(route.function_id, event)
        status = invocation.value.get("statusCode") if isinstance(invocation.value, dict) else 200
        if invocation.error is not None or not isinstance(status, int) or status >= 300:
            note["reason"] = "the $connect integration refused the connection"
            failed = 500 if invocation.error is not None or not isinstance(status, int) else status
            return HttpResponse.json(failed, gateway.responses.bad_gateway), note, None
    accepted = HttpResponse(
        101,
        (
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", accept_key(key)),
        ),
    )
    return accepted, note, (target.router, event)
