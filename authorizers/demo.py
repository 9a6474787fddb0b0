"""``make demo`` / ``python -m authorizers.demo``: the repository's sample authorizers at work.

Serves the repository's ``template.yaml`` on the local gateway, with local stand-ins for what
it needs from AWS: a Cognito-shaped issuer and a plain JWT issuer whose keys are served on
127.0.0.1 (the sample authorizers' environment points at them), and the API key table in
moto's in-process DynamoDB. Then sends real HTTP requests - good, expired and foreign tokens,
none, an API key known and unknown, a cached repeat, an HTTP API and a WebSocket call - and
prints what API Gateway would have answered. ``--serve`` keeps serving, with curl commands.
Nothing leaves 127.0.0.1; no AWS account is needed.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from authorizers.local.gateway import LocalGateway
from authorizers.local.model import AuthorizerSpec, LocalTemplate, RouteSpec
from authorizers.local.server import LocalServer
from authorizers.local.template import load_template
from authorizers.local.ws_client import WebSocketClient
from authorizers.request import RequestKind
from authorizers.testing import BrokenToken, CognitoTestIssuer, TestIssuer

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
#: The zero-code handler (samples/zero_code): its configuration is JSON, not code.
ZERO_CODE_HANDLER = "authorizers.handler.handler"
#: The zero-code sample's OIDC issuer must be HTTPS: an address nothing answers on, so a
#: Bearer token sent to it fails closed (500) instead of reaching out (it gets API keys here).
UNREACHABLE_HTTPS_ISSUER = "https://127.0.0.1:9/no-oidc-provider-in-the-demo"
POOL_ID = "us-east-1_Demo0001"
CLIENT_ID = "demoappclient0123456789ab"
OTHER_CLIENT_ID = "otherappclient0123456789a"
AUDIENCE = "https://api.example.test"


@dataclass(frozen=True, slots=True)
class Row:
    """One request of the demo and what came back."""

    request: str
    status: int | str
    principal: str = "-"
    cache: str = "-"
    latency_ms: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    """A request to send: ``url`` is relative to the server; WebSocket calls start ``ws:``."""

    label: str
    url: str = field(repr=False)  # a WebSocket URL may carry a token in its query
    headers: dict[str, str] = field(repr=False)  # demo tokens and API keys


def _concrete(path: str) -> str:
    """A request path for a route template: ``{id}`` -> ``7``, ``{proxy+}`` -> ``demo``."""
    return re.sub(r"\{[^}]+\}", lambda m: "demo" if m[0].endswith("+}") else "7", path)


def _routes(
    template: LocalTemplate, kind: RequestKind, *, zero_code: bool = False
) -> list[tuple[RouteSpec, AuthorizerSpec]]:
    """Routes whose authorizer has this kind (and is, or is not, the zero-code handler)."""
    found = []
    for route in template.routes:
        spec = template.authorizer_of(route)
        if spec is None or spec.kind is not kind or spec.function_id is None:
            continue
        function = template.functions.get(spec.function_id)
        if function is not None and (function.handler == ZERO_CODE_HANDLER) == zero_code:
            found.append((route, spec))
    return found


def _source(spec: AuthorizerSpec, where: str) -> str | None:
    """The first identity source's name of a kind (``header``/``querystring``)."""
    for source in spec.identity_sources:
        prefix, _, name = source.rpartition(".")
        if prefix.endswith(where):
            return name
    return None


def _url(route: RouteSpec) -> str:
    return f"/{route.api_id}{_concrete(route.path)}"


