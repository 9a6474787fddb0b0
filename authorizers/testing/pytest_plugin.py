"""pytest plugin (registered through the ``pytest11`` entry point): the test kit as fixtures.

Loaded into every pytest run of every project that installs ``authorizers``, so importing it
must cost nothing: each fixture imports its module only when a test asks for it.
"""

from __future__ import annotations

from typing import Any

import pytest

UPDATE_SNAPSHOTS_OPTION = "--update-policy-snapshots"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authorizers")
    group.addoption(
        UPDATE_SNAPSHOTS_OPTION,
        action="store_true",
        default=False,
        help="rewrite golden policy snapshots instead of comparing against them",
    )


@pytest.fixture
def test_issuer() -> Any:
    """A fresh RSA :class:`~authorizers.testing.issuer.TestIssuer` per test."""
    from authorizers.testing.issuer import TestIssuer  # noqa: PLC0415 - keep plugin import cheap

    return TestIssuer()
