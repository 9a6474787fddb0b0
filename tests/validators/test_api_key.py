"""ApiKeyValidator, key records, hashing, and the caching layers (no AWS: see the moto tests)."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest
from helpers import reason_of

from authorizers.clock import FakeClock
from authorizers.errors import (
    ConfigurationError,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.event_parsing import parse_event
from authorizers.keystores.base import KeyRecord, hash_api_key, new_api_key
from authorizers.keystores.cached import CachedKeyStore
from authorizers.keystores.snapshot import Snapshot
from authorizers.keystores.static import StaticKeyStore
from authorizers.request import AuthRequest, RequestKind
from authorizers.testing.events import (
    http_v1_event,
    http_v2_event,
    request_event,
    token_event,
    websocket_connect_event,
)
from authorizers.validator import AnyOf
from authorizers.validators.api_key import ApiKeyLocation, ApiKeyValidator

NOW = 1_800_000_000.0

KEY = "live_4d1f0c2e9b7a43c8a1e5f6d7c8b9a0e1f2d3c4b5"
OTHER_KEY = "live_rotated_9b7a43c8a1e5f6d7c8b9a0e1f2d3c4b5a6"
DISABLED = "live_disabled_0c2e9b7a43c8a1e5f6d7c8b9a0e1f2d3c4"
EXPIRED = "live_expired_e9b7a43c8a1e5f6d7c8b9a0e1f2d3c4b5a6"
FUTURE = "live_future_b7a43c8a1e5f6d7c8b9a0e1f2d3c4b5a6f7"
UNKNOWN = "live_unknown_7a43c8a1e5f6d7c8b9a0e1f2d3c4b5a6f7e8"
ALL_KEYS = (KEY, OTHER_KEY, DISABLED, EXPIRED, FUTURE, UNKNOWN)

RECORDS: dict[str, Mapping[str, Any]] = {
    hash_api_key(KEY): {
        "owner": "partner-a",
        "key_id": "2026-11",
        "plan": "gold",
        "scopes": ["orders:read", "orders:write"],
        "groups": "partners",
        "expires_at": NOW + 3600,
        "context": {"region": "eu", "plan": "gold-override"},
    },
    hash_api_key(OTHER_KEY): {"owner": "partner-a", "key_id": "2026-12"},
    hash_api_key(DISABLED): {"owner": "partner-b", "key_id": "old", "enabled": False},
    hash_api_key(EXPIRED): {"owner": "partner-c", "expires_at": NOW},
    hash_api_key(FUTURE): {"owner": "partner-d", "not_before": "2030-01-01T00:00:00Z"},
}


def request(
    kind: RequestKind = RequestKind.REST_REQUEST,
    *,
    headers: Mapping[str, str | tuple[str, ...]] | None = None,
    query: Mapping[str, str] | None = None,
    token: str | None = None,
) -> AuthRequest:
    if kind is RequestKind.REST_TOKEN:
        return parse_event(token_event("GET /orders", token or ""))
    return parse_event(request_event("GET /orders", headers=headers, query=query))


class CountingStore:
    """A remote-like store (not self-caching) that counts lookups and can be made to fail."""

    name = "counting"

    def __init__(self, records: Mapping[str, Mapping[str, Any]] = RECORDS) -> None:
        self.records = {h: KeyRecord.from_mapping(r) for h, r in records.items()}
        self.calls = 0
        self.failure: Exception | None = None

    def lookup(self, key_hash: str) -> KeyRecord | None:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return self.records.get(key_hash)


@pytest.fixture(autouse=True)
def _keys_are_secret(register_secret: Callable[..., object]) -> None:
    for key in ALL_KEYS:
        register_secret(key, "API key")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def validator(clock: FakeClock) -> ApiKeyValidator:
    return ApiKeyValidator(StaticKeyStore(RECORDS), clock=clock)


# --- hashing and records ---------------------------------------------------------------------


def test_hash_is_sha256_hex_and_new_keys_are_random_and_match_their_hash() -> None:
    assert hash_api_key("abc") == hashlib.sha256(b"abc").hexdigest()
    key, digest = new_api_key(prefix="live_")
    other, _ = new_api_key()
    assert key.startswith("live_") and len(key) >= 20 + len("live_")
    assert digest == hash_api_key(key) and key != other
    with pytest.raises(ConfigurationError):
        new_api_key(prefix="bad prefix")


def test_static_store_refuses_plaintext_keys_and_bad_records_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="SHA-256"):
        StaticKeyStore({KEY: {"owner": "x"}})
    with pytest.raises(ConfigurationError, match="'owner'"):
        StaticKeyStore({hash_api_key(KEY): {"enabled": True}})
    with pytest.raises(ConfigurationError, match="unknown key record fields"):
        StaticKeyStore({hash_api_key(KEY): {"owner": "x", "expires": 1}})


def test_record_parsing_accepts_store_shapes_and_refuses_wrong_types() -> None:
    record = KeyRecord.from_mapping(
        {
            "owner": "o",
            "scopes": {"a", "b"},
            "not_before": Decimal("1700000000"),
            "expires_at": "1800000000.5",
            "context": {"n": Decimal("2"), "f": Decimal("1.5"), "tags": {"x", "y"}},
            "description": "ignored",
            "key_hash": "ignored",
        }
    )
    assert record.scopes == {"a", "b"} and record.not_before == 1_700_000_000.0
    assert record.expires_at == 1_800_000_000.5
    assert dict(record.context) == {"n": 2, "f": 1.5, "tags": ["x", "y"]}
    assert KeyRecord.from_mapping({"owner": "o", "expires_at": "2027-01-01T00:00:00Z"}).expires_at
    for bad in (
        {"owner": ""},
        {"owner": "o", "enabled": "yes"},
        {"owner": "o", "scopes": [1]},
        {"owner": "o", "expires_at": True},
        {"owner": "o", "expires_at": "2027-01-01T00:00:00"},  # no offset: ambiguous
        {"owner": "o", "context": ["x"]},
        {"owner": "o", "context": {"x": object()}},
    ):
        with pytest.raises(ValueError):
            KeyRecord.from_mapping(bad)


# --- the validator ---------------------------------------------------------------------------


def test_valid_key_gives_owner_scopes_groups_claims_and_context(
    validator: ApiKeyValidator,
) -> None:
    identity = validator.validate(request(headers={"X-Api-Key": KEY}))
    assert identity.principal_id == "partner-a"
    assert identity.validator == "api_key"
    assert identity.scopes == {"orders:read", "orders:write"}
    assert identity.groups == {"partners"}
    assert dict(identity.claims) == {"owner": "partner-a", "key_id": "2026-11", "plan": "gold"}
    # the record's own context wins over the generated keys
    assert dict(identity.context) == {"key_id": "2026-11", "plan": "gold-override", "region": "eu"}
    assert identity.usage_identifier_key is None


def test_rotation_two_active_keys_of_one_owner(validator: ApiKeyValidator) -> None:
    first = validator.validate(request(headers={"x-api-key": KEY}))
    second = validator.validate(request(headers={"x-api-key": OTHER_KEY}))
    assert first.principal_id == second.principal_id == "partner-a"
    assert first.claims["key_id"] != second.claims["key_id"]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (UNKNOWN, ReasonCode.UNKNOWN_API_KEY),
        (DISABLED, ReasonCode.DISABLED_API_KEY),
        (EXPIRED, ReasonCode.EXPIRED_API_KEY),  # expires_at == now is expired
        (FUTURE, ReasonCode.API_KEY_NOT_YET_VALID),
    ],
)
def test_each_unusable_key_has_its_reason(
    validator: ApiKeyValidator, key: str, reason: ReasonCode
) -> None:
    assert reason_of(validator, request(headers={"x-api-key": key})) is reason


def test_validity_window_follows_the_injected_clock(
    validator: ApiKeyValidator, clock: FakeClock
) -> None:
    clock.now = NOW + 3599
    assert validator.validate(request(headers={"x-api-key": KEY})).principal_id == "partner-a"
    clock.now = NOW + 3600
    assert reason_of(validator, request(headers={"x-api-key": KEY})) is ReasonCode.EXPIRED_API_KEY
    clock.now = 1_893_456_000.0  # 2030-01-01T00:00:00Z
    assert validator.validate(request(headers={"x-api-key": FUTURE})).principal_id == "partner-d"


def test_missing_ambiguous_and_malformed_keys(clock: FakeClock) -> None:
    store = CountingStore()
    validator = ApiKeyValidator(store, clock=clock)
    assert reason_of(validator, request()) is ReasonCode.MISSING_CREDENTIAL
    assert reason_of(validator, request(headers={"x-api-key": ""})) is ReasonCode.MISSING_CREDENTIAL
    ambiguous = request(headers={"x-api-key": (KEY, OTHER_KEY)})
    assert reason_of(validator, ambiguous) is ReasonCode.AMBIGUOUS_CREDENTIAL
    for junk in ("has space " + KEY, "x" * 1025, "tab\there", "ünïcode-key"):
        assert reason_of(validator, request(headers={"x-api-key": junk})) is (
            ReasonCode.UNKNOWN_API_KEY
        )
    assert store.calls == 0  # junk never reaches the store


def test_key_locations_query_and_authorization_scheme(clock: FakeClock) -> None:
    store = StaticKeyStore(RECORDS)
    by_query = ApiKeyValidator(store, location=ApiKeyLocation.query("key"), clock=clock)
    assert by_query.validate(request(query={"key": KEY})).principal_id == "partner-a"
    assert reason_of(by_query, request(query={"Key": KEY})) is ReasonCode.MISSING_CREDENTIAL

    by_scheme = ApiKeyValidator(store, location=ApiKeyLocation.authorization(), clock=clock)
    for value in (f"ApiKey {KEY}", f"apikey   {KEY}", f"APIKEY {KEY} "):
        assert by_scheme.validate(request(headers={"Authorization": value})).principal_id
    for other in (f"Bearer {KEY}", "ApiKey", f"ApiKeyX {KEY}"):
        assert reason_of(by_scheme, request(headers={"authorization": other})) is (
            ReasonCode.MISSING_CREDENTIAL
        )
    with pytest.raises(ConfigurationError):
        ApiKeyLocation.authorization("Api Key")
    with pytest.raises(ConfigurationError):
        ApiKeyLocation.header("")


def test_token_events_use_the_token_and_refuse_query_locations(clock: FakeClock) -> None:
    store = StaticKeyStore(RECORDS)
    token = RequestKind.REST_TOKEN
    header = ApiKeyValidator(store, clock=clock)
    assert header.validate(request(token, token=KEY)).principal_id == "partner-a"
    scheme = ApiKeyValidator(store, location=ApiKeyLocation.authorization(), clock=clock)
    assert scheme.validate(request(token, token=f"ApiKey {KEY}")).principal_id == "partner-a"
    query = ApiKeyValidator(store, location=ApiKeyLocation.query(), clock=clock)
    with pytest.raises(Unauthorized, match="REQUEST authorizer") as caught:
        query.validate(request(token, token=KEY))
    assert caught.value.reason is ReasonCode.MISSING_CREDENTIAL


@pytest.mark.parametrize(
    "event",
    [
        lambda h: request_event("GET /orders", headers=h),
        lambda h: http_v1_event("GET /orders", headers=h),
        lambda h: http_v2_event("GET /orders", headers=h),
        lambda h: websocket_connect_event(headers=h),
    ],
    ids=["rest", "http_v1", "http_v2", "websocket"],
)
def test_every_request_kind_carries_the_key(
    validator: ApiKeyValidator, event: Callable[[dict[str, str]], dict[str, Any]]
) -> None:
    assert validator.validate(parse_event(event({"X-API-Key": KEY}))).principal_id == "partner-a"
    with pytest.raises(Unauthorized) as caught:
        validator.validate(parse_event(event({"x-other": KEY})))
    assert caught.value.reason is ReasonCode.MISSING_CREDENTIAL


def test_usage_identifier_key_is_set_exactly_when_enabled(clock: FakeClock) -> None:
    store = StaticKeyStore(RECORDS)
    off = ApiKeyValidator(store, clock=clock)
    on = ApiKeyValidator(store, usage_identifier=True, clock=clock)
    req = request(headers={"x-api-key": KEY})
    assert off.validate(req).usage_identifier_key is None
    assert on.validate(req).usage_identifier_key == KEY


def test_any_of_with_a_bearer_token_reports_the_other_validators_error(clock: FakeClock) -> None:
    class RejectsBearer:
        name = "jwt"

        def validate(self, request: AuthRequest) -> Any:
            raise Unauthorized(ReasonCode.BAD_SIGNATURE, "bad token")

    api_key = ApiKeyValidator(
        StaticKeyStore(RECORDS), location=ApiKeyLocation.authorization(), clock=clock
    )
    with pytest.raises(Unauthorized) as caught:
        AnyOf(api_key, RejectsBearer()).validate(request(headers={"authorization": "Bearer x.y.z"}))
    assert caught.value.reason is ReasonCode.BAD_SIGNATURE


def test_store_faults_fail_closed_never_as_unknown_key(clock: FakeClock) -> None:
    store = CountingStore()
    validator = ApiKeyValidator(store, clock=clock)
    store.failure = ConnectionError(f"boom {hash_api_key(KEY)}")
    with pytest.raises(InfrastructureError) as caught:
        validator.validate(request(headers={"x-api-key": KEY}))
    assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert hash_api_key(KEY) not in str(caught.value)  # SDK messages are not repeated
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    store.failure = None  # failures are not cached: the next request asks again
    assert validator.validate(request(headers={"x-api-key": KEY})).principal_id == "partner-a"


def test_no_key_material_in_logs_or_error_messages(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = CountingStore()
    validator = ApiKeyValidator(store, clock=clock, usage_identifier=True)
    messages = []
    for key in ALL_KEYS:
        try:
            validator.validate(request(headers={"x-api-key": key}))
        except Unauthorized as error:
            messages.append(str(error))
    store.failure = RuntimeError("down")
    with pytest.raises(InfrastructureError) as caught:
        validator.validate(request(headers={"x-api-key": UNKNOWN + "z"}))
    messages.append(str(caught.value))
    assert len(messages) == 5
    text = caplog.text + "\n".join(messages) + repr(request(headers={"x-api-key": KEY}))
    for key in ALL_KEYS:
        assert key not in text and hash_api_key(key) not in text


# --- caching ---------------------------------------------------------------------------------


def test_remote_stores_are_cached_positive_and_negative_with_injected_time() -> None:
    monotonic = FakeClock(0.0)
    store = CountingStore()
    validator = ApiKeyValidator(
        store, clock=FakeClock(NOW), monotonic=monotonic, cache_ttl=60, negative_cache_ttl=10
    )
    good, bad = request(headers={"x-api-key": KEY}), request(headers={"x-api-key": UNKNOWN})
    for _ in range(3):
        validator.validate(good)
        with pytest.raises(Unauthorized):
            validator.validate(bad)
    assert store.calls == 2
    monotonic.advance(11)  # negative entry expired, positive still fresh
    with pytest.raises(Unauthorized):
        validator.validate(bad)
    validator.validate(good)
    assert store.calls == 3
    monotonic.advance(50)
    validator.validate(good)
    assert store.calls == 4


def test_a_disabled_key_stops_working_after_the_positive_ttl() -> None:
    monotonic = FakeClock(0.0)
    store = CountingStore()
    validator = ApiKeyValidator(store, clock=FakeClock(NOW), monotonic=monotonic, cache_ttl=60)
    validator.validate(request(headers={"x-api-key": KEY}))
    store.records[hash_api_key(KEY)] = KeyRecord(owner="partner-a", enabled=False)
    validator.validate(request(headers={"x-api-key": KEY}))  # still cached
    monotonic.advance(60)
    reason = reason_of(validator, request(headers={"x-api-key": KEY}))
    assert reason is ReasonCode.DISABLED_API_KEY


def test_negative_cache_is_bounded_and_cache_can_be_turned_off() -> None:
    store = CountingStore()
    cached = CachedKeyStore(store, negative_maxsize=8, monotonic=FakeClock(0.0))
    for n in range(100):
        assert cached.lookup(hashlib.sha256(str(n).encode()).hexdigest()) is None
    assert len(cached._negative or ()) == 8
    uncached = ApiKeyValidator(store, cache_ttl=0, clock=FakeClock(NOW))
    assert uncached.store is store
    assert isinstance(ApiKeyValidator(store).store, CachedKeyStore)
    assert isinstance(ApiKeyValidator(StaticKeyStore(RECORDS)).store, StaticKeyStore)
    with pytest.raises(ConfigurationError):
        CachedKeyStore(store, ttl=0)


def test_snapshot_reloads_after_ttl_never_serves_stale_and_cools_down() -> None:
    monotonic = FakeClock(0.0)
    loads: list[int] = []
    failing: list[Exception] = []

    def load() -> dict[str, int]:
        loads.append(1)
        if failing:
            raise failing[0]
        return {"a": len(loads)}

    snapshot: Snapshot[int] = Snapshot(
        "test", load, ttl=100, failure_cooldown=5, monotonic=monotonic
    )
    assert snapshot.get("a") == 1 and snapshot.get("b") is None and len(loads) == 1
    monotonic.advance(100)
    assert snapshot.get("a") == 2
    failing.append(TimeoutError("secret 123"))
    monotonic.advance(100)
    for _ in range(3):  # expired and the reload failed: fail closed, one call per cooldown
        with pytest.raises(InfrastructureError) as caught:
            snapshot.get("a")
        assert caught.value.reason is ReasonCode.STORE_UNAVAILABLE
        assert "123" not in str(caught.value)
    assert len(loads) == 3
    failing.clear()
    monotonic.advance(5)
    assert snapshot.get("a") == 4


def test_boto3_is_not_imported_until_a_store_is_used() -> None:
    code = (
        "import sys\n"
        "import authorizers.validators.api_key, authorizers.validators.hmac_signature\n"
        "import authorizers.keystores.dynamodb, authorizers.keystores.ssm\n"
        "import authorizers.keystores.secrets_manager\n"
        "from authorizers.keystores.dynamodb import DynamoDBKeyStore\n"
        "DynamoDBKeyStore('t')\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
