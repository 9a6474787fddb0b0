"""TestIssuer and CognitoTestIssuer: tokens checked by an independent verifier (PyJWT), keys
fetched over real HTTP from the served JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.request
from typing import Any

import jwt
import pytest

from authorizers import Authorizer, OidcValidator
from authorizers.clock import FakeClock
from authorizers.testing.assertions import call_handler
from authorizers.testing.cognito import CognitoTestIssuer
from authorizers.testing.events import token_event
from authorizers.testing.issuer import (
    DEFAULT_AUDIENCE,
    BrokenToken,
    TestIssuer,
    load_private_key,
    thumbprint,
)
from authorizers.testing.simulator import simulate

NOW = 1_700_000_000


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    def decode(part: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    header, payload, _ = token.split(".")
    return decode(header), decode(payload)


def verify(issuer: TestIssuer, token: str, **options: Any) -> dict[str, Any]:
    """Verify like a careful relying party: key by kid from the JWKS, alg bound to the key."""
    kid = jwt.get_unverified_header(token).get("kid")
    jwks = {key["kid"]: key for key in issuer.jwks["keys"]}
    if kid not in jwks:
        raise jwt.InvalidKeyError("unknown kid")
    key = jwt.PyJWK(jwks[kid])
    return jwt.decode(
        token,
        key,
        algorithms=[jwks[kid]["alg"]],
        audience=DEFAULT_AUDIENCE,
        issuer=issuer.issuer,
        **options,
    )


def http_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.mark.parametrize(
    ("key_type", "alg", "kty", "crv"),
    [
        ("RSA", None, "RSA", None),
        ("RSA", "PS256", "RSA", None),
        ("EC", None, "EC", "P-256"),
        ("EC", "ES384", "EC", "P-384"),
        ("EC", "ES512", "EC", "P-521"),
        ("OKP", None, "OKP", "Ed25519"),
    ],
)
def test_every_key_type_mints_tokens_a_jwt_library_accepts(
    key_type: str, alg: str | None, kty: str, crv: str | None
) -> None:
    issuer = TestIssuer(key_type=key_type, alg=alg, clock=FakeClock(NOW))
    jwk = issuer.jwks["keys"][0]
    assert (jwk["kty"], jwk.get("crv"), jwk["use"], jwk["kid"]) == (kty, crv, "sig", issuer.kid)
    assert "d" not in jwk  # public only
    token = issuer.mint()
    claims = verify(issuer, token, options={"verify_exp": False, "verify_iat": False})
    header, _ = segments(token)
    assert header == {"alg": issuer.alg, "kid": issuer.kid, "typ": "JWT"}
    assert claims["iss"] == "https://issuer.example.test"
    assert (claims["sub"], claims["aud"]) == ("user-1", DEFAULT_AUDIENCE)
    assert (claims["iat"], claims["exp"]) == (NOW, NOW + 3600)
    assert len(claims["jti"]) == 32


def test_claim_options_and_overrides() -> None:
    issuer = TestIssuer(clock=FakeClock(NOW))
    _, claims = segments(
        issuer.mint(
            {"tenant": "t1", "sub": "override"},
            scope=["pets:read", "pets:write"],
            audience=["a", "b"],
            expires_in=None,
            not_before=-5,
            omit=["jti"],
        )
    )
    assert claims == {
        "iss": issuer.issuer,
        "sub": "override",
        "aud": ["a", "b"],
        "iat": NOW,
        "nbf": NOW - 5,
        "scope": "pets:read pets:write",
        "tenant": "t1",
    }
    header, claims = segments(issuer.mint(audience=None, headers={"typ": "at+jwt", "kid": None}))
    assert "aud" not in claims
    assert header == {"alg": "RS256", "typ": "at+jwt"}


def test_kid_is_the_rfc7638_thumbprint_and_survives_a_pem_round_trip() -> None:
    issuer = TestIssuer(key_type="EC")
    members = {k: v for k, v in issuer.jwks["keys"][0].items() if k in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    assert issuer.kid == expected
    reloaded = TestIssuer(private_key=load_private_key(issuer.key.private_pem()))
    assert (reloaded.kid, reloaded.alg) == (issuer.kid, "ES256")
    assert thumbprint(reloaded.key.private_key) == issuer.kid


@pytest.fixture(scope="module")
def issuers() -> dict[str, TestIssuer]:
    """One issuer per key type for the whole module: key generation is the slow part."""
    return {key_type: TestIssuer(key_type=key_type) for key_type in ("RSA", "EC", "OKP")}


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (BrokenToken.WRONG_ALG, jwt.InvalidAlgorithmError),
        (BrokenToken.ALG_NONE, jwt.InvalidAlgorithmError),
        (BrokenToken.EXPIRED, jwt.ExpiredSignatureError),
        (BrokenToken.NOT_YET_VALID, jwt.ImmatureSignatureError),
        (BrokenToken.BAD_SIGNATURE, jwt.InvalidSignatureError),
        (BrokenToken.FOREIGN_KEY, jwt.InvalidSignatureError),
        (BrokenToken.HS256_WITH_PUBLIC_KEY, jwt.InvalidAlgorithmError),
        (BrokenToken.MISSING_KID, jwt.InvalidKeyError),
    ],
)
@pytest.mark.parametrize("key_type", ["RSA", "EC", "OKP"])
def test_broken_tokens_are_rejected_for_the_stated_reason(
    issuers: dict[str, TestIssuer], kind: BrokenToken, error: type[Exception], key_type: str
) -> None:
    issuer = issuers[key_type]
    token = issuer.mint_broken(kind)
    assert verify(issuer, issuer.mint())  # the same issuer's good token passes
    with pytest.raises(error):
        verify(issuer, token)


def test_broken_tokens_differ_from_a_good_one_only_where_stated() -> None:
    issuer = TestIssuer(clock=FakeClock(NOW))
    good_header, good_claims = segments(issuer.mint())
    header, claims = segments(issuer.mint_broken("alg_none"))
    assert header == {**good_header, "alg": "none"}
    assert issuer.mint_broken("alg_none").endswith(".")  # empty signature
    header, _ = segments(issuer.mint_broken(BrokenToken.MISSING_KID))
    assert header == {"alg": "RS256", "typ": "JWT"}
    header, _ = segments(issuer.mint_broken(BrokenToken.FOREIGN_KEY))
    assert header == good_header
    _, claims = segments(issuer.mint_broken(BrokenToken.EXPIRED))
    assert claims["exp"] < NOW < claims["exp"] + 120
    _, claims = segments(issuer.mint_broken(BrokenToken.NOT_YET_VALID))
    assert claims["nbf"] > NOW
    assert set(claims) - set(good_claims) == {"nbf"}


def test_hs256_token_really_is_keyed_with_the_public_key() -> None:
    """The key-confusion attack of RFC 8725 §2.1: a verifier that feeds its PEM public key to
    HMAC would accept this token - so a test using it can actually fail."""
    issuer = TestIssuer()
    token = issuer.mint_broken(BrokenToken.HS256_WITH_PUBLIC_KEY)
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(issuer.key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


def test_rotation_keeps_or_drops_the_old_key() -> None:
    issuer = TestIssuer()
    old_token, old_kid = issuer.mint(), issuer.kid
    issuer.rotate()
    assert issuer.kid != old_kid
    assert [k["kid"] for k in issuer.jwks["keys"]] == [issuer.kid, old_kid]
    assert verify(issuer, old_token) and verify(issuer, issuer.mint())
    issuer.rotate(keep_old=False)
    assert len(issuer.jwks["keys"]) == 2  # the newest retired key stays, the new one is added
    issuer = TestIssuer()
    old_token = issuer.mint()
    issuer.rotate(keep_old=False)
    with pytest.raises(jwt.InvalidKeyError):
        verify(issuer, old_token)


def test_serve_publishes_jwks_and_discovery_over_http() -> None:
    issuer = TestIssuer()
    with issuer.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert issuer.issuer == server.url
        discovery = http_json(server.discovery_url)
        assert discovery["issuer"] == server.url
        assert discovery["jwks_uri"] == server.jwks_url
        token = issuer.mint()
        client = jwt.PyJWKClient(server.jwks_url)
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token, key, algorithms=["RS256"], audience=DEFAULT_AUDIENCE, issuer=discovery["issuer"]
        )
        assert claims["iss"] == server.url
        issuer.rotate()  # republished at once
        assert [k["kid"] for k in http_json(server.jwks_url)["keys"]] == [
            k["kid"] for k in issuer.jwks["keys"]
        ]
    assert issuer.issuer == "https://issuer.example.test"


def test_invalid_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="RSA, EC or OKP"):
        TestIssuer(key_type="DSA")
    with pytest.raises(ValueError, match="does not fit"):
        TestIssuer(key_type="EC", alg="RS256")
    with pytest.raises(ValueError, match="unsupported signing algorithm"):
        TestIssuer(alg="HS256")
    with pytest.raises(ValueError, match="cannot sign"):
        TestIssuer(key_type="OKP").key.sign(b"x", "RS256")


def test_issuer_is_not_collected_as_a_test_class() -> None:
    assert TestIssuer.__test__ is False
    assert CognitoTestIssuer.__test__ is False


# --- Cognito ------------------------------------------------------------------------------


def cognito_verify(pool: CognitoTestIssuer, token: str) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in pool.jwks["keys"] if k["kid"] == kid))
    return jwt.decode(
        token, key, algorithms=["RS256"], issuer=pool.issuer, options={"verify_aud": False}
    )


def test_cognito_tokens_have_cognito_shapes() -> None:
    pool = CognitoTestIssuer("eu-west-1_AbC123", client_ids=["web", "other"])
    assert pool.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert pool.jwks_url == pool.issuer + "/.well-known/jwks.json"
    id_token = pool.id_token("bob", groups=["admins"])
    access = pool.access_token("bob", scopes=["openid", "pets/read"], client_id="other")
    m2m = pool.m2m_token()
    id_claims, access_claims, m2m_claims = (
        cognito_verify(pool, t) for t in (id_token, access, m2m)
    )
    assert {k: id_claims[k] for k in ("aud", "token_use", "cognito:username", "email")} == {
        "aud": "web",
        "token_use": "id",
        "cognito:username": "bob",
        "email": "bob@example.com",
    }
    assert id_claims["cognito:groups"] == ["admins"]
    assert id_claims["sub"] == access_claims["sub"]  # the same user
    assert "aud" not in access_claims
    assert (access_claims["client_id"], access_claims["token_use"]) == ("other", "access")
    assert (access_claims["scope"], access_claims["username"]) == ("openid pets/read", "bob")
    assert "cognito:groups" not in access_claims
    assert m2m_claims["scope"] == "https://api.example.com/read"
    assert m2m_claims["sub"] == m2m_claims["client_id"] == "web"
    assert "username" not in m2m_claims and "cognito:groups" not in m2m_claims
    headers = [jwt.get_unverified_header(t) for t in (id_token, access)]
    assert all(set(h) == {"alg", "kid"} for h in headers)  # no typ, like Cognito
    assert headers[0]["kid"] != headers[1]["kid"]  # separate ID and access keys
    assert len(pool.jwks["keys"]) == 2


def test_cognito_issuer_forms_and_regions() -> None:
    pool = CognitoTestIssuer(issuer_form="updated")
    assert pool.issuer == "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
    assert pool.issuers == (
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
        pool.issuer,
    )
    assert cognito_verify(pool, pool.access_token())["iss"] == pool.issuer
    china = CognitoTestIssuer("cn-north-1_X1")
    assert china.issuer == "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X1"
    for bad in ("Example", "us-east-1-Example"):
        with pytest.raises(ValueError, match="not a user pool id"):
            CognitoTestIssuer(bad)
    with pytest.raises(ValueError, match="issuer_form"):
        CognitoTestIssuer(issuer_form="new")


def test_cognito_broken_tokens_and_serving() -> None:
    pool = CognitoTestIssuer()
    with pytest.raises(jwt.ExpiredSignatureError):
        cognito_verify(pool, pool.id_token(broken=BrokenToken.EXPIRED))
    with pytest.raises(jwt.InvalidSignatureError):
        cognito_verify(pool, pool.m2m_token(broken="foreign_key"))
    with pool.serve() as server:
        assert http_json(server.jwks_url) == pool.jwks
        assert http_json(server.discovery_url)["issuer"] == pool.issuer
        pool.rotate()
        assert len(http_json(server.jwks_url)["keys"]) == 4


def test_served_issuer_works_with_the_frameworks_oidc_validator() -> None:
    """The point of ``serve()``: discovery, JWKS and ``iss`` line up for a real validator, and
    a rotated key is picked up (unknown kid -> refetch)."""
    issuer, monotonic = TestIssuer(), FakeClock()
    with issuer.serve() as server:
        validator = OidcValidator(
            server.url, DEFAULT_AUDIENCE, allow_http_loopback=True, monotonic=monotonic
        )
        handler = Authorizer(validator, observability=None).handler
        event = token_event("GET /pets/1", f"Bearer {issuer.mint()}")
        assert simulate(handler(event, None), event).allowed
        issuer.rotate()
        monotonic.advance(60)  # past the JWKS cache's refresh cooldown
        rotated = token_event("GET /pets/1", f"Bearer {issuer.mint()}")
        assert simulate(handler(rotated, None), rotated).allowed
        broken = token_event("GET /pets/1", f"Bearer {issuer.mint_broken('foreign_key')}")
        assert simulate(call_handler(handler, broken), broken).status == 401
