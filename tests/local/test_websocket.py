"""A WebSocket API (AWS::ApiGatewayV2) on the local gateway: the $connect authorizer decides the
handshake; messages are routed by the route selection expression; closing runs $disconnect."""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from authorizers.local.gateway import LocalGateway
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template
from authorizers.local.websocket import _read_frame, frame
from authorizers.local.ws_client import WebSocketClient

TEMPLATE = """
Parameters:
  EventLog: {Type: String}
Resources:
  Authz:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/
      Handler: app.authorize
      Environment: {Variables: {EVENT_LOG: !Ref EventLog}}
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fns/
      Handler: app.backend
      Environment: {Variables: {EVENT_LOG: !Ref EventLog}}
  Chat:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Chat, StageName: live, AutoDeploy: true}
  ConnectAuth:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Chat
      Name: connect
      AuthorizerType: REQUEST
      AuthorizerUri: !Sub arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/${Authz.Arn}
      IdentitySource: [route.request.querystring.token]
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Chat
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/${Backend.Arn}/invocations
  Connect:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Chat
      RouteKey: $connect
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref ConnectAuth
      Target: !Sub integrations/${Integration}
  Echo:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Chat
      RouteKey: echo
      RouteResponseSelectionExpression: $default
      Target: !Sub integrations/${Integration}
  Default:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Chat, RouteKey: $default, Target: !Sub "integrations/${Integration}"}
  Disconnect:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Chat
      RouteKey: $disconnect
      Target: !Sub "integrations/${Integration}"
"""

FUNCTIONS = """
import json, os, pathlib


def _log(name, event):
    with (pathlib.Path(os.environ["EVENT_LOG"]) / f"{name}.jsonl").open("a") as file:
        file.write(json.dumps(event) + "\\n")


def authorize(event, context):
    _log("authz", event)
    token = event["queryStringParameters"]["token"]
    if token not in ("allow", "deny", "reject"):
        raise Exception("Unauthorized")
    effect = "Deny" if token == "deny" else "Allow"
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}
    return {
        "principalId": "carol",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"room": "lobby", "level": 3},
    }


def backend(event, context):
    _log("backend", event)
    route = event["requestContext"]["routeKey"]
    if route == "$connect" and event["queryStringParameters"]["token"] == "reject":
        return {"statusCode": 403}
    if route == "echo":
        return {"statusCode": 200, "body": "echo: " + json.loads(event["body"])["text"]}
    return {"statusCode": 200}
"""


class Chat:
    def __init__(self, root: Path, log: Path) -> None:
        self.log = log
        template = load_template(root / "template.yaml", parameter_overrides={"EventLog": str(log)})
        self.gateway = LocalGateway(template)
        self.server = LocalServer(self.gateway).start()
        self.url = self.server.url.replace("http://", "ws://") + "/Chat"

    def events(self, name: str) -> list[dict[str, Any]]:
        path = self.log / f"{name}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def chat(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Chat]:
    root = tmp_path_factory.mktemp("chat")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "fns").mkdir()
    (root / "fns" / "app.py").write_text(textwrap.dedent(FUNCTIONS))
    served = Chat(root, tmp_path)
    yield served
    served.server.stop()


@pytest.mark.parametrize(
    ("query", "status", "body"),
    [
        ("", 401, {"message": "Unauthorized"}),
        ("?token=nobody", 401, {"message": "Unauthorized"}),
        (
            "?token=deny",
            403,
            {"Message": "User is not authorized to access this resource with an explicit deny"},
        ),
    ],
)
def test_the_connect_authorizer_refuses_the_handshake(chat, query, status, body):
    client = WebSocketClient(chat.url + query)
    assert (client.status, client.json()) == (status, body)
    assert chat.events("backend") == []
    assert len(chat.events("authz")) == (0 if not query else 1)  # no source: not invoked


def test_the_connect_integration_can_refuse_too(chat):
    client = WebSocketClient(chat.url + "?token=reject")
    assert client.status == 403
    assert [e["requestContext"]["routeKey"] for e in chat.events("backend")] == ["$connect"]


def test_a_connection_carries_the_authorizer_context_to_every_route(chat):
    with WebSocketClient(chat.url + "?token=allow") as client:
        assert client.connected
        client.send_text(json.dumps({"action": "echo", "text": "hi"}))
        assert client.receive() == (0x1, b"echo: hi")  # the echo route has a route response
        client.send_text("not json")
        client.send_text(json.dumps({"action": "unknown"}))
    (authorizer_event,) = chat.events("authz")
    assert authorizer_event["methodArn"].endswith(":Chat/live/$connect")
    assert authorizer_event["requestContext"]["eventType"] == "CONNECT"
    backend = chat.events("backend")
    routes = [e["requestContext"]["routeKey"] for e in backend]
    assert routes == ["$connect", "echo", "$default", "$default", "$disconnect"]
    assert {e["requestContext"]["connectionId"] for e in backend} == {
        authorizer_event["requestContext"]["connectionId"]
    }
    for event in backend:
        passed = event["requestContext"]["authorizer"]
        assert passed["principalId"] == "carol" and passed["level"] == "3"
    assert [e["requestContext"]["eventType"] for e in backend][-1] == "DISCONNECT"
    assert backend[2]["body"] == "not json"


def test_a_plain_http_request_to_a_websocket_api(chat):
    import requests  # noqa: PLC0415

    response = requests.get(chat.server.url + "/Chat", timeout=5)
    assert response.status_code == 426


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65_535, 65_536, 70_000])
def test_a_client_frame_reads_back_on_the_server_at_every_length_encoding(size: int) -> None:
    """The client's masked frames (``ws_client``) and the server's reader are one codec."""
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    handler = SimpleNamespace(rfile=io.BytesIO(frame(0x2, payload, b"\x01\x02\x03\x04")))
    assert _read_frame(handler) == (True, 0x2, payload)  # type: ignore[arg-type]
    plain = frame(0x1, payload)
    assert plain[1] & 0x80 == 0 and plain.endswith(payload)  # server frames: unmasked
