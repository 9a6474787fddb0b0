"""DPoP (RFC 9449): proofs minted by the test kit's DpopClient, on REST and HTTP API events,
on the execute-api host and on custom domains; the per-request contract; the replay stores."""

from __future__ import annotations

from typing import Any

import pytest
from docs_blocks import named
from helpers import reason_of

from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.decision import Outcome
from authorizers.errors import (
    ConfigurationError,
    InfrastructureError,
    MalformedEvent,
    ReasonCode,
)
from authorizers.event_parsing import parse_event
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.dpop import DpopClient
from authorizers.testing.events import http_v1_event, http_v2_event, request_event, token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.dpop_nonce import DpopNonces
from authorizers.validators.dpop_replay import MemoryReplayStore
from authorizers.validators.jwt import JwtValidator

NOW = 1_700_000_000.0
HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
REST_URL = f"https://{HOST}/prod/pets/7"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def issuer(clock: FakeClock) -> TestIssuer:
    return TestIssuer(clock=clock)


@pytest.fixture
def client(clock: FakeClock) -> DpopClient:
    return DpopClient(clock=clock)


def validator_for(issuer: TestIssuer, clock: FakeClock, **options: Any) -> DpopValidator:
    tokens = JwtValidator(
        issuer=issuer.issuer,
        audience=issuer.audience,
        keys=StaticJwks(issuer.jwks),
        clock=clock,
    )
    return DpopValidator(tokens, clock=clock, **options)


def bound_token(issuer: TestIssuer, client: DpopClient) -> str:
    return issuer.mint({"cnf": client.cnf})


@pytest.mark.parametrize(
    ("make_event", "url"),
    [
        (lambda h: request_event("GET /pets/7", headers=h), REST_URL),
        (lambda h: http_v1_event("GET /pets/7", headers=h), f"https://{HOST}/pets/7"),
        (lambda h: http_v2_event("GET /pets/7", headers=h), f"https://{HOST}/pets/7"),
        (
            lambda h: http_v2_event("GET /pets/7", headers=h, stage="beta"),
            f"https://{HOST}/beta/pets/7",
        ),
        (
            lambda h: request_event(
                "GET /pets/7", headers=h, domain_name="api.example.com", base_path="v1"
            ),
            "https://api.example.com/v1/pets/7",
        ),
        (
            lambda h: http_v2_event("GET /pets/7", headers=h, domain_name="api.example.com"),
            "https://api.example.com/pets/7",
        ),
    ],
    ids=["rest", "http-v1", "http-v2", "http-v2-stage", "rest-custom-domain", "http-custom-domain"],
)
def test_a_bound_token_with_its_proof_is_accepted(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock, make_event: Any, url: str
) -> None:
    validator = validator_for(issuer, clock)
    token = bound_token(issuer, client)
    identity = validator.validate(parse_event(make_event(client.headers("GET", url, token))))
    assert identity.claims["cnf"] == {"jkt": client.jkt}
    # the same URL with a query string and upper-case host names the same resource
    event = make_event(client.headers("GET", url.replace("https://", "HTTPS://") + "?a=1", token))
    assert validator.validate(parse_event(event)).principal_id == identity.principal_id


def test_the_custom_domain_url_is_not_the_execute_api_url(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock
) -> None:
    validator = validator_for(issuer, clock)
    token = bound_token(issuer, client)
    headers = client.headers("GET", REST_URL, token)
    event = request_event("GET /pets/7", headers=headers, domain_name="api.example.com")
    assert reason_of(validator, event) is ReasonCode.INVALID_DPOP_PROOF


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"method": "POST"}, ReasonCode.INVALID_DPOP_PROOF),
        ({"url": f"https://{HOST}/prod/pets/8"}, ReasonCode.INVALID_DPOP_PROOF),
        ({"url": "https://evil.example.com/prod/pets/7"}, ReasonCode.INVALID_DPOP_PROOF),
        ({"iat_offset": -120}, ReasonCode.INVALID_DPOP_PROOF),
        ({"iat_offset": 60}, ReasonCode.INVALID_DPOP_PROOF),
        ({"access_token": "another.token.value"}, ReasonCode.INVALID_DPOP_PROOF),
    ],
    ids=["htm", "htu-path", "htu-host", "stale-iat", "future-iat", "ath"],
)
def test_a_proof_for_something_else_is_refused(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock, change: dict[str, Any], reason: Any
) -> None:
    token = bound_token(issuer, client)
    method, url = change.pop("method", "GET"), change.pop("url", REST_URL)
    change.setdefault("access_token", token)
    proof = client.proof(method, url, **change)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert (
        reason_of(validator_for(issuer, clock), request_event("GET /pets/7", headers=headers))
        is reason
    )