class Demo:
    """The stand-ins, the gateway and its server; a context manager."""

    def __init__(self, template: Path = TEMPLATE, *, port: int = 0) -> None:
        self.template_path = template
        self.port = port
        self.pool = CognitoTestIssuer(POOL_ID, [CLIENT_ID, OTHER_CLIENT_ID])
        self.issuer = TestIssuer(audience=AUDIENCE)
        self.valid_token = self.pool.access_token("alice")
        self.api_key: str | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Demo:
        stack = self._stack
        pool_keys = stack.enter_context(self.pool.serve())
        jwt_keys = stack.enter_context(self.issuer.serve())
        plain = load_template(self.template_path)
        env: dict[str, dict[str, str]] = {}
        for name, function in plain.functions.items():
            variables = function.environment
            if function.handler == ZERO_CODE_HANDLER:
                env[name] = {"ISSUER": UNREACHABLE_HTTPS_ISSUER, "AUDIENCE": AUDIENCE}
            elif "USER_POOL_ID" in variables:
                pool = {"USER_POOL_ID": POOL_ID, "APP_CLIENT_IDS": CLIENT_ID}
                env[name] = pool | {"JWKS_URL": pool_keys.jwks_url}
            elif "ISSUER" in variables:
                jwt = {"ISSUER": self.issuer.issuer, "AUDIENCE": AUDIENCE}
                env[name] = jwt | {"JWKS_URL": jwt_keys.jwks_url}
        self.template = load_template(self.template_path, env_vars=env)
        self._key_table(stack)
        self.gateway = LocalGateway(self.template)
        self.server = stack.enter_context(LocalServer(self.gateway, port=self.port))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _key_table(self, stack: contextlib.ExitStack) -> None:
        """An API key in moto's DynamoDB, in the table the API-key authorizer reads."""
        tables = {
            function.environment.get("API_KEY_TABLE")
            for function in self.template.functions.values()
        } - {None}
        if not tables:
            return
        try:
            from moto import mock_aws  # noqa: PLC0415 - a test dependency: optional here
        except ImportError:
            return
        import boto3  # noqa: PLC0415

        from authorizers.keystores.base import new_api_key  # noqa: PLC0415

        stack.enter_context(mock_aws())
        self.api_key, key_hash = new_api_key("demo_")
        client = boto3.client("dynamodb", region_name="us-east-1")
        for table in tables:
            client.create_table(
                TableName=str(table),
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "key_hash", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "key_hash", "KeyType": "HASH"}],
            )
            item: dict[str, Any] = {"key_hash": {"S": key_hash}, "owner": {"S": "partner-42"}}
            item["context"] = {"M": {"plan": {"S": "gold"}}}
            client.put_item(TableName=str(table), Item=item)

    # -- the requests ----------------------------------------------------------------------

    def calls(self) -> Iterator[Call | Row]:
        """The demo's requests, from the routes the template has (a missing one: a note)."""
        template = self.template
        token = _routes(template, RequestKind.REST_TOKEN)
        if token:
            route, spec = token[0]
            header = _source(spec, "header") or "Authorization"
            url = _url(route)

            def bearer(token: str) -> dict[str, str]:
                return {header: f"Bearer {token}"}

            valid = bearer(self.valid_token)  # the cache key: the same token again is a hit
            yield Call("REST TOKEN: valid access token", url, valid)
            expired = self.pool.access_token(broken=BrokenToken.EXPIRED)
            yield Call("REST TOKEN: expired token", url, bearer(expired))
            foreign = self.pool.access_token(client_id=OTHER_CLIENT_ID)
            yield Call("REST TOKEN: token for another app client", url, bearer(foreign))
            yield Call("REST TOKEN: no Authorization header", url, {})
            other = next((r for r, s in token if s is spec and r is not route), route)
            label = "another route" if other is not route else "the same route"
            yield Call(f"REST TOKEN: the valid token again, {label}", _url(other), valid)
        else:
            yield Row("REST TOKEN authorizer", "skipped", reason="no such route in the template")
        yield from self._api_key_calls()
        http = [(r, s) for r, s in _routes(template, RequestKind.HTTP_V2) if s.simple_responses]
        if http:
            route, spec = http[0]
            header = _source(spec, "header") or "Authorization"
            jwt = {header: f"Bearer {self.issuer.mint(scope='pets/read')}"}
            yield Call("HTTP API simple response: valid JWT", _url(route), jwt)
        yield from self._websocket_calls()

    def _api_key_calls(self) -> Iterator[Call | Row]:
        keyed = [(r, s) for r, s in _routes(self.template, RequestKind.REST_REQUEST)]
        if not keyed or self.api_key is None:
            reason = "moto not installed" if keyed else "no such route in the template"
            yield Row("REST REQUEST: API key", "skipped", reason=reason)
            return
        route, spec = keyed[0]
        header = _source(spec, "header") or "x-api-key"
        yield Call("REST REQUEST: valid API key", _url(route), {header: self.api_key})
        yield Call("REST REQUEST: unknown API key", _url(route), {header: "demo_unknown-key"})
        for route, spec in _routes(self.template, RequestKind.REST_TOKEN, zero_code=True)[:1]:
            header = _source(spec, "header") or "Authorization"
            scheme = {header: f"ApiKey {self.api_key}"}
            yield Call("zero-code config.json: ApiKey scheme", _url(route), scheme)

    def _websocket_calls(self) -> Iterator[Call]:
        for route, spec in _routes(self.template, RequestKind.WEBSOCKET)[:1]:
            name = _source(spec, "querystring") or "token"
            url = f"ws:/{route.api_id}?{name}={self.issuer.mint()}"
            yield Call("WebSocket $connect: token in the query", url, {})
            yield Call("WebSocket $connect: no token", f"ws:/{route.api_id}", {})

    def send(self, call: Call, session: requests.Session) -> Row:
        started = time.perf_counter()
        if call.url.startswith("ws:"):
            ws_url = self.server.url.replace("http:", "ws:") + call.url.removeprefix("ws:")
            with WebSocketClient(ws_url, call.headers) as client:
                status, request_id = client.status, client.headers.get("x-amzn-requestid", "")
        else:
            response = session.get(self.server.url + call.url, headers=call.headers, timeout=10)
            status = response.status_code
            request_id = response.headers.get("x-amzn-RequestId") or response.headers.get(
                "apigw-requestid", ""
            )
        latency = (time.perf_counter() - started) * 1000
        record = self.gateway.record_for(request_id)
        if record is None:
            return Row(call.label, status, latency_ms=latency)
        return Row(
            call.label, status, record.principal or "-", record.cache, latency, record.reason
        )

    def run(self) -> list[Row]:
        with requests.Session() as session:
            return [c if isinstance(c, Row) else self.send(c, session) for c in self.calls()]


