"""Cognito and OIDC take what JwtValidator takes (issue 16, "The Python API"): ``keys=``,
``fetcher=``, a JWKS ``snapshot_file``, the wall and the monotonic clock - and their options are
typed keyword arguments, so a misspelt one fails ``mypy --strict``, not only at run time.

Keys come from memory (``StaticJwks``), a ``FakeFetcher`` that counts calls, or a snapshot file;
nothing here reaches a network.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest
from jwks_support import FakeFetcher

from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError
from authorizers.jwks.sources import KeyFetching, StaticJwks
from authorizers.testing.cognito import CognitoTestIssuer
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.cognito import CognitoValidator
from authorizers.validators.jwt import IssuerConfig, JwtValidator
from authorizers.validators.oidc import OidcValidator
from authorizers.validators.token_options import IssuerSettings, ValidatorOptions, key_fetching

NOW = 1_700_000_000.0
POOL = "eu-west-1_Options1"
CLIENT = "client-one"
AUD = "https://api.example.test"


@pytest.fixture(scope="module")
def pool() -> CognitoTestIssuer:
    return CognitoTestIssuer(POOL, (CLIENT,), clock=FakeClock(NOW))


@pytest.fixture(scope="module")
def idp() -> TestIssuer:
    return TestIssuer(issuer="https://idp.example.test", audience=AUD, clock=FakeClock(NOW))


def cold_start(jwks: Any, tmp_path: Path) -> tuple[Path, FakeFetcher]:
    """A snapshot file of ``jwks`` and a fetcher that fails any fetch (and counts it)."""
    snapshot = tmp_path / "jwks.json"
    snapshot.write_text(json.dumps(jwks))
    fetcher = FakeFetcher({})
    fetcher.error = AssertionError("a snapshot cold start must not fetch")
    return snapshot, fetcher


# -- Cognito ------------------------------------------------------------------------------------


def test_cognito_takes_keys(pool: CognitoTestIssuer) -> None:
    validator = CognitoValidator(POOL, CLIENT, keys=StaticJwks(pool.jwks), clock=FakeClock(NOW))
    assert validator.verify(pool.access_token()).issuer == pool.classic_issuer
    validator.prefetch()  # nothing to fetch


def test_cognito_keys_for_several_pools_by_pool_id(pool: CognitoTestIssuer) -> None:
    other = CognitoTestIssuer("us-east-1_Other2", ("app-2",), clock=FakeClock(NOW))
    validator = CognitoValidator(
        [POOL, "us-east-1_Other2"],
        [CLIENT, "app-2"],
        keys={POOL: StaticJwks(pool.jwks), "us-east-1_Other2": StaticJwks(other.jwks)},
        clock=FakeClock(NOW),
    )
    assert validator.verify(other.access_token()).principal_id
    assert validator.verify(pool.access_token()).principal_id
    with pytest.raises(ConfigurationError, match="several pools"):
        CognitoValidator(
            [POOL, "us-east-1_Other2"], None, verify_client_id=False, keys=StaticJwks(pool.jwks)
        )
    with pytest.raises(ConfigurationError, match="unknown pools"):
        CognitoValidator(POOL, CLIENT, keys={"us-east-1_Nope": StaticJwks(pool.jwks)})
    with pytest.raises(ConfigurationError, match="keys= or jwks_url="):
        CognitoValidator(POOL, CLIENT, keys=StaticJwks(pool.jwks), jwks_url="https://k.example")


def test_cognito_takes_a_fetcher_and_the_monotonic_clock(pool: CognitoTestIssuer) -> None:
    fetcher = FakeFetcher(pool.jwks)
    monotonic = FakeClock(5000.0)
    validator = CognitoValidator(
        POOL,
        CLIENT,
        fetcher=fetcher,
        monotonic=monotonic,
        jwks_options={"max_age": 60},
        clock=FakeClock(NOW),
    )
    assert fetcher.calls == 0  # configuring fetches nothing
    validator.verify(pool.access_token())
    validator.verify(pool.access_token(username="bob"))
    assert fetcher.calls == 1
    monotonic.advance(61)  # past the configured max-age on the injected monotonic clock
    validator.verify(pool.access_token(username="carol"))
    assert fetcher.calls == 2


def test_cognito_starts_cold_from_a_snapshot_file(pool: CognitoTestIssuer, tmp_path: Path) -> None:
    snapshot, fetcher = cold_start(pool.jwks, tmp_path)
    validator = CognitoValidator(
        POOL, CLIENT, snapshot_file=snapshot, fetcher=fetcher, clock=FakeClock(NOW)
    )
    assert validator.verify(pool.access_token()).principal_id
    assert fetcher.calls == 0
    with pytest.raises(ConfigurationError, match="JWKS file"):
        CognitoValidator(POOL, CLIENT, snapshot_file=tmp_path / "missing.json")
    with pytest.raises(ConfigurationError, match="snapshot_file"):
        CognitoValidator(POOL, CLIENT, keys=StaticJwks(pool.jwks), snapshot_file=snapshot)


# -- OIDC ---------------------------------------------------------------------------------------


def test_oidc_takes_keys_without_discovery(idp: TestIssuer) -> None:
    validator = OidcValidator(idp.issuer, AUD, keys=StaticJwks(idp.jwks), clock=FakeClock(NOW))
    validator.prefetch()
    assert validator.verify(idp.mint()).issuer == idp.issuer


def test_oidc_fetcher_serves_discovery_and_keys(idp: TestIssuer) -> None:
    class Provider(FakeFetcher):
        def fetch(self, url: str, *, timeout: float, max_bytes: int) -> bytes:
            self.doc = (
                {
                    "issuer": idp.issuer,
                    "jwks_uri": "https://idp.example.test/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
                if url.endswith("/openid-configuration")
                else idp.jwks
            )
            return super().fetch(url, timeout=timeout, max_bytes=max_bytes)

    fetcher = Provider({})
    validator = OidcValidator(idp.issuer, AUD, fetcher=fetcher, clock=FakeClock(NOW))
    assert fetcher.calls == 0
    assert validator.verify(idp.mint()).principal_id
    assert fetcher.calls == 2  # discovery, then the JWKS


def test_oidc_snapshot_cold_start_needs_the_jwks_url(idp: TestIssuer, tmp_path: Path) -> None:
    snapshot, fetcher = cold_start(idp.jwks, tmp_path)
    validator = OidcValidator(
        idp.issuer,
        AUD,
        jwks_url="https://idp.example.test/jwks-for-snapshot",
        snapshot_file=snapshot,
        fetcher=fetcher,
        clock=FakeClock(NOW),
    )
    assert validator.verify(idp.mint()).principal_id
    assert fetcher.calls == 0
    with pytest.raises(ConfigurationError, match="jwks_url"):  # discovery would fetch anyway
        OidcValidator(idp.issuer, AUD, snapshot_file=snapshot)


def test_jwt_validator_takes_the_same_fetching_options(idp: TestIssuer, tmp_path: Path) -> None:
    fetcher = FakeFetcher(idp.jwks)
    validator = JwtValidator(
        issuer=idp.issuer,
        jwks_url="https://idp.example.test/jwks-for-jwt",
        audience=AUD,
        fetcher=fetcher,
        monotonic=FakeClock(1.0),
        clock=FakeClock(NOW),
    )
    assert validator.verify(idp.mint()).principal_id
    assert fetcher.calls == 1
    snapshot, failing = cold_start(idp.jwks, tmp_path)
    cold = JwtValidator(
        issuer=idp.issuer,
        jwks_url="https://idp.example.test/jwks-for-jwt-snapshot",
        snapshot_file=snapshot,
        audience=AUD,
        fetcher=failing,
        clock=FakeClock(NOW),
    )
    assert cold.verify(idp.mint()).principal_id
    assert failing.calls == 0


# -- typed options ------------------------------------------------------------------------------


def test_profiles_forward_exactly_the_validator_options() -> None:
    """The TypedDict the profiles accept and JwtValidator's keyword parameters are one list,
    and every ``**`` parameter of the three validators is a TypedDict, never ``Any``."""
    parameters = inspect.signature(JwtValidator).parameters
    own = {name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    assert own == set(ValidatorOptions.__optional_keys__) | {"name"}
    issuer_fields = {field.name for field in dataclasses.fields(IssuerConfig)}
    assert set(IssuerSettings.__optional_keys__) == issuer_fields
    for profile in (JwtValidator, CognitoValidator, OidcValidator):
        hints = typing.get_type_hints(profile.__init__, include_extras=True)
        (rest,) = (
            p for p in inspect.signature(profile).parameters.values() if p.kind is p.VAR_KEYWORD
        )
        assert typing.get_origin(hints[rest.name]) is typing.Unpack, profile
        (options,) = typing.get_args(hints[rest.name])
        assert typing.is_typeddict(options), profile


@pytest.mark.slow  # one cold mypy run over the package: ~10 s
def test_misspelt_options_fail_type_checking(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is in the dev extra only (other Pythons get 'test')")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        textwrap.dedent(
            """
            from authorizers.validators.cognito import CognitoValidator
            from authorizers.validators.jwt import IssuerConfig, JwtValidator
            from authorizers.validators.oidc import OidcValidator
            from authorizers.validators.request_params import ParamRule

            CognitoValidator("eu-west-1_Ab1", "client", jwks_ulr="https://k.example")
            OidcValidator("https://idp.example", "api", levway=5)
            JwtValidator(issuer="https://i.example", jwks_url="https://k.example", audience=1)
            OidcValidator("https://idp.example", "api", leeway=5, fetcher=None)
            ParamRule.header("x-tenant", equal="acme")
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # not the project's mypy configuration: only what a user's would say
        env={**os.environ, "MYPYPATH": str(Path(__file__).resolve().parents[2])},
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert any(':7: error: Unexpected keyword argument "jwks_ulr"' in e for e in errors), errors
    assert any(':8: error: Unexpected keyword argument "levway"' in e for e in errors), errors
    assert any(":9: error:" in e and "audience" in e for e in errors), errors
    assert not any(":10:" in e for e in errors), errors
    assert any(':11: error: Unexpected keyword argument "equal"' in e for e in errors), errors


def test_key_fetching_takes_every_fetching_option_and_keyfetchings_defaults_otherwise() -> None:
    clock = FakeClock()
    fetcher = FakeFetcher({})
    given = key_fetching(
        {"fetcher": fetcher, "monotonic": clock, "timeout": 1.5, "jwks_options": {"max_age": 60}}
    )
    assert given == KeyFetching(fetcher, clock, 1.5, {"max_age": 60})
    assert key_fetching({"cache_size": 3}) == KeyFetching()
