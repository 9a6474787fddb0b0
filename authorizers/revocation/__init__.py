"""Taking tokens back before they expire: a revocation list any JWT validator can carry.

:class:`~authorizers.revocation.check.RevocationCheck` is a custom check for
:class:`~authorizers.validators.claims.IssuerConfig` (``checks=[...]``); the stores it reads are
in :mod:`~authorizers.revocation.stores` (static, callable) and
:mod:`~authorizers.revocation.dynamodb`.
"""
