"""The demo's stand-ins, gateway and server (:class:`Demo`), its requests and ``main``.

Serves the packaged ``template.yaml`` on the local gateway, with a Cognito-shaped user pool
and a plain JWT issuer whose keys are served on 127.0.0.1, then sends real HTTP (and
WebSocket) requests, one per outcome, and prints what API Gateway would have answered.
``--serve`` keeps serving, with curl commands.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from authorizers.demo.outcomes import Row, table
from authorizers.local.gateway import LocalGateway
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template
from authorizers.local.ws_client import WebSocketClient
from authorizers.testing import BrokenToken, CognitoTestIssuer, TestIssuer

TEMPLATE = Path(__file__).resolve().with_name("template.yaml")
POOL_ID = "us-east-1_Demo0001"
CLIENT_ID = "demoappclient0123456789ab"
OTHER_CLIENT_ID = "otherappclient0123456789a"
AUDIENCE = "https://api.example.test"
#: The issuer of configs/oidc.json (the template's default): nothing answers there.
UNREACHABLE_ISSUER = "https://127.0.0.1:9/no-identity-provider-here"
#: The partner key of configs/api_key.json (its SHA-256 is what the store holds). Published
#: on purpose: it opens nothing but this local demo.
API_KEY = "demo_partner_key_not_a_secret_0123456789"


@dataclass(frozen=True, slots=True)
class Call:
    """A request to send: ``url`` is relative to the server; WebSocket calls start ``ws:``."""

    label: str
    method: str
    url: str = field(repr=False)  # a WebSocket URL may carry a token in its query
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # tokens, API keys
    simple_response: bool = False

    @property
    def route(self) -> str:
        if self.url.startswith("ws:"):
            return f"{self.url[4:].split('?')[0]} $connect"
        return f"{self.method} {self.url}"


class Demo:
    """The stand-ins, the gateway and its server; a context manager."""

    def __init__(self, template: Path = TEMPLATE, *, port: int = 0) -> None:
        self.template_path = template
        self.port = port
        self.pool = CognitoTestIssuer(POOL_ID, [CLIENT_ID, OTHER_CLIENT_ID])
        self.issuer = TestIssuer(audience=AUDIENCE)
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Demo:
        stack = self._stack
        try:
            pool_keys = stack.enter_context(self.pool.serve())
            jwt_keys = stack.enter_context(self.issuer.serve())
            parameters = {
                "UserPoolId": POOL_ID,
                "AppClientId": CLIENT_ID,
                "PoolJwksUrl": pool_keys.jwks_url,
                "Issuer": self.issuer.issuer,
                "IssuerJwksUrl": jwt_keys.jwks_url,
                "Audience": AUDIENCE,
            }
            self.template = load_template(self.template_path, parameter_overrides=parameters)
            self.gateway = LocalGateway(self.template)
            self.server = stack.enter_context(LocalServer(self.gateway, port=self.port))
        except BaseException:
            stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def calls(self) -> Iterator[Call]:
        """One request per outcome, in an order that tells the cache's story."""
        pool, rest = self.pool, "/RestApi"

        def bearer(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        alice = bearer(pool.access_token("alice"))
        bob = bearer(pool.access_token("bob"))
        carol = bearer(pool.access_token("carol", groups=["admins"]))
        yield Call("alice's Cognito token", "GET", f"{rest}/whoami", alice)
        yield Call("alice's token, another route", "GET", f"{rest}/pets/7", alice)
        yield Call("no Authorization header", "GET", f"{rest}/whoami")
        expired = pool.access_token(broken=BrokenToken.EXPIRED)
        yield Call("expired token", "GET", f"{rest}/whoami", bearer(expired))
        foreign = pool.access_token(client_id=OTHER_CLIENT_ID)
        yield Call("token of another app client", "GET", f"{rest}/whoami", bearer(foreign))
        yield Call("bob's token (not an admin)", "GET", f"{rest}/admin/users", bob)
        yield Call("bob's token, another route", "DELETE", f"{rest}/admin/reports", bob)
        yield Call("carol's token (group admins)", "GET", f"{rest}/admin/users", carol)
        yield Call("known API key", "GET", f"{rest}/partner/whoami", {"x-api-key": API_KEY})
        unknown = {"x-api-key": "demo_unknown_key"}
        yield Call("unknown API key", "GET", f"{rest}/partner/whoami", unknown)
        down = bearer(TestIssuer(UNREACHABLE_ISSUER, audience=AUDIENCE).mint())
        yield Call("token of an unreachable OIDC provider", "GET", f"{rest}/reports", down)
        scoped = bearer(self.issuer.mint(scope="pets/read"))
        yield Call("JWT with scope pets/read", "GET", "/HttpApi/pets", scoped, True)
        unscoped = bearer(self.issuer.mint(scope="profile"))
        yield Call("JWT without that scope", "GET", "/HttpApi/pets", unscoped, True)
        yield Call("token in the query", "GET", f"ws:/WebSocketApi?token={self.issuer.mint()}")
        yield Call("no token", "GET", "ws:/WebSocketApi")

    def send(self, call: Call, session: requests.Session) -> Row:
        started = time.perf_counter()
        if call.url.startswith("ws:"):
            ws_url = self.server.url.replace("http:", "ws:") + call.url.removeprefix("ws:")
            with WebSocketClient(ws_url, call.headers) as client:
                status, request_id = client.status, client.headers.get("x-amzn-requestid", "")
        else:
            url = self.server.url + call.url
            response = session.request(call.method, url, headers=call.headers, timeout=10)
            status = response.status_code
            request_id = response.headers.get("x-amzn-RequestId") or response.headers.get(
                "apigw-requestid", ""
            )
        latency = (time.perf_counter() - started) * 1000
        record = self.gateway.record_for(request_id)
        if record is None:
            return Row(call.label, call.route, status, latency_ms=latency)
        return Row(
            call.label,
            call.route,
            status,
            record.principal or "-",
            record.cache,
            latency,
            record.reason,
            call.simple_response,
        )

    def run(self) -> list[Row]:
        with requests.Session() as session:
            return [self.send(call, session) for call in self.calls()]


def main(argv: list[str] | None = None, *, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m authorizers.demo", description=sys.modules[__package__ or ""].__doc__
    )
    parser.add_argument("--serve", action="store_true", help="keep serving, print curl commands")
    parser.add_argument(
        "--port", type=int, help="port on 127.0.0.1 (default: any; 3000 with --serve)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    port = args.port if args.port is not None else (3000 if args.serve else 0)
    with Demo(port=port) as demo:
        rows = demo.run()
        out(table(rows))
        out(f"\n{len(rows)} requests to {demo.server.url} in {time.perf_counter() - started:.1f} s")
        out(f"The demo's API: {TEMPLATE} (authorizers: configs/*.json next to it)")
        if args.serve:
            _serve(demo, out)
    return 0


def _serve(demo: Demo, out: Callable[[str], Any]) -> None:
    from authorizers.cli.serve import describe  # noqa: PLC0415

    out("\n" + "\n".join(describe(demo.template, demo.server.url)))
    out("\nTry (tokens are valid for an hour):")
    ws_base = demo.server.url.replace("http:", "ws:")
    for call in demo.calls():
        if call.url.startswith("ws:"):
            out(f"# {call.label}: a WebSocket client to {ws_base}{call.url[3:]}")
        else:
            headers = " ".join(f"-H '{name}: {value}'" for name, value in call.headers.items())
            command = f"curl -i -X {call.method} {headers} {demo.server.url}{call.url}"
            out(f"# {call.label}\n{command.replace('  ', ' ')}")
    out("\nServing; Ctrl-C stops.")
    demo.gateway.on_record = lambda record: print(record.line(), file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)
