"""Adversarial cases for sender-constrained tokens (issue 18): DPoP proofs (RFC 9449) and
certificate-bound tokens (RFC 8705). Each case is one attack on a request that is otherwise
valid; it must be refused with its reason code, by the validator and through the whole handler
(a 401, never an Allow). The positive controls prove the untouched request passes."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from authorizers._internal.event_parsing import parse_event
from authorizers.authorizer import Authorizer, Outcome
from authorizers.clock import FakeClock
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.certificates import TestCa
from authorizers.testing.dpop import DpopClient
from authorizers.testing.events import client_certificate, http_v2_event, request_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.signing_keys import SigningKey, b64url, encode_jws
from authorizers.validators.cert_binding import CertificateBoundValidator
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.jwt import JwtValidator

NOW = 1_700_000_000.0
URL = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets/7"
CLOCK = FakeClock(NOW)
ISSUER = TestIssuer(clock=CLOCK)
CLIENT = DpopClient(clock=CLOCK)
ATTACKER = DpopClient(clock=CLOCK)
CA = TestCa()
CERT, OTHER_CERT = CA.issue("client-a"), CA.issue("client-b")
R = ReasonCode
BAD_PROOF = R.INVALID_DPOP_PROOF

Event = dict[str, Any]


def tokens() -> JwtValidator:
    return JwtValidator(
        issuer=ISSUER.issuer, audience=ISSUER.audience, keys=StaticJwks(ISSUER.jwks), clock=CLOCK
    )


def dpop_event(token: str, proof: str | list[str], scheme: str = "DPoP") -> Event:
    return request_event(
        "GET /pets/7", headers={"Authorization": f"{scheme} {token}", "DPoP": proof}
    )


def bound_token() -> str:
    return ISSUER.mint({"cnf": CLIENT.cnf})


def proof_with(*, sign: Callable[[bytes], bytes] | None = None, **changes: Any) -> Event:
    """A request whose proof has header/claim ``changes`` (``None`` removes one)."""
    token = bound_token()
    header, claims = CLIENT.proof_parts("GET", URL, access_token=token)
    for name, value in changes.items():
        target = header if name.startswith("h_") else claims
        key = name.removeprefix("h_")
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    signer = sign or (lambda data: CLIENT.key.sign(data, header.get("alg")))
    return dpop_event(token, encode_jws(header, claims, signer))


def hmac_signed() -> Event:
    """HS256 keyed with the proof key's public x coordinate: key confusion on the proof."""
    secret = CLIENT.jwk["x"].encode()
    return proof_with(h_alg="HS256", sign=lambda data: hmac.digest(secret, data, "sha256"))


def replayed(validator: DpopValidator) -> Event:
    event = dpop_event(token := bound_token(), CLIENT.proof("GET", URL, access_token=token))
    validator.validate(parse_event(event))  # the first use passes
    return event


def signed_by_attacker() -> Event:
    """The victim's public key in the header, the attacker's signature."""
    return proof_with(sign=lambda data: ATTACKER.key.sign(data, "ES256"))


def proof_of_attacker_for_stolen_token() -> Event:
    """A stolen token bound to the victim, with the attacker's own valid proof."""
    token = bound_token()
    return dpop_event(token, ATTACKER.proof("GET", URL, access_token=token))


def weak_rsa_proof() -> Event:
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

    weak = SigningKey(
        "dpop", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=1024)
    )
    client = DpopClient(key=weak, clock=CLOCK)
    token = ISSUER.mint({"cnf": client.cnf})
    return dpop_event(token, client.proof("GET", URL, access_token=token))


def private_jwk() -> Event:
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    assert isinstance(CLIENT.key.private_key, ec.EllipticCurvePrivateKey)
    d = CLIENT.key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return proof_with(h_jwk={**CLIENT.jwk, "d": b64url(d)})


