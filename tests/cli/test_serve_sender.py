"""``authorizers serve`` on the repository's template.yaml, as a user runs it: the DPoP sample
route with proofs over real HTTP, the RFC 6750 / RFC 9728 challenges of its gateway responses,
the metadata document, and certificate-bound tokens with ``--tls-cert/--tls-key/--truststore``
and a real mutual-TLS client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from helpers import REPO, running_cli

from authorizers.testing import TestIssuer
from authorizers.testing.certificates import TestCa
from authorizers.testing.dpop import DpopClient

AUDIENCE = "https://api.example.test"
BASE = "https://api.example.test/v1"
ORDERS = "https://RestApi.execute-api.us-east-1.amazonaws.com/prod/orders/1"
METADATA = f'resource_metadata="{BASE}/.well-known/oauth-protected-resource"'


@contextmanager
def serve(tmp_path: Path, issuer: TestIssuer, jwks_url: str, *tls: str) -> Iterator[str]:
    """The REST API's URL while ``authorizers serve`` runs (``tls``: extra options)."""
    env_file = tmp_path / "env.json"
    # no DynamoDB locally: each proof id is remembered by the (one) function instance
    function = {"JWKS_URL": jwks_url, "REPLAY_TABLE": ""}
    env_file.write_text(json.dumps({"DpopAuthorizerFunction": function}))
    arguments = ["--template", str(REPO / "template.yaml"), "--env-vars", str(env_file), *tls]
    arguments += ["--parameter-overrides", f"Issuer={issuer.issuer}", f"Audience={AUDIENCE}"]
    with running_cli("serve", "--port", "0", *arguments, f"PublicBaseUrl={BASE}") as run:
        yield run.url("RestApi")


def test_dpop_and_challenges_through_serve(tmp_path: Path) -> None:
    issuer = TestIssuer(audience=AUDIENCE)
    client = DpopClient()
    with issuer.serve() as keys, serve(tmp_path, issuer, keys.jwks_url) as api:
        served_issuer, token = issuer.issuer, issuer.mint({"cnf": client.cnf})
        headers = client.headers("GET", ORDERS, token)
        allowed = requests.get(f"{api}/orders/1", headers=headers, timeout=10)
        replayed = requests.get(f"{api}/orders/1", headers=headers, timeout=10)
        other_route = client.headers("GET", ORDERS, token)
        moved = requests.get(f"{api}/orders/2", headers=other_route, timeout=10)
        anonymous = requests.get(f"{api}/orders/1", timeout=10)
        metadata = requests.get(f"{api}/.well-known/oauth-protected-resource", timeout=10)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["principalId"] == "user-1"
    for refused in (replayed, moved, anonymous):
        assert refused.status_code == 401
        challenge = refused.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="authorizers", error="invalid_token"')
        assert METADATA in challenge and 'DPoP realm="authorizers"' in challenge
    assert metadata.status_code == 200
    assert metadata.json()["resource"] == BASE
    assert metadata.json()["authorization_servers"] == [served_issuer]


def test_certificate_bound_tokens_through_serve_with_mutual_tls(tmp_path: Path) -> None:
    ca = TestCa()
    truststore, _ = ca.write(tmp_path, "ca")
    cert, key = ca.issue("localhost", server_names=("127.0.0.1",)).write(tmp_path, "server")
    client, thief = ca.issue("client-a"), ca.issue("client-b")
    issuer = TestIssuer(audience=AUDIENCE)
    tls = ("--tls-cert", str(cert), "--tls-key", str(key), "--truststore", str(truststore))
    with issuer.serve() as keys, serve(tmp_path, issuer, keys.jwks_url, *tls) as api:
        assert api.startswith("https://127.0.0.1:")
        headers = {"Authorization": f"Bearer {issuer.mint({'cnf': client.cnf})}"}
        options = {"headers": headers, "verify": str(truststore), "timeout": 10}
        allowed = requests.get(f"{api}/orders/1", cert=client.write(tmp_path, "a"), **options)
        swapped = requests.get(f"{api}/orders/1", cert=thief.write(tmp_path, "b"), **options)
    assert allowed.status_code == 200, allowed.text
    assert swapped.status_code == 401
    assert METADATA in swapped.headers["WWW-Authenticate"]
