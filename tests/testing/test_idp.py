"""``authorizers idp``: a local OpenID provider on 127.0.0.1 whose minted tokens the real
validators accept (discovery and JWKS over real HTTP), and ``mint``'s presets and key safety."""

from __future__ import annotations

import json

import jwt
import pytest
import requests
from helpers import REPO, running_cli

from authorizers import CognitoValidator, OidcValidator
from authorizers.cli import main
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.testing import JwksServer
from authorizers.testing.idp import LocalIdp

AUDIENCE = "https://api.example.test"
POOL = "eu-west-1_Local0001"


def test_an_oidc_validator_accepts_what_the_local_idp_mints():
    with LocalIdp(audience=AUDIENCE) as idp:
        query = {"sub": "alice", "scope": "pets/read pets/write", "groups": "admins"}
        response = requests.get(idp.mint_url, params=query, timeout=5)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        validator = OidcValidator(
            idp.url, AUDIENCE, allow_http_loopback=True, groups_claim="groups"
        )
        identity = validator.verify(response.text.strip())
        assert (identity.principal_id, identity.issuer) == ("alice", idp.iss)
    assert identity.scopes == {"pets/read", "pets/write"}
    assert identity.groups == {"admins"}


def test_the_cognito_mode_mints_id_and_access_tokens_of_the_pool():
    with LocalIdp(user_pool_id=POOL, client_ids=["app1"]) as idp:
        validator = CognitoValidator(
            POOL, ["app1"], token_use="both", jwks_url=idp.jwks_url, allow_http_loopback=True
        )
        tokens = {
            use: requests.get(
                idp.mint_url, params={"token_use": use, "sub": "bob", "groups": "admins"}, timeout=5
            ).text.strip()
            for use in ("id", "access")
        }
        identities = {use: validator.verify(token) for use, token in tokens.items()}
        discovery = requests.get(idp.url + "/.well-known/openid-configuration", timeout=5).json()
    assert idp.iss == f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    assert discovery["issuer"] == idp.iss  # what the tokens carry, not the local URL
    for use, identity in identities.items():
        assert identity.groups == {"admins"}
        assert identity.claims["token_use"] == use
    assert identities["access"].claims["username"] == "bob"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"subject": "x"}, "unknown parameter 'subject'"),
        ({"expires_in": "forever"}, "expires_in must be whole seconds"),
        ({"expires_in": "99999999"}, "expires_in must be whole seconds"),
        ({"claims": "[1]"}, "claims must be a JSON object"),
        ({"broken": "nope"}, "broken must be one of"),
        ({"token_use": "access"}, "unknown parameter 'token_use'"),  # not a Cognito IdP
    ],
)
def test_a_bad_mint_request_is_a_400_saying_why(query, message):
    with LocalIdp() as idp:
        response = requests.get(idp.mint_url, params=query, timeout=5)
    assert response.status_code == 400
    assert message in response.text


def test_a_broken_token_from_the_idp_is_refused_for_its_reason():
    with LocalIdp(audience=AUDIENCE) as idp:
        token = requests.get(idp.mint_url, params={"broken": "expired"}, timeout=5).text
        with pytest.raises(Unauthorized) as refused:
            OidcValidator(idp.url, AUDIENCE, allow_http_loopback=True).verify(token.strip())
    assert refused.value.reason is ReasonCode.EXPIRED


def test_the_idp_command_and_mint_issuer_url(tmp_path, capsys):
    with running_cli("idp", "--port", "0") as run:
        url = run.banner[0].split()[-1]
        assert f"{url}/.well-known/jwks.json" in "".join(run.banner)
        code = main(["mint", "--issuer-url", url, "--subject", "carol", "--scope", "reports"])
        token = capsys.readouterr().out.strip()
        identity = OidcValidator(url, AUDIENCE, allow_http_loopback=True).verify(token)
    assert code == 0
    assert (identity.principal_id, identity.scopes) == ("carol", {"reports"})


def test_mint_issuer_url_errors_are_one_line(capsys):
    assert main(["mint", "--issuer-url", "https://idp.example.com"]) == 2
    assert "must be a local IdP" in capsys.readouterr().err
    with LocalIdp() as idp:
        url = idp.url
        assert main(["mint", "--issuer-url", url, "--save-key", "k.pem"]) == 2
        assert "holds the key" in capsys.readouterr().err
        assert main(["mint", "--issuer-url", url, "--claims", '{"a": 1}', "--token-use", "id"]) == 2
        assert "refused: unknown parameter 'token_use'" in capsys.readouterr().err
    assert main(["mint", "--issuer-url", url]) == 2  # stopped: nobody answers
    err = capsys.readouterr().err
    assert "no IdP at" in err and "authorizers idp" in err and "Traceback" not in err


def test_mint_cognito_preset_verifies_against_its_jwks(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["mint", "--cognito", POOL, "--client-id", "app1", "--subject", "dave"]
    assert main([*args, "--group", "admins", "--scope", "pets/read", "--jwks-out", "j.json"]) == 0
    token = capsys.readouterr().out.strip()
    assert main([*args, "--token-use", "id", "--jwks-out", "i.json"]) == 0
    id_token = capsys.readouterr().out.strip()
    with JwksServer(json.loads((tmp_path / "j.json").read_text())) as keys:
        access = CognitoValidator(POOL, ["app1"], jwks_url=keys.jwks_url, allow_http_loopback=True)
        identity = access.verify(token)
    assert identity.groups == {"admins"} and identity.scopes == {"pets/read"}
    assert identity.claims["username"] == "dave" and "aud" not in identity.claims
    id_claims = jwt.decode(id_token, options={"verify_signature": False})
    assert (id_claims["token_use"], id_claims["aud"]) == ("id", "app1")
    assert main(["mint", "--cognito", "not-a-pool"]) == 2
    assert "not a user pool id" in capsys.readouterr().err


def test_mint_save_key_never_replaces_a_key_without_force(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["mint", "--save-key", "key.pem"]) == 0
    first = (tmp_path / "key.pem").read_bytes()
    capsys.readouterr()
    assert main(["mint", "--save-key", "key.pem"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "key.pem exists: pass --force" in err
    assert (tmp_path / "key.pem").read_bytes() == first
    assert main(["mint", "--save-key", "key.pem", "--force"]) == 0
    assert (tmp_path / "key.pem").read_bytes() != first


def test_serve_issuer_runs_a_template_against_tokens_minted_locally(tmp_path):
    import socket  # noqa: PLC0415

    with socket.socket() as probe:  # a free port for the IdP, known before the template loads
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}"
    arguments = [
        "--template", str(REPO / "template.yaml"), "--issuer", "--issuer-port", str(port),
        "--parameter-overrides", f"Issuer={issuer}", f"Audience={AUDIENCE}",
        f"JwksUrl={issuer}/.well-known/jwks.json",
    ]  # fmt: skip
    with running_cli("serve", "--port", "0", *arguments) as run:
        assert any(f"issuer (iss):  {issuer}" in line for line in run.banner)
        api = run.url("HttpApi")
        token = requests.get(f"{issuer}/mint", params={"sub": "erin"}, timeout=5).text.strip()
        allowed = requests.get(
            api + "/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["context"]["user"] == "erin"