DPOP_CASES: dict[str, tuple[Callable[[DpopValidator], Event], ReasonCode]] = {
    "control": (
        lambda v: dpop_event(t := bound_token(), CLIENT.proof("GET", URL, access_token=t)),
        R.MISSING_CREDENTIAL,
    ),
    "wrong-htm": (lambda v: proof_with(htm="POST"), BAD_PROOF),
    "htm-lowercase": (lambda v: proof_with(htm="get"), BAD_PROOF),
    "htu-other-host": (lambda v: proof_with(htu=URL.replace("a1b2c3d4e5", "attacker")), BAD_PROOF),
    "htu-other-path": (lambda v: proof_with(htu=URL + "/../8"), BAD_PROOF),
    "htu-prefix-path": (lambda v: proof_with(htu=URL.removesuffix("/7")), BAD_PROOF),
    "htu-http-scheme": (lambda v: proof_with(htu=URL.replace("https", "http")), BAD_PROOF),
    "htu-userinfo": (lambda v: proof_with(htu=URL.replace("https://", "https://a@")), BAD_PROOF),
    "htu-other-port": (lambda v: proof_with(htu=URL.replace(".com/", ".com:8443/")), BAD_PROOF),
    "htu-not-a-string": (lambda v: proof_with(htu=["x"]), BAD_PROOF),
    "htu-pathological": (lambda v: proof_with(htu="https://h/" + "%" * 5000), BAD_PROOF),
    "replayed-jti": (replayed, R.DPOP_REPLAY),
    "jti-missing": (lambda v: proof_with(jti=None), BAD_PROOF),
    "jti-too-long": (lambda v: proof_with(jti="j" * 300), BAD_PROOF),
    "stale-iat": (lambda v: proof_with(iat=int(NOW) - 3600), BAD_PROOF),
    "future-iat": (lambda v: proof_with(iat=int(NOW) + 600), BAD_PROOF),
    "iat-string": (lambda v: proof_with(iat=str(int(NOW))), BAD_PROOF),
    "iat-boolean": (lambda v: proof_with(iat=True), BAD_PROOF),
    "ath-mismatch": (lambda v: proof_with(ath=b64url(b"\x00" * 32)), BAD_PROOF),
    "ath-missing": (lambda v: proof_with(ath=None), BAD_PROOF),
    "proof-alg-none": (lambda v: proof_with(h_alg="none", sign=lambda data: b""), BAD_PROOF),
    "proof-hs256": (lambda v: hmac_signed(), BAD_PROOF),
    "proof-typ-jwt": (lambda v: proof_with(h_typ="JWT"), BAD_PROOF),
    "proof-typ-missing": (lambda v: proof_with(h_typ=None), BAD_PROOF),
    "proof-jwk-missing": (lambda v: proof_with(h_jwk=None), BAD_PROOF),
    "proof-jwk-private": (lambda v: private_jwk(), BAD_PROOF),
    "proof-jwk-symmetric": (lambda v: proof_with(h_jwk={"kty": "oct", "k": "c2VjcmV0"}), BAD_PROOF),
    "proof-rsa-1024": (lambda v: weak_rsa_proof(), BAD_PROOF),
    "proof-alg-not-the-key": (lambda v: proof_with(h_alg="ES384"), BAD_PROOF),
    "proof-signed-by-another-key": (lambda v: signed_by_attacker(), BAD_PROOF),
    "thumbprint-mismatch": (
        lambda v: proof_of_attacker_for_stolen_token(),
        R.DPOP_BINDING_MISMATCH,
    ),
    "unbound-token": (
        lambda v: dpop_event(t := ISSUER.mint(), CLIENT.proof("GET", URL, access_token=t)),
        R.DPOP_BINDING_MISMATCH,
    ),
    "bound-token-as-bearer": (
        lambda v: dpop_event(bound_token(), "x", scheme="Bearer"),
        R.MALFORMED_TOKEN,
    ),
    "two-proofs": (
        lambda v: dpop_event(
            t := bound_token(),
            [CLIENT.proof("GET", URL, access_token=t), CLIENT.proof("GET", URL, access_token=t)],
        ),
        BAD_PROOF,
    ),
    "proof-as-token": (lambda v: dpop_event(p := CLIENT.proof("GET", URL), p), BAD_PROOF),
    "proof-oversized": (lambda v: proof_with(pad="x" * 9000), BAD_PROOF),
    "proof-deep-json": (lambda v: proof_with(deep=json.loads("[" * 40 + "]" * 40)), BAD_PROOF),
}


