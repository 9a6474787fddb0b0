"""DPoP-bound access tokens from a real provider (node ``oidc-provider``, its ``dPoP`` feature):
the provider binds the token to the proof key it saw at the token endpoint (``cnf.jkt``), and
DpopValidator accepts it only with proofs made by that key."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import reason_of

from authorizers._internal.event_parsing import parse_event
from authorizers.errors import ReasonCode
from authorizers.testing.dpop import DpopClient
from authorizers.testing.events import http_v2_event, request_event
from authorizers.validators.dpop import DpopValidator
from authorizers.validators.oidc import OidcValidator

HOST = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"


@pytest.fixture
def validator(oidc_provider: Any) -> DpopValidator:
    tokens = OidcValidator(
        oidc_provider.issuer,
        oidc_provider.api_audience,
        allow_http_loopback=True,
        algorithms=["RS256", "ES256"],
        token_type="at+jwt",
    )
    return DpopValidator(tokens)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_provider_bound_token_passes_with_proofs_of_its_key_only(
    oidc_provider: Any, validator: DpopValidator, alg: str
) -> None:
    client = DpopClient()
    token = oidc_provider.dpop_token(client.proof("POST", f"{oidc_provider.issuer}/token"), alg=alg)
    rest_url = f"{HOST}/prod/pets/7"
    rest = request_event("GET /pets/7", headers=client.headers("GET", rest_url, token))
    identity = validator.validate(parse_event(rest))
    assert identity.claims["cnf"] == {"jkt": client.jkt}
    http = http_v2_event("POST /pets", headers=client.headers("POST", f"{HOST}/pets", token))
    assert validator.validate(parse_event(http)).principal_id == identity.principal_id
    thief = DpopClient()
    stolen = request_event("GET /pets/7", headers=thief.headers("GET", rest_url, token))
    assert reason_of(validator, stolen) is ReasonCode.DPOP_BINDING_MISMATCH
    as_bearer = request_event("GET /pets/7", headers={"Authorization": f"Bearer {token}"})
    assert reason_of(validator, as_bearer) is ReasonCode.MALFORMED_TOKEN
    assert reason_of(DpopValidator(validator.tokens, allow_bearer=True), as_bearer) is (
        ReasonCode.DPOP_BINDING_MISMATCH
    )
