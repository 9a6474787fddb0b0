"""The API key + source IP sample, with its DynamoDB table simulated in-process by moto."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from authorizers.keystores.base import new_api_key
from authorizers.testing import (
    assert_allows,
    assert_context,
    assert_denies,
    assert_unauthorized,
    call_handler,
    request_event,
    simulate,
)

TABLE = "sample-api-keys"
PARTNER_KEY, _ = new_api_key("partner_")
READ_ONLY_KEY, _ = new_api_key("reader_")
DISABLED_KEY, _ = new_api_key("disabled_")
OFFICE = "198.51.100.0/24"


@pytest.fixture(scope="module")
def aws(api_key_table) -> Iterator[None]:
    """Fake credentials and moto's in-process DynamoDB, with the sample's key table."""
    partner = {
        "owner": "partner-a",
        "scopes": ["orders:read", "orders:write"],
        "plan": "gold",
        "context": {"region": "eu"},
    }
    with api_key_table(
        TABLE,
        {
            PARTNER_KEY: partner,
            READ_ONLY_KEY: {"owner": "partner-b", "scopes": ["orders:read"]},
            DISABLED_KEY: {"owner": "partner-c", "enabled": False},
        },
    ):
        yield


@pytest.fixture
def app(load_app, aws):
    return load_app(
        API_KEY_TABLE=TABLE,
        ALLOWED_SOURCE_CIDRS=f"{OFFICE}, 2001:db8::/32",
        RESULT_TTL_SECONDS=None,
    )


def event(route: str, key: str | None, source_ip: str = "198.51.100.7") -> dict:
    return request_event(route, headers={"x-api-key": key}, source_ip=source_ip)


def test_a_known_key_from_an_allowed_address_is_allowed_and_metered(app):
    call = event("GET /partner/whoami", PARTNER_KEY)
    response = app.handler(call, None)
    assert_allows(response, call, "POST /partner/orders", "GET /partner/orders/42")
    assert response["usageIdentifierKey"] == PARTNER_KEY  # usage plans count this key
    assert_context(
        response, {"principalId": "partner-a", "plan": "gold", "region": "eu"}, request=call
    )


def test_a_key_without_the_scope_cannot_create_orders(app):
    call = event("POST /partner/orders", READ_ONLY_KEY)
    response = app.handler(call, None)
    assert_denies(response, call)
    assert_allows(response, "GET /partner/orders/42")


def test_ipv6_callers_in_the_list_are_allowed(app):
    call = event("GET /partner/whoami", PARTNER_KEY, source_ip="2001:db8::1")
    assert_allows(app.handler(call, None), call)


@pytest.mark.parametrize(
    ("key", "source_ip"),
    [
        pytest.param(PARTNER_KEY, "203.0.113.9", id="address-not-allowed"),
        pytest.param(None, "198.51.100.7", id="no-key"),
        pytest.param("unknown-key", "198.51.100.7", id="unknown-key"),
        pytest.param(DISABLED_KEY, "198.51.100.7", id="disabled-key"),
    ],
)
def test_refused_callers_get_a_401(app, key, source_ip):
    assert_unauthorized(app.handler, event("GET /partner/whoami", key, source_ip))


def test_an_unreadable_table_fails_closed_with_a_500(load_app, aws):
    app = load_app(API_KEY_TABLE="no-such-table", ALLOWED_SOURCE_CIDRS=OFFICE)
    call = event("GET /partner/whoami", PARTNER_KEY)
    outcome = call_handler(app.handler, call)
    assert simulate(outcome, call).status == 500  # never a 401, never an Allow
