"""Route selection per API kind (authorizers.rules._selection), the one the rules, the
simulator, the cache replay and the local gateway share."""

from __future__ import annotations

import pytest

from authorizers.rules._selection import Router, route_key

ROUTES = [
    ("ANY", "/{proxy+}"),
    ("GET", "/pets/{id}"),
    ("GET", "/pets/mine"),
    ("ANY", "/pets/{id}"),
    ("POST", "/pets"),
    ("GET", "/"),
    ("ANY", "/files/{proxy+}"),
    ("GET", "/{tenant}/admin"),
    ("GET", "/users/{id}/files/{proxy+}"),
]


def key(router: Router, verb: str, path: str) -> str | None:
    index = router.select(verb, path)
    return None if index is None else route_key(*router.routes[index])


@pytest.mark.parametrize(
    ("verb", "path", "rest", "http"),
    [
        ("GET", "/pets/mine", "GET /pets/mine", "GET /pets/mine"),
        ("GET", "/pets/7", "GET /pets/{}", "GET /pets/{}"),
        ("DELETE", "/pets/7", "ANY /pets/{}", "ANY /pets/{}"),
        ("GET", "/", "GET /", "GET /"),
        ("POST", "/", None, None),  # no POST on the root; {proxy+} needs a character
        ("GET", "/pets", None, "ANY /{+}"),  # REST: /pets has POST only
        # REST walks literal "files" first; HTTP ranks a full match above any greedy route
        ("GET", "/files/admin", "ANY /files/{+}", "GET /{}/admin"),
        ("GET", "/acme/admin", "GET /{}/admin", "GET /{}/admin"),
        # a branch that dead-ends falls back to the greedy route of an outer level
        ("GET", "/users/7/x/files/a", "ANY /{+}", "ANY /{+}"),
        ("GET", "/users/7/files/a/b", "GET /users/{}/files/{+}", "GET /users/{}/files/{+}"),
        ("GET", "/pets//x", "ANY /{+}", "ANY /{+}"),  # an empty segment is no {param}
    ],
)
def test_rest_and_http_selection(verb: str, path: str, rest: str | None, http: str) -> None:
    assert key(Router(ROUTES, "rest"), verb, path) == rest
    assert key(Router(ROUTES, "http"), verb, path) == http


def test_http_default_route_and_route_keys() -> None:
    router = Router([("GET", "/pets/{id}"), ("ANY", "$default")], "http")
    assert key(router, "POST", "/pets/1") == "$default"
    assert router.by_key("GET /pets/{petId}") == 0  # parameter names do not matter
    assert router.by_key("GET /dogs") is None
    assert Router([("GET", "/pets/{id}")], "rest").select("POST", "/x") is None


def test_a_route_spelled_twice_is_the_first_declared_whichever_spelling_is_asked() -> None:
    router = Router([("GET", "/pets/{id}"), ("GET", "/pets/{petId}"), ("ANY", "/x/")], "rest")
    assert router.by_key("GET /pets/{petId}") == 0
    assert router.by_key("GET /pets/{name}") == 0
    assert router.by_key("ANY /x") == router.by_key("ANY /x/") == 2


def test_websocket_route_keys_fall_back_to_default() -> None:
    router = Router([("ANY", "$connect"), ("ANY", "sendMessage"), ("ANY", "$default")], "websocket")
    assert router.by_key("$connect") == 0
    assert router.by_key("sendMessage") == 1
    assert router.by_key("other") == 2
    assert Router([("ANY", "$connect")], "websocket").by_key("other") is None


def test_selection_is_linear_in_a_long_path() -> None:
    router = Router(ROUTES, "rest")
    assert key(router, "GET", "/pets/" + "/".join(["x"] * 800)) == "ANY /{+}"
    with pytest.raises(ValueError, match="API kind"):
        Router(ROUTES, "graphql")
