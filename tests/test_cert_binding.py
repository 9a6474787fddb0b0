"""Certificate-bound access tokens (RFC 8705): cnf.x5t#S256 against the event's client
certificate, on REST and HTTP API events built by the test kit."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import reason_of

from authorizers._internal.event_parsing import parse_event
from authorizers._internal.thumbprints import certificate_thumbprint
from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, ReasonCode
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.certificates import TestCa, TestCertificate
from authorizers.testing.events import client_certificate, http_v2_event, request_event
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.cert_binding import CertificateBoundValidator
from authorizers.validators.jwt import JwtValidator

CA = TestCa()
CLIENT = CA.issue("client-a")
OTHER = CA.issue("client-b")


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer(clock=FakeClock())


def bound(issuer: TestIssuer, **options: Any) -> CertificateBoundValidator:
    tokens = JwtValidator(
        issuer=issuer.issuer,
        audience=issuer.audience,
        keys=StaticJwks(issuer.jwks),
        clock=issuer.clock,
    )
    return CertificateBoundValidator(tokens, **options)


EVENTS = [
    lambda token, cert: request_event(
        "GET /pets", headers={"Authorization": f"Bearer {token}"}, client_cert=cert
    ),
    lambda token, cert: http_v2_event(
        "GET /pets", headers={"Authorization": f"Bearer {token}"}, client_cert=cert
    ),
]


def block(cert: TestCertificate | None) -> dict[str, Any] | None:
    return cert.event_block() if cert is not None else None


@pytest.mark.parametrize("make_event", EVENTS, ids=["rest", "http-v2"])
def test_the_bound_certificate_is_accepted_and_any_other_refused(
    issuer: TestIssuer, make_event: Any
) -> None:
    validator = bound(issuer)
    token = issuer.mint({"cnf": CLIENT.cnf})
    identity = validator.validate(parse_event(make_event(token, block(CLIENT))))
    assert identity.claims["cnf"] == CLIENT.cnf
    for cert in (OTHER, None):  # certificate swap; the certificate left out
        assert reason_of(validator, make_event(token, block(cert))) is (
            ReasonCode.CERT_BINDING_MISMATCH
        )
    garbage = client_certificate()  # the factory's placeholder PEM is no certificate
    assert reason_of(validator, make_event(token, garbage)) is ReasonCode.CERT_BINDING_MISMATCH


def test_unbound_tokens_pass_unless_the_issuer_requires_binding(issuer: TestIssuer) -> None:
    token = issuer.mint()
    event = EVENTS[0](token, block(CLIENT))
    assert bound(issuer).validate(parse_event(event))
    strict = bound(issuer, require_for_issuers=[issuer.issuer])
    assert reason_of(strict, event) is ReasonCode.CERT_BINDING_MISMATCH
    malformed = EVENTS[0](issuer.mint({"cnf": {"x5t#S256": 7}}), block(CLIENT))
    assert reason_of(bound(issuer), malformed) is ReasonCode.INVALID_CLAIM


def test_the_thumbprint_is_of_the_der_certificate() -> None:
    assert certificate_thumbprint(CLIENT.pem) == CLIENT.x5t_s256
    assert certificate_thumbprint(CLIENT.pem) != certificate_thumbprint(OTHER.pem)
    with pytest.raises(ValueError):
        certificate_thumbprint(CLIENT.pem + OTHER.pem)  # a chain is not one certificate


def test_binding_is_per_request_unless_the_certificate_is_in_the_cache_key(
    issuer: TestIssuer,
) -> None:
    with pytest.raises(ConfigurationError, match="result_ttl_seconds=0"):
        Authorizer(bound(issuer), result_ttl_seconds=300)
    Authorizer(bound(issuer), result_ttl_seconds=0)
    Authorizer(bound(issuer, cert_in_cache_key=True), result_ttl_seconds=300)


def test_a_token_bound_another_way_is_refused_unless_the_inner_validator_enforces_it(
    issuer: TestIssuer,
) -> None:
    from authorizers.testing.dpop import DpopClient  # noqa: PLC0415
    from authorizers.validators.dpop import DpopValidator  # noqa: PLC0415

    dpop_bound = issuer.mint({"cnf": {"jkt": DpopClient().jkt}})
    assert reason_of(bound(issuer), EVENTS[0](dpop_bound, block(CLIENT))) is (
        ReasonCode.CERT_BINDING_MISMATCH
    )
    both = CertificateBoundValidator(DpopValidator(bound(issuer).validator, allow_bearer=True))  # type: ignore[arg-type]
    assert both.binds == {"jkt", "x5t#S256"}
    cert_bound = issuer.mint({"cnf": CLIENT.cnf})
    assert both.validate(parse_event(EVENTS[0](cert_bound, block(CLIENT))))
    assert reason_of(both, EVENTS[0](cert_bound, block(OTHER))) is ReasonCode.CERT_BINDING_MISMATCH
    assert reason_of(both, EVENTS[0](dpop_bound, block(CLIENT))) is ReasonCode.DPOP_BINDING_MISMATCH


def test_bearer_only_keeps_bound_tokens_away_from_plain_jwt_apis(issuer: TestIssuer) -> None:
    from authorizers.validators.cert_binding import bearer_only  # noqa: PLC0415

    plain = JwtValidator(
        issuer=issuer.issuer,
        audience=issuer.audience,
        keys=StaticJwks(issuer.jwks),
        clock=issuer.clock,
        checks=[bearer_only],
    )
    assert plain.verify(issuer.mint())
    for cnf in (CLIENT.cnf, {"jkt": "abc"}):
        event = EVENTS[0](issuer.mint({"cnf": cnf}), block(CLIENT))
        assert reason_of(plain, event) is ReasonCode.CERT_BINDING_MISMATCH
