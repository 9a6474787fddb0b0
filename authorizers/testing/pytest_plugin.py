"""pytest plugin (registered through the ``pytest11`` entry point): the test kit as fixtures.

Loaded into every pytest run of every project that installs ``authorizers``, so importing it
must cost nothing: each fixture imports its module only when a test asks for it.

Fixtures: ``test_issuer``, ``cognito_issuer``, ``served_jwks``, ``events``, ``simulate``,
``policy_snapshot``. Option: ``--update-policy-snapshots``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from authorizers.testing.cognito import CognitoTestIssuer
    from authorizers.testing.issuer import TestIssuer
    from authorizers.testing.jwks_server import JwksServer
    from authorizers.testing.snapshots import PolicySnapshot

UPDATE_SNAPSHOTS_OPTION = "--update-policy-snapshots"

# The imports below are inside the fixtures on purpose (cryptography, http.server...).
# ruff: noqa: PLC0415


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authorizers")
    group.addoption(
        UPDATE_SNAPSHOTS_OPTION,
        action="store_true",
        default=False,
        help="write golden policy snapshots instead of comparing against them",
    )


@pytest.fixture
def test_issuer() -> TestIssuer:
    """A fresh RSA (RS256) :class:`~authorizers.testing.issuer.TestIssuer`."""
    from authorizers.testing.issuer import TestIssuer

    return TestIssuer()


@pytest.fixture
def cognito_issuer() -> CognitoTestIssuer:
    """A :class:`~authorizers.testing.cognito.CognitoTestIssuer` for ``us-east-1_Example``."""
    from authorizers.testing.cognito import CognitoTestIssuer

    return CognitoTestIssuer()


@pytest.fixture
def served_jwks(test_issuer: TestIssuer) -> Iterator[JwksServer]:
    """``test_issuer``'s keys and discovery document on 127.0.0.1; while it runs,
    ``test_issuer.issuer`` is the server's URL and ``rotate()`` republishes."""
    with test_issuer.serve() as server:
        yield server


@pytest.fixture
def events() -> ModuleType:
    """The event factories module (``events.token_event("GET /pets/1", token)``...)."""
    import importlib

    return importlib.import_module("authorizers.testing.events")


@pytest.fixture
def simulate() -> Callable[..., Any]:
    """:func:`authorizers.testing.simulator.simulate`."""
    from authorizers.testing.simulator import simulate as simulator

    return simulator


@pytest.fixture
def policy_snapshot(request: pytest.FixtureRequest) -> PolicySnapshot:
    """Golden snapshots in ``__snapshots__/<test module>/<test name>[-<name>].json`` next to
    the test file: ``policy_snapshot(response)`` or ``policy_snapshot(response, "admin")``."""
    from authorizers.testing.snapshots import PolicySnapshot, update_requested

    test_file = Path(request.path)
    update = bool(request.config.getoption(UPDATE_SNAPSHOTS_OPTION)) or update_requested()
    return PolicySnapshot(
        test_file.parent / "__snapshots__" / test_file.stem, request.node.name, update=update
    )