def table(rows: list[Row]) -> str:
    header = ("request", "status", "principal", "cache", "latency", "reason")
    cells = [
        (r.request, str(r.status), r.principal, r.cache,
         "" if r.latency_ms is None else f"{r.latency_ms:.1f} ms", r.reason)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m authorizers.demo", description=__doc__)
    parser.add_argument("--serve", action="store_true", help="keep serving, print curl commands")
    parser.add_argument(
        "--port", type=int, help="port on 127.0.0.1 (default: any; 3000 with --serve)"
    )
    parser.add_argument("--template", type=Path, default=TEMPLATE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.template.is_file():
        out(f"no template at {args.template}: run the demo from a clone of the repository")
        return 2
    started = time.perf_counter()
    port = args.port if args.port is not None else (3000 if args.serve else 0)
    with Demo(args.template, port=port) as demo:
        rows = demo.run()
        out(table(rows))
        out(f"\n{len(rows)} requests to {demo.server.url} in {time.perf_counter() - started:.1f} s")
        if args.serve:
            _serve(demo, out)
    return 0


def _serve(demo: Demo, out: Callable[[str], Any]) -> None:
    from authorizers.cli.serve import describe  # noqa: PLC0415

    out("\n" + "\n".join(describe(demo.template, demo.server.url)))
    out("\nTry (tokens are valid for an hour):")
    ws_base = demo.server.url.replace("http:", "ws:")
    for call in demo.calls():
        if isinstance(call, Call) and call.url.startswith("ws:"):
            out(f"# {call.label}: a WebSocket client to {ws_base}{call.url[3:]}")
        elif isinstance(call, Call):
            headers = " ".join(f"-H '{name}: {value}'" for name, value in call.headers.items())
            out(f"# {call.label}\ncurl -i {headers} {demo.server.url}{call.url}".replace("  ", " "))
    out("\nServing; Ctrl-C stops.")
    demo.gateway.on_record = lambda record: print(record.line(), file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
