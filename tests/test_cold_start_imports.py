"""What a default cold start imports: a fresh interpreter builds the default REST TOKEN
authorizer (JWT, keys from a JWKS URL on a real local server, default observability) and makes
its first authorization. The packages that would cost it the most - and that the default does
not need - must stay out: requests (the default fetcher is the standard library's), Powertools
(an opt-in observer), PyJWT (a test oracle), boto3 (key stores only), the EC and EdDSA
backends (an RS256 issuer never needs them), logging (nothing to report) and the IDNA codec
(an ASCII host name needs no encoding), and the route table with its policy compiler (the
default rules allow every route).
"""

from __future__ import annotations

import json
import os

from helpers import run_isolated

from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.testing.jwks_server import JwksServer

FIRST_AUTHORIZATION = """
import json, os, sys
from authorizers import Authorizer, JwtValidator
authorizer = Authorizer(JwtValidator(
    issuer=os.environ["ISSUER"], audience=os.environ["AUDIENCE"],
    jwks_url=os.environ["JWKS_URL"], allow_http_loopback=True,
))
sys.stdout = open(os.devnull, "w")  # the decision log line
response = authorizer.handler(json.loads(os.environ["EVENT"]), None)
sys.stdout = sys.__stdout__
print(json.dumps({"effect": response["policyDocument"]["Statement"][0]["Effect"],
                  "modules": sorted(sys.modules)}))
"""
#: Module name prefixes a default cold start must not import.
KEPT_OUT = (
    "requests",
    "urllib3",
    "charset_normalizer",
    "certifi",
    "aws_lambda_powertools",
    "jwt",
    "boto3",
    "botocore",
    "cryptography.hazmat.primitives.asymmetric.ec",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "cryptography.hazmat.primitives.asymmetric.ed448",
    "cryptography.hazmat.backends",
    "logging",
    "encodings.idna",
    "stringprep",
    "unicodedata",
    "authorizers.rules._access",
    "authorizers.rules._policy",
    "authorizers.rules._patterns",
    "authorizers.rules._selection",
    "authorizers.requirements",
    "authorizers.testing",
    "authorizers.local",
    "authorizers.cli",
)


def test_a_default_cold_start_keeps_the_heavy_packages_out() -> None:
    issuer = TestIssuer(alg="RS256")
    event = token_event("GET /v1/customers/8f3a2b10/orders", f"Bearer {issuer.mint()}")
    with JwksServer(issuer.jwks) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env |= {
            "ISSUER": issuer.issuer,
            "AUDIENCE": str(issuer.audience),
            "JWKS_URL": server.jwks_url,
            "EVENT": json.dumps(event),
        }
        done = run_isolated(FIRST_AUTHORIZATION, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["effect"] == "Allow"
    modules = result["modules"]
    assert "http.client" in modules, "the first authorization did fetch the JWKS"
    imported = sorted(m for m in modules if m.startswith(KEPT_OUT))
    assert imported == []


def test_an_es256_issuer_still_verifies_after_the_lazy_backends_load() -> None:
    """The other side of keeping EC out: an EC key set and token work (loaded on first use)."""
    issuer = TestIssuer(alg="ES256")
    code = (
        "import json, sys\n"
        "from authorizers import Authorizer, JwtValidator\n"
        "from authorizers.jwks.sources import StaticJwks\n"
        "jwks, iss, aud, event = (json.loads(a) for a in sys.argv[1:5])\n"
        "a = Authorizer(JwtValidator(issuer=iss, audience=aud, keys=StaticJwks(jwks),"
        " algorithms=['ES256']), observability=None)\n"
        "print(a.handler(event, None)['policyDocument']['Statement'][0]['Effect'])\n"
    )
    event = token_event("GET /v1/orders/1234abcd", f"Bearer {issuer.mint()}")
    args = [json.dumps(v) for v in (issuer.jwks, issuer.issuer, issuer.audience, event)]
    done = run_isolated(code, *args)
    assert done.stdout.strip() == "Allow", done.stderr
