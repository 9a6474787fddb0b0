"""Empty or wrongly typed requirements are configuration errors naming the field (issue 14.2).

An empty value must never come to mean "anything": a ``one_of`` given as a string used to
become a character set, an ``equals`` filled from an empty environment variable accepted an
empty header, and issuer-level ``scopes_any=[]`` was silently dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jwks_support import jwks, public_jwk

from authorizers.config import build_authorizer, load_config
from authorizers.errors import ConfigurationError
from authorizers.jwks.sources import StaticJwks
from authorizers.requirements import (
    claim_contains,
    claim_equals,
    groups_all,
    groups_any,
    header_equals_claim,
    scopes_all,
    scopes_any,
)
from authorizers.validators.cognito import CognitoValidator
from authorizers.validators.jwt import IssuerConfig
from authorizers.validators.request_params import ClientCertRule, ParamRule, ValueMatch

KEYS = StaticJwks(jwks(public_jwk("RSA", "k")))
ISSUER = {"issuer": "https://i.example", "keys": KEYS, "audience": "api"}
POOL = "us-east-1_Abc123"


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"one_of": "acme"}, "one_of"),  # a string is not a collection of allowed values
        ({"one_of": []}, "one_of"),
        ({"one_of": ["acme", ""]}, "one_of"),
        ({"one_of": ["acme", 7]}, "one_of"),
        ({"equals": ""}, "equals"),
        ({"equals": 7}, "equals"),
        ({"regex": ""}, "regex"),
    ],
)
def test_param_rule_conditions_must_not_be_empty(conditions: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        ParamRule.header("x-tenant", **conditions)


def test_value_match_and_cert_rules_refuse_empties_too() -> None:
    with pytest.raises(ConfigurationError, match="one_of"):
        ValueMatch(one_of=frozenset({""}))
    with pytest.raises(ConfigurationError, match="serial_numbers"):
        ClientCertRule(serial_numbers=frozenset({""}))


@pytest.mark.parametrize(
    "setting",
    [
        {"scopes_any": []},
        {"scopes_all": []},
        {"groups_any": [], "groups_claim": "groups"},
        {"groups_all": [""], "groups_claim": "groups"},
        {"scopes_any": ""},
        {"scopes_any": [7]},
        {"scopes_all": {"read": 1}},
        {"claims_contain": {"roles": []}},
        {"claims_contain": {"roles": ""}},
        {"claims_contain": {}},
        {"claims_contain": {"": ["a"]}},
        {"claims_equal": {}},
        {"required_claims": [""]},
        {"token_type": []},
        {"principal_claim": ""},
        {"audience": [""]},
        {"client_ids": ["app", ""]},
        {"groups_claim": ""},
    ],
    ids=json.dumps,
)
def test_issuer_requirements_must_not_be_empty(setting: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(setting))):
        IssuerConfig(**{**ISSUER, **setting})


@pytest.mark.parametrize("setting", ["scopes_any", "scopes_all", "groups_any", "groups_all"])
def test_cognito_requirements_must_not_be_empty(setting: str) -> None:
    with pytest.raises(ConfigurationError, match=setting):
        CognitoValidator(POOL, "client", **{setting: []})


def test_requirement_names_must_not_be_empty() -> None:
    for build in (
        lambda: claim_equals("", "x"),
        lambda: claim_contains("", "x"),
        lambda: claim_contains("roles", ""),
        lambda: header_equals_claim("", "tenant"),
        lambda: header_equals_claim("x-tenant", ""),
    ):
        with pytest.raises(ConfigurationError):
            build()


def _request_document(rule: dict[str, Any]) -> str:
    return json.dumps({"validators": [{"type": "request", "rules": [rule]}]})


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"source": "header", "name": "x-tenant", "equals": "${S}"}, "equals"),
        ({"source": "header", "name": "x-tenant", "regex": "${S}"}, "regex"),
        ({"source": "header", "name": "x-tenant", "one_of": ["${S}"]}, "one_of"),
        ({"source": "header", "name": "x-tenant", "one_of": "acme"}, "one_of"),
        ({"source": "header", "name": "x-tenant", "one_of": []}, "one_of"),
    ],
)
def test_config_rules_filled_with_empty_values_are_refused(
    rule: dict[str, Any], field: str
) -> None:
    environ = {"AUTHORIZER_CONFIG": _request_document(rule), "S": ""}
    document, _ = load_config(environ)
    with pytest.raises(ConfigurationError, match=f"rules\\[0\\].*{field}") as raised:
        build_authorizer(document, environ=environ)
    assert "not set" not in str(raised.value)


@pytest.mark.parametrize(
    "setting",
    [
        {"scopes_any": []},
        {"groups_any": []},
        {"claims_contain": {"roles": []}},
        {"claims_contain": {}},
        {"claims_equal": {}},
        {"required_claims": []},
        {"scopes_all": ""},
    ],
    ids=json.dumps,
)
def test_config_issuer_requirements_must_not_be_empty(setting: dict[str, Any]) -> None:
    issuer = {"issuer": "https://i.example", "jwks_url": "https://i.example/j", "audience": "a"}
    document = {"validators": [{"type": "jwt", "issuers": [{**issuer, **setting}]}]}
    with pytest.raises(ConfigurationError, match=next(iter(setting))):
        build_authorizer(document)


# -- several scopes in one string, and lists (issue 16) -----------------------------------------


@pytest.mark.parametrize("build", [scopes_any, scopes_all])
def test_a_space_separated_scope_string_is_refused(build: Any) -> None:
    with pytest.raises(ConfigurationError, match="separate scopes"):
        build("read write")
    with pytest.raises(ConfigurationError, match="separate scopes"):
        build(["read", "write\tdelete"])


@pytest.mark.parametrize("setting", ["scopes_any", "scopes_all"])
def test_issuer_scopes_are_single_scopes_too(setting: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{setting}.*separate scopes"):
        IssuerConfig(**{**ISSUER, setting: "read write"})
    with pytest.raises(ConfigurationError, match="separate scopes"):
        CognitoValidator(POOL, "app", keys=KEYS, **{setting: "read write"})


@pytest.mark.parametrize("build", [scopes_any, scopes_all, groups_any, groups_all])
def test_requirements_take_lists(build: Any) -> None:
    assert build(["a", "b"]) is build("a", "b")  # one requirement, however it is spelt
    assert build(("a",), "b") is build("a", "b")
    for empty in ([], [""], ["a", 7]):
        with pytest.raises(ConfigurationError):
            build(empty)


def test_group_names_may_hold_spaces() -> None:
    assert "Sales Team" in groups_any("Sales Team").description


ISSUER_JSON = {"issuer": "https://i.example", "jwks_url": "https://i.example/j", "audience": "a"}


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (
            {
                "validators": [{"type": "jwt", "issuers": [{**ISSUER_JSON, "scopes_any": "a b"}]}],
            },
            "validators[0]",
        ),
        (
            {
                "validators": [{"type": "jwt", "issuers": [ISSUER_JSON]}],
                "routes": [{"allow": "GET /x", "requires": {"scopes_all": ["a b"]}}],
            },
            "routes[0].requires",
        ),
    ],
)
def test_configuration_refuses_a_space_separated_scope(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ConfigurationError, match="separate scopes") as raised:
        build_authorizer(document)
    assert str(raised.value).startswith(path), raised.value