@pytest.mark.parametrize("case", sorted(DPOP_CASES))
def test_dpop_attack_is_refused(case: str) -> None:
    validator = DpopValidator(tokens(), clock=CLOCK)
    build, reason = DPOP_CASES[case]
    event = build(validator)
    if case == "control":
        assert validator.validate(parse_event(event)).principal_id == "user-1"
        return
    with pytest.raises(Unauthorized) as caught:
        validator.validate(parse_event(event))
    assert caught.value.reason is reason, caught.value.detail
    authorizer = Authorizer(validator, result_ttl_seconds=0, observability=None)
    decision = authorizer.authorize(parse_event(event))
    assert decision.outcome is Outcome.UNAUTHORIZED
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(event)


def test_a_pathological_htu_is_checked_in_linear_time() -> None:
    validator = DpopValidator(tokens(), clock=CLOCK)
    started = time.perf_counter()
    for _ in range(20):
        with pytest.raises(Unauthorized):
            validator.validate(parse_event(proof_with(htu="https://h/" + "%a" * 2400)))
    assert time.perf_counter() - started < 5  # generous: quadratic work would take minutes


def cert_event(token: str, cert: dict[str, Any] | None, http: bool = False) -> Event:
    factory = http_v2_event if http else request_event
    return factory("GET /pets/7", headers={"Authorization": f"Bearer {token}"}, client_cert=cert)


CERT_TOKEN = ISSUER.mint({"cnf": CERT.cnf})
CERT_CASES: dict[str, tuple[Event, ReasonCode]] = {
    "certificate-swap": (cert_event(CERT_TOKEN, OTHER_CERT.event_block()), R.CERT_BINDING_MISMATCH),
    "certificate-swap-http": (
        cert_event(CERT_TOKEN, OTHER_CERT.event_block(), True),
        R.CERT_BINDING_MISMATCH,
    ),
    "no-certificate": (cert_event(CERT_TOKEN, None), R.CERT_BINDING_MISMATCH),
    "certificate-without-pem": (
        cert_event(CERT_TOKEN, {**CERT.event_block(), "clientCertPem": None}),
        R.CERT_BINDING_MISMATCH,
    ),
    "placeholder-pem": (cert_event(CERT_TOKEN, client_certificate()), R.CERT_BINDING_MISMATCH),
    "chain-in-pem": (
        cert_event(CERT_TOKEN, {**CERT.event_block(), "clientCertPem": CERT.pem + OTHER_CERT.pem}),
        R.CERT_BINDING_MISMATCH,
    ),
    "same-subject-other-key": (
        cert_event(
            CERT_TOKEN, {**OTHER_CERT.event_block(), "subjectDN": CERT.event_block()["subjectDN"]}
        ),
        R.CERT_BINDING_MISMATCH,
    ),
    "thumbprint-of-another-hash": (
        cert_event(ISSUER.mint({"cnf": {"x5t#S256": CERT.x5t_s256[:-2]}}), CERT.event_block()),
        R.CERT_BINDING_MISMATCH,
    ),
    "thumbprint-not-a-string": (
        cert_event(ISSUER.mint({"cnf": {"x5t#S256": 1}}), CERT.event_block()),
        R.INVALID_CLAIM,
    ),
    "cnf-not-an-object": (
        cert_event(ISSUER.mint({"cnf": "x"}), CERT.event_block()),
        R.CERT_BINDING_MISMATCH,
    ),
    "cnf-unknown-method": (
        cert_event(ISSUER.mint({"cnf": {"x5t": "abc"}}), CERT.event_block()),
        R.CERT_BINDING_MISMATCH,
    ),
    "dpop-bound-over-mtls": (
        cert_event(ISSUER.mint({"cnf": CLIENT.cnf}), CERT.event_block()),
        R.CERT_BINDING_MISMATCH,
    ),
    "unbound-token-required-issuer": (
        cert_event(ISSUER.mint(), CERT.event_block()),
        R.CERT_BINDING_MISMATCH,
    ),
}


@pytest.mark.parametrize("case", sorted(CERT_CASES))
def test_certificate_binding_attack_is_refused(case: str) -> None:
    validator = CertificateBoundValidator(tokens(), require_for_issuers=[ISSUER.issuer])
    assert validator.validate(parse_event(cert_event(CERT_TOKEN, CERT.event_block())))  # control
    event, reason = CERT_CASES[case]
    with pytest.raises(Unauthorized) as caught:
        validator.validate(parse_event(event))
    assert caught.value.reason is reason, caught.value.detail
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        Authorizer(validator, result_ttl_seconds=0, observability=None).handler(event)