def test_a_proof_is_accepted_once(issuer: TestIssuer, client: DpopClient, clock: FakeClock) -> None:
    validator = validator_for(issuer, clock)
    event = request_event(
        "GET /pets/7", headers=client.headers("GET", REST_URL, bound_token(issuer, client))
    )
    validator.validate(parse_event(event))
    assert reason_of(validator, event) is ReasonCode.DPOP_REPLAY
    clock.advance(600)  # long after: stale, not a replay the store must still remember
    assert reason_of(validator, event) is ReasonCode.INVALID_DPOP_PROOF


def test_the_token_must_be_bound_to_the_proof_key(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock
) -> None:
    validator = validator_for(issuer, clock)
    other = DpopClient(clock=clock)
    for token in (issuer.mint({"cnf": other.cnf}), issuer.mint()):
        event = request_event("GET /pets/7", headers=client.headers("GET", REST_URL, token))
        assert reason_of(validator, event) is ReasonCode.DPOP_BINDING_MISMATCH


def test_schemes_and_proof_headers(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock
) -> None:
    token = bound_token(issuer, client)
    proof = client.proof("GET", REST_URL, access_token=token)
    validator = validator_for(issuer, clock, allow_bearer=True)
    as_bearer = {"Authorization": f"Bearer {token}", "DPoP": proof}
    assert reason_of(validator, request_event("GET /pets/7", headers=as_bearer)) is (
        ReasonCode.DPOP_BINDING_MISMATCH
    )
    plain = {"Authorization": f"Bearer {issuer.mint()}"}
    assert validator.validate(parse_event(request_event("GET /pets/7", headers=plain)))
    strict = validator_for(issuer, clock)
    assert (
        reason_of(strict, request_event("GET /pets/7", headers=plain)) is ReasonCode.MALFORMED_TOKEN
    )
    no_proof = {"Authorization": f"DPoP {token}"}
    assert (
        reason_of(strict, request_event("GET /pets/7", headers=no_proof))
        is ReasonCode.INVALID_DPOP_PROOF
    )
    two = {
        "Authorization": f"DPoP {token}",
        "DPoP": [proof, client.proof("GET", REST_URL, access_token=token)],
    }
    assert reason_of(strict, request_event("GET /pets/7", headers=two)) in (
        ReasonCode.INVALID_DPOP_PROOF,
        ReasonCode.AMBIGUOUS_CREDENTIAL,
    )
    token_only = token_event("GET /pets/7", f"DPoP {token}")
    assert reason_of(strict, token_only, raises=MalformedEvent) is ReasonCode.MALFORMED_EVENT


def test_dpop_is_per_request(issuer: TestIssuer, clock: FakeClock) -> None:
    validator = validator_for(issuer, clock)
    with pytest.raises(ConfigurationError, match="result_ttl_seconds=0"):
        Authorizer(validator)
    with pytest.raises(ConfigurationError):
        DpopValidator(validator.tokens, algorithms=("HS256",))
    with pytest.raises(ConfigurationError):
        DpopValidator(validator.tokens, algorithms=("none",))


