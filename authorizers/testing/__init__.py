"""The local test kit: issue tokens, build events, simulate API Gateway, replay its cache.

Names are imported lazily (module ``__getattr__``), so ``import authorizers.testing`` loads
neither ``cryptography`` nor an HTTP server until a test uses them.
"""

from __future__ import annotations

from authorizers._internal.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "TestIssuer": "authorizers.testing.issuer",
    "BrokenToken": "authorizers.testing.issuer",
    "SigningKey": "authorizers.testing.issuer",
    "CognitoTestIssuer": "authorizers.testing.cognito",
    "JwksServer": "authorizers.testing.jwks_server",
    "Fault": "authorizers.testing.jwks_server",
    "token_event": "authorizers.testing.events",
    "request_event": "authorizers.testing.events",
    "http_v1_event": "authorizers.testing.events",
    "http_v2_event": "authorizers.testing.events",
    "websocket_connect_event": "authorizers.testing.events",
    "simulate": "authorizers.testing.simulator",
    "Result": "authorizers.testing.simulator",
    "GatewayDecision": "authorizers.testing.simulator",
    "ApiKind": "authorizers.testing.simulator",
    "ConditionHandling": "authorizers.testing.simulator",
    "ActionMatching": "authorizers.testing.simulator",
    "request_arn": "authorizers.testing.simulator",
    "CacheReplay": "authorizers.testing.cache_replay",
    "ReplayStep": "authorizers.testing.cache_replay",
    "replay": "authorizers.testing.cache_replay",
    "assert_allows": "authorizers.testing.assertions",
    "assert_denies": "authorizers.testing.assertions",
    "assert_invalid": "authorizers.testing.assertions",
    "assert_unauthorized": "authorizers.testing.assertions",
    "assert_context": "authorizers.testing.assertions",
    "assert_rules_cover_template": "authorizers.testing.assertions",
    "call_handler": "authorizers.testing.assertions",
    "PolicySnapshot": "authorizers.testing.snapshots",
    "ManagedRoutes": "authorizers.testing.managed",
    "ManagedOutcome": "authorizers.testing.managed",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
