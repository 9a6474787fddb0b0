"""Taking tokens back before they expire: a revocation list any JWT validator can carry.

:class:`~authorizers.revocation.check.RevocationCheck` is a custom check for
:class:`~authorizers.validators.claims.IssuerConfig` (``checks=[...]``); the stores it reads are
in :mod:`~authorizers.revocation.stores` (static, callable) and
:mod:`~authorizers.revocation.dynamodb`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "RevocationCheck": "authorizers.revocation.check",
    "RevocationStore": "authorizers.revocation.base",
    "StaticRevocations": "authorizers.revocation.stores",
    "CallableRevocations": "authorizers.revocation.stores",
    "DynamoDBRevocations": "authorizers.revocation.dynamodb",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.revocation.base import RevocationStore as RevocationStore
    from authorizers.revocation.check import RevocationCheck as RevocationCheck
    from authorizers.revocation.dynamodb import DynamoDBRevocations as DynamoDBRevocations
    from authorizers.revocation.stores import CallableRevocations as CallableRevocations
    from authorizers.revocation.stores import StaticRevocations as StaticRevocations
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
