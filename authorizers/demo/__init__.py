"""``make demo`` / ``authorizers demo`` / ``python -m authorizers.demo``: every answer API
Gateway can give an authorizer's caller, over real HTTP on 127.0.0.1.

The demo's API (``template.yaml`` and ``configs/`` here: package data, so an installed copy
runs it too) is served by the local gateway, with local stand-ins for what it needs from AWS:
a Cognito-shaped user pool and a plain JWT issuer whose keys are served on 127.0.0.1. No AWS
account, no network beyond loopback. Names load lazily: the backend function imports this
package without the gateway.
"""

from __future__ import annotations

from authorizers._internal.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Call": "authorizers.demo.stack",
    "Demo": "authorizers.demo.stack",
    "main": "authorizers.demo.stack",
    "TEMPLATE": "authorizers.demo.stack",
    "Row": "authorizers.demo.outcomes",
    "explain": "authorizers.demo.outcomes",
    "table": "authorizers.demo.outcomes",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
