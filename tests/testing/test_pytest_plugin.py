"""The pytest plugin, as a user's test suite sees it (pytester runs a real inner pytest that
loads the plugin through its ``pytest11`` entry point)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

USER_TESTS = """
import jwt
import urllib.request, json
from authorizers.testing import TestIssuer, CognitoTestIssuer

API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"


def test_issuer_fixture(test_issuer):
    assert isinstance(test_issuer, TestIssuer)
    token = test_issuer.mint()
    key = jwt.PyJWK(test_issuer.jwks["keys"][0])
    assert jwt.decode(token, key, audience="https://api.example.test")["sub"] == "user-1"


def test_cognito_fixture(cognito_issuer):
    assert isinstance(cognito_issuer, CognitoTestIssuer)
    assert cognito_issuer.issuer.endswith("/us-east-1_Example")


def test_served_jwks(served_jwks, test_issuer):
    assert test_issuer.issuer == served_jwks.url
    with urllib.request.urlopen(served_jwks.jwks_url, timeout=5) as response:
        assert json.load(response) == test_issuer.jwks


def test_events_fixture(events):
    event = events.token_event("GET /pets/1", "abc")
    assert event["type"] == "TOKEN" and event["authorizationToken"] == "abc"


def test_simulate_fixture(simulate):
    allow = {"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": API + "/GET/*"}]}}
    assert simulate(allow, "GET /pets").allowed
    assert simulate(allow, "POST /pets").status == 403
"""

SNAPSHOT_TEST = """
API = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"
RESOURCE = API + "/GET/pets/*"


def test_admin_policy(policy_snapshot):
    policy_snapshot({"principalId": "u", "policyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": RESOURCE}]}})
"""


def test_fixtures_are_available_to_user_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-W", "error::pytest.PytestCollectionWarning"
    )
    result.assert_outcomes(passed=5)
    assert "cannot collect" not in result.stdout.str()  # TestIssuer is not a test class


def test_policy_snapshots_are_created_compared_and_updated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_policies=SNAPSHOT_TEST)
    missing = pytester.runpytest("-p", "no:cacheprovider")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*no policy snapshot test_admin_policy.json yet*"])

    pytester.runpytest("-p", "no:cacheprovider", "--update-policy-snapshots").assert_outcomes(
        passed=1
    )
    stored = pytester.path / "__snapshots__" / "test_policies" / "test_admin_policy.json"
    assert '"principalId": "u"' in stored.read_text()
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    pytester.makepyfile(test_policies=SNAPSHOT_TEST.replace("/GET/pets/*", "/*"))
    changed = pytester.runpytest("-p", "no:cacheprovider")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(
        ["*policy differs from test_admin_policy.json*", '*+*"*/prod/[*]"*']
    )


def test_option_is_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--update-policy-snapshots*"])


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    """Every pytest run of every project with ``authorizers`` installed loads the plugin."""
    code = (
        "import sys, authorizers.testing.pytest_plugin;"
        "print(sorted(m for m in ('cryptography', 'jwt', 'http.server', 'requests', 'boto3')"
        " if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