def test_an_allow_covers_the_called_method_only(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock
) -> None:
    authorizer = Authorizer(validator_for(issuer, clock), result_ttl_seconds=0, observability=None)
    token = bound_token(issuer, client)
    event = request_event("GET /pets/7", headers=client.headers("GET", REST_URL, token))
    decision = authorizer.authorize(parse_event(event))
    assert decision.outcome is Outcome.ALLOW
    assert decision.response is not None
    [statement] = decision.response["policyDocument"]["Statement"]
    assert (
        statement["Resource"] == [event["methodArn"]] or statement["Resource"] == event["methodArn"]
    )


def test_server_nonces(issuer: TestIssuer, client: DpopClient, clock: FakeClock) -> None:
    nonces = DpopNonces(b"n" * 32, period=300, clock=clock)
    validator = validator_for(issuer, clock, nonces=nonces)
    token = bound_token(issuer, client)
    without = request_event("GET /pets/7", headers=client.headers("GET", REST_URL, token))
    assert reason_of(validator, without) is ReasonCode.USE_DPOP_NONCE
    nonce = nonces.current()
    fresh = client.headers("GET", REST_URL, token, nonce=nonce)
    validator.validate(parse_event(request_event("GET /pets/7", headers=fresh)))
    clock.advance(700)  # two periods later the nonce is stale
    old = DpopClient(key=client.key, clock=clock).headers(
        "GET", REST_URL, issuer.mint({"cnf": client.cnf}), nonce=nonce
    )
    assert (
        reason_of(validator, request_event("GET /pets/7", headers=old)) is ReasonCode.USE_DPOP_NONCE
    )
    assert "n" * 32 not in repr(nonces)


def test_the_memory_store_is_bounded_and_fails_closed() -> None:
    store = MemoryReplayStore(max_entries=2)
    assert store.first_use("a", 100, 0)
    assert not store.first_use("a", 100, 50)
    assert store.first_use("b", 100, 50)
    with pytest.raises(InfrastructureError) as full:
        store.first_use("c", 100, 50)
    assert full.value.reason is ReasonCode.STORE_UNAVAILABLE
    assert store.first_use("c", 300, 100)  # "a" and "b" expired at 100
    assert len(store) == 1


def test_the_memory_store_frees_an_expired_id_whatever_order_ids_arrived_in() -> None:
    """Clients choose ``iat``, so ids do not arrive in expiry order: an id that expired is
    forgotten even when it arrived after one that is still live."""
    store = MemoryReplayStore(max_entries=2)
    assert store.first_use("late", 1000, 0)
    assert store.first_use("early", 10, 0)
    assert store.first_use("next", 1000, 50)  # "early" expired at 10: room for one more
    assert not store.first_use("late", 1000, 50)


def test_a_store_fault_fails_closed(
    issuer: TestIssuer, client: DpopClient, clock: FakeClock
) -> None:
    class Broken:
        def first_use(self, key: str, expires_at: float, now: float) -> bool:
            raise InfrastructureError(ReasonCode.STORE_UNAVAILABLE, "down")

    authorizer = Authorizer(
        validator_for(issuer, clock, replay=Broken()), result_ttl_seconds=0, observability=None
    )
    event = request_event(
        "GET /pets/7", headers=client.headers("GET", REST_URL, bound_token(issuer, client))
    )
    decision = authorizer.authorize(parse_event(event))
    assert decision.outcome is Outcome.ERROR
    assert decision.reason is ReasonCode.STORE_UNAVAILABLE


def test_the_recipe_builds_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/recipes.md recipe 5, executed: a per-request authorizer with TTL 0."""
    namespace: dict[str, Any] = {}
    code = named("sender-constrained", "docs/recipes.md", key="python").code
    exec(code, namespace)  # the documentation's own code
    authorizer = namespace["authorizer"]
    assert isinstance(authorizer, Authorizer)
    unauthorized = request_event("GET /pets/7", headers={"Authorization": "DPoP x.y.z"})
    assert authorizer.authorize(parse_event(unauthorized)).outcome is Outcome.UNAUTHORIZED
