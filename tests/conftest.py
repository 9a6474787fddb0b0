"""Shared test infrastructure: real local servers, the secret-redaction guard, test profiles.

Fixtures:

- ``register_secret(value, kind=None)``: the suite fails if ``value`` shows up in any log record
  or captured output (see ``tests/redaction.py``). Register every token, signature, API key,
  HMAC secret or private key a test uses; one line: ``token = register_secret(mint())``.
- ``moto_server`` (session): moto on 127.0.0.1 with fake credentials and region us-east-1 set
  for the whole session (restored after). ``.endpoint_url``, ``.client("cognito-idp")``,
  ``.reset()``, ``.cognito_jwks_url(pool_id)``.
- ``moto_reset`` (function): the same server with all state reset before the test, and
  ``AWS_ENDPOINT_URL`` pointing at it during the test, so code that builds its own boto3
  clients reaches moto. Only during the test: ``mock_aws()`` in other tests must not see it.
- ``oidc_provider`` (session): node ``oidc-provider`` as a real OpenID provider.
  ``.issuer``, ``.discovery_url``, ``.api_audience``, ``.token(scope, alg)``, ``.id_token(alg)``,
  ``.jwks()``, ``.restart()`` (same issuer, new keys). Tokens it issues are registered as
  secrets automatically.

Tests using the server fixtures are marked ``integration`` automatically; Hypothesis tests are
marked ``fuzz`` automatically (``make fuzz`` runs them with the "fuzz" profile).

Hypothesis profiles (``HYPOTHESIS_PROFILE``): "ci" (default; 100 examples per property, no
deadline, derandomized when ``CI`` is set) keeps ``make test`` fast; "fuzz" runs 10,000.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from redaction import RedactionGuard
from servers.environ import scoped_environ
from servers.moto import FAKE_AWS_ENV, MotoServer, start_moto_server
from servers.oidc_provider import OidcProvider, ToolMissingError, install

from authorizers.testing import JwksServer, TestIssuer

pytest_plugins = ("pytester",)

SERVER_FIXTURES = frozenset({"moto_server", "moto_reset", "oidc_provider"})
_GUARD = pytest.StashKey[RedactionGuard]()

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,  # shared 2-core CI machines make timing deadlines flaky
    derandomize=IN_CI,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: a property-based test (make fuzz runs them long)")
    guard = RedactionGuard()
    guard.start()
    config.stash[_GUARD] = guard
    config.pluginmanager.register(guard, "redaction_guard")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Counts the property tests kept (e.g. the policy compiler's under-grants)."""
    helpers = sys.modules.get("helpers")  # imported by the tests that count anything
    for topic, counts in getattr(helpers, "PROPERTY_STATS", {}).items():
        shown = ", ".join(f"{what}: {count}" for what, count in sorted(counts.items()))
        terminalreporter.write_line(f"{topic}: {shown}")


@pytest.fixture(scope="session")
def register_secret(pytestconfig: pytest.Config) -> Callable[..., str | bytes]:
    """``register_secret(value, kind=None) -> value``; usable from fixtures of any scope."""
    return pytestconfig.stash[_GUARD].register


# The built-in capture fixtures, overridden so the guard also sees the output tests read.
@pytest.fixture
def capsys(capsys: pytest.CaptureFixture[str], pytestconfig: pytest.Config) -> Any:
    return pytestconfig.stash[_GUARD].watch(capsys)


@pytest.fixture
def capfd(capfd: pytest.CaptureFixture[str], pytestconfig: pytest.Config) -> Any:
    return pytestconfig.stash[_GUARD].watch(capfd)


@pytest.fixture
def capsysbinary(capsysbinary: pytest.CaptureFixture[bytes], pytestconfig: pytest.Config) -> Any:
    return pytestconfig.stash[_GUARD].watch(capsysbinary)


@pytest.fixture
def capfdbinary(capfdbinary: pytest.CaptureFixture[bytes], pytestconfig: pytest.Config) -> Any:
    return pytestconfig.stash[_GUARD].watch(capfdbinary)


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with scoped_environ(FAKE_AWS_ENV):
        server = start_moto_server(tmp_path_factory.mktemp("moto") / "moto.log")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def moto_reset(moto_server: MotoServer) -> Iterator[MotoServer]:
    moto_server.reset()
    with scoped_environ(moto_server.environ):
        yield moto_server


@pytest.fixture(scope="session")
def oidc_provider(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[OidcProvider]:
    try:
        script = install()
    except ToolMissingError as missing:
        if IN_CI:  # CI must run every test: a missing tool is a failure there
            raise
        pytest.skip(str(missing))
    guard = pytestconfig.stash[_GUARD]
    provider = OidcProvider(
        script,
        tmp_path_factory.mktemp("oidc") / "provider.log",
        on_token=lambda token: guard.register(token, "OIDC-issued token"),
    )
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


# -- a served JWT issuer, as the docs write it (test_config.py, test_recipes.py) ---------------


@pytest.fixture(scope="session")
def login_issuer() -> TestIssuer:
    """The issuer the documented examples name (``https://login.example.com/``, audience
    ``https://api.example.com``). Shared by the session: tests must not rotate its keys."""
    return TestIssuer("https://login.example.com/", audience="https://api.example.com")


@pytest.fixture(scope="session")
def login_jwks(login_issuer: TestIssuer) -> Iterator[JwksServer]:
    """``login_issuer``'s keys on 127.0.0.1 (its issuer URL stays the documented one)."""
    with JwksServer(login_issuer.jwks) as server:
        yield server
