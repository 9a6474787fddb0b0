"""Route selection as API Gateway does it, and where each API is mounted."""

from __future__ import annotations

import pytest

from authorizers.local.model import ApiSpec, ApiType, RouteSpec
from authorizers.local.routing import ApiRouter, Mounts

REST = ApiSpec("Rest", ApiType.REST, "prod")
HTTP = ApiSpec("Http", ApiType.HTTP, "$default")


def route(key: str, api: str = "Rest") -> RouteSpec:
    method, _, path = key.partition(" ")
    return RouteSpec(api, method if path else None, path or key, "Fn")


ROUTES = [
    route("ANY /{proxy+}"),
    route("GET /pets/{id}"),
    route("GET /pets/mine"),
    route("ANY /pets/{id}"),
    route("POST /pets"),
    route("GET /"),
    route("GET /files/{path+}"),
]


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/mine", "GET /pets/mine"),  # a literal beats a parameter
        ("GET", "/pets/7", "GET /pets/{id}"),  # the method beats ANY
        ("DELETE", "/pets/7", "ANY /pets/{id}"),
        ("POST", "/pets", "POST /pets"),
        ("GET", "/", "GET /"),
        ("GET", "/files/a/b/c.txt", "GET /files/{path+}"),
        ("GET", "/pets/7/toys", "ANY /{proxy+}"),  # {id} never spans a slash
    ],
)
def test_the_most_specific_route_wins(method, path, expected):
    matched = ApiRouter(REST, ROUTES).match(method, path)
    assert matched is not None and matched.route_key == expected


def test_a_rest_resource_without_the_method_is_not_routed_elsewhere():
    """REST picks the resource by path, then its method: /pets has POST only, so GET /pets
    is "Missing Authentication Token" (None), not the greedy catch-all; HTTP APIs match
    method and path together and take the catch-all."""
    assert ApiRouter(REST, ROUTES).match("GET", "/pets") is None
    http = ApiRouter(HTTP, [route(r.route_key, "Http") for r in ROUTES])
    matched = http.match("GET", "/pets")
    assert matched is not None and matched.route_key == "ANY /{proxy+}"


def test_no_route_or_the_default_route():
    router = ApiRouter(REST, [route("GET /pets")])
    assert router.match("GET", "/dogs") is None
    assert router.match("POST", "/pets") is None
    with_default = ApiRouter(HTTP, [route("GET /pets", "Http"), route("$default", "Http")])
    fallback = with_default.match("POST", "/pets")
    assert fallback is not None and fallback.route_key == "$default"


def test_websocket_route_keys_fall_back_to_default():
    router = ApiRouter(
        ApiSpec("Ws", ApiType.WEBSOCKET, "prod"), [route("$connect"), route("$default")]
    )
    assert router.route_key("$connect") == route("$connect")
    assert router.route_key("sendMessage") == route("$default")


def test_mounts():
    rest, http = ApiRouter(REST, ROUTES), ApiRouter(HTTP, [])
    mounts = Mounts({"Rest": rest, "Http": http})
    target = mounts.resolve("/Rest/pets/7")
    assert target is not None and target.router is rest and target.path == "/pets/7"
    root = mounts.resolve("/Http")
    assert root is not None and root.router is http and root.path == "/"
    assert mounts.resolve("/pets/7") is None  # several APIs: the prefix is required
    lone = Mounts({"Rest": rest})
    alone = lone.resolve("/pets/7")
    assert alone is not None and alone.router is rest and alone.path == "/pets/7"
