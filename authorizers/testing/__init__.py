"""The local test kit: issue tokens, build events, simulate API Gateway, replay its cache.

Names are imported lazily (module ``__getattr__``), so ``import authorizers.testing`` loads
neither ``cryptography`` nor an HTTP server until a test uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
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
    "LambdaContext": "authorizers.testing.lambda_context",
    "ManagedRoutes": "authorizers.testing.managed",
    "ManagedOutcome": "authorizers.testing.managed",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.testing.assertions import assert_allows as assert_allows
    from authorizers.testing.assertions import assert_context as assert_context
    from authorizers.testing.assertions import assert_denies as assert_denies
    from authorizers.testing.assertions import assert_invalid as assert_invalid
    from authorizers.testing.assertions import (
        assert_rules_cover_template as assert_rules_cover_template,
    )
    from authorizers.testing.assertions import assert_unauthorized as assert_unauthorized
    from authorizers.testing.assertions import call_handler as call_handler
    from authorizers.testing.cache_replay import CacheReplay as CacheReplay
    from authorizers.testing.cache_replay import ReplayStep as ReplayStep
    from authorizers.testing.cache_replay import replay as replay
    from authorizers.testing.cognito import CognitoTestIssuer as CognitoTestIssuer
    from authorizers.testing.events import http_v1_event as http_v1_event
    from authorizers.testing.events import http_v2_event as http_v2_event
    from authorizers.testing.events import request_event as request_event
    from authorizers.testing.events import token_event as token_event
    from authorizers.testing.events import websocket_connect_event as websocket_connect_event
    from authorizers.testing.issuer import BrokenToken as BrokenToken
    from authorizers.testing.issuer import SigningKey as SigningKey
    from authorizers.testing.issuer import TestIssuer as TestIssuer
    from authorizers.testing.jwks_server import Fault as Fault
    from authorizers.testing.jwks_server import JwksServer as JwksServer
    from authorizers.testing.lambda_context import LambdaContext as LambdaContext
    from authorizers.testing.managed import ManagedOutcome as ManagedOutcome
    from authorizers.testing.managed import ManagedRoutes as ManagedRoutes
    from authorizers.testing.simulator import ActionMatching as ActionMatching
    from authorizers.testing.simulator import ApiKind as ApiKind
    from authorizers.testing.simulator import ConditionHandling as ConditionHandling
    from authorizers.testing.simulator import GatewayDecision as GatewayDecision
    from authorizers.testing.simulator import Result as Result
    from authorizers.testing.simulator import request_arn as request_arn
    from authorizers.testing.simulator import simulate as simulate
    from authorizers.testing.snapshots import PolicySnapshot as PolicySnapshot
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
