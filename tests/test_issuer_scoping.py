"""Groups and scopes are tied to who issued them (issue 14.1).

With ``AnyOf(generic IdP, Cognito)``, a token of the generic IdP carrying ``groups: ["admins"]``
used to reach a route requiring the Cognito group ``admins``. Now a generic issuer has no
groups unless its groups claim is named, and a requirement can be scoped to a validator or an
issuer - also across ``AllOf``, whose merged identity keeps each validator's part apart.
"""

from __future__ import annotations

from typing import Any

import pytest
from docs_blocks import doc_example

from authorizers import AccessRules, Authorizer, allow_route
from authorizers.config import build_authorizer
from authorizers.config._access import build_requirement
from authorizers.config._fields import Fields
from authorizers.errors import ConfigurationError, ReasonCode
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.jwks.sources import StaticJwks
from authorizers.requirements import from_issuer, from_validator, groups_any, scopes_any
from authorizers.testing import TestIssuer, token_event
from authorizers.testing.events import request_event
from authorizers.validator import AllOf, AnyOf
from authorizers.validators.jwt import IssuerConfig, JwtValidator

NOW = 1_767_225_600.0
AUTH0 = TestIssuer("https://tenant.auth0.example/", clock=lambda: NOW)
POOL = TestIssuer(
    "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1", audience=None, clock=lambda: NOW
)


def auth0(**settings: Any) -> JwtValidator:
    return JwtValidator(
        issuer=AUTH0.issuer,
        keys=StaticJwks(AUTH0.jwks),
        audience=AUTH0.audience,
        name="auth0",
        clock=lambda: NOW,
        **settings,
    )


def cognito() -> JwtValidator:  # the Cognito profile's settings, without a JWKS fetch
    return JwtValidator(
        issuer=POOL.issuer,
        keys=StaticJwks(POOL.jwks),
        verify_audience=False,
        groups_claim="cognito:groups",
        name="cognito",
        clock=lambda: NOW,
    )


def test_a_generic_issuer_reads_no_groups_unless_its_groups_claim_is_named() -> None:
    token = AUTH0.mint({"groups": ["admins"]})
    assert auth0().verify(token).groups == frozenset()
    assert auth0(groups_claim="groups").verify(token).groups == {"admins"}


def test_groups_requirements_of_a_generic_issuer_need_the_groups_claim_named() -> None:
    with pytest.raises(ConfigurationError, match="groups_claim"):
        IssuerConfig(AUTH0.issuer, keys=StaticJwks(AUTH0.jwks), audience="a", groups_any="x")


def _authorizer(requirement: Any, *validators: Any) -> Authorizer:
    return Authorizer(
        AnyOf(*validators), rules=AccessRules(allow_route("GET", "/admin", requirement))
    )


def _decide(authorizer: Authorizer, token: str) -> tuple[str, ReasonCode | None]:
    decision = authorizer.authorize(parse_event(token_event("GET /admin", f"Bearer {token}")))
    return decision.outcome.value, decision.reason


@pytest.mark.parametrize(
    "requirement",
    [
        groups_any("admins", validator="cognito"),
        groups_any("admins", issuer=POOL.issuer),
        from_validator("cognito") & groups_any("admins"),
        groups_any("admins") & from_issuer(POOL.issuer),
    ],
    ids=["validator=", "issuer=", "from_validator &", "& from_issuer"],
)
def test_another_idps_admins_group_does_not_meet_a_scoped_requirement(requirement: Any) -> None:
    # even when the other IdP's groups claim is read, its "admins" is not Cognito's "admins"
    authorizer = _authorizer(requirement, auth0(groups_claim="groups"), cognito())
    assert _decide(authorizer, AUTH0.mint({"groups": ["admins"]})) == (
        "deny",
        ReasonCode.FORBIDDEN,
    )
    assert _decide(authorizer, POOL.mint({"cognito:groups": ["admins"]}))[0] == "allow"
    assert _decide(authorizer, POOL.mint({"cognito:groups": ["staff"]})) == (
        "deny",
        ReasonCode.INSUFFICIENT_GROUP,
    )


def test_unscoped_groups_no_longer_cross_issuers_by_default() -> None:
    authorizer = _authorizer(groups_any("admins"), auth0(), cognito())
    assert _decide(authorizer, AUTH0.mint({"groups": ["admins"]}))[0] == "deny"
    assert _decide(authorizer, POOL.mint({"cognito:groups": ["admins"]}))[0] == "allow"


def test_all_of_keeps_each_validators_scopes_apart() -> None:
    first = Identity("p", "auth0", {"sub": "p"}, frozenset({"read"}), frozenset({"admins"}), "A")
    second = Identity("p", "cognito", {"sub": "q"}, frozenset({"write"}), frozenset(), "C")
    merged = first.merge(second)
    assert merged.groups == {"admins"}  # the union, as before
    only_cognito = merged.established_by(validator="cognito")
    assert only_cognito is not None
    assert (only_cognito.groups, only_cognito.scopes) == (frozenset(), {"write"})
    assert only_cognito.claims["sub"] == "q"
    assert merged.established_by(issuer="A") is not None
    assert merged.established_by(validator="api_key") is None
    request: Any = None
    assert groups_any("admins", validator="cognito").unmet(merged, request) is (
        ReasonCode.INSUFFICIENT_GROUP
    )
    assert groups_any("admins", validator="auth0").unmet(merged, request) is None
    assert scopes_any("write", issuer="C").unmet(merged, request) is None
    assert from_validator("api_key").__and__(scopes_any("read")).unmet(merged, request) is (
        ReasonCode.FORBIDDEN
    )


def test_all_of_end_to_end_a_scoped_group_reads_only_its_validators_token() -> None:
    staff = JwtValidator(
        issuer=POOL.issuer,
        keys=StaticJwks(POOL.jwks),
        verify_audience=False,
        groups_claim="cognito:groups",
        header="x-staff-token",
        name="cognito",
        clock=lambda: NOW,
    )
    both = AllOf(auth0(groups_claim="groups"), staff)
    headers = {
        "Authorization": f"Bearer {AUTH0.mint({'groups': ['admins']})}",
        "x-staff-token": POOL.mint({"cognito:groups": ["staff"]}),
    }
    event = request_event("GET /admin", headers=headers)

    def decide(requirement: Any) -> tuple[str, ReasonCode | None]:
        rules = AccessRules(allow_route("GET", "/admin", requirement))
        decision = Authorizer(both, rules=rules, result_ttl_seconds=0).authorize(parse_event(event))
        return decision.outcome.value, decision.reason

    assert decide(groups_any("admins"))[0] == "allow"  # the union: auth0's admins counts
    assert decide(groups_any("admins", validator="cognito")) == (
        "deny",
        ReasonCode.INSUFFICIENT_GROUP,
    )
    assert decide(groups_any("staff", validator="cognito"))[0] == "allow"


def test_a_scope_needs_a_name() -> None:
    with pytest.raises(ConfigurationError):
        from_validator("")
    with pytest.raises(ConfigurationError):
        groups_any("admins", issuer="")


def _document(requires: dict[str, Any]) -> dict[str, Any]:
    issuers = [
        {
            "issuer": AUTH0.issuer,
            "jwks": AUTH0.jwks,
            "audience": AUTH0.audience,
            "groups_claim": "groups",
        },
    ]
    pool = {
        "issuer": POOL.issuer,
        "jwks": POOL.jwks,
        "verify_audience": False,
        "groups_claim": "cognito:groups",
    }
    return {
        "validators": [
            {"type": "jwt", "name": "auth0", "issuers": issuers},
            {"type": "jwt", "name": "cognito", "issuers": [pool]},
        ],
        "combine": "any_of",
        "routes": [{"allow": "GET /admin", "requires": requires}],
    }


@pytest.mark.parametrize(
    "requires",
    [
        {"validator": "cognito", "groups_any": ["admins"]},
        {"issuer": POOL.issuer, "groups_any": "admins"},
        {"any_of": [{"validator": "cognito", "groups_any": ["admins"]}, {"scopes_any": "never"}]},
    ],
)
def test_the_json_config_scopes_requirements_too(requires: dict[str, Any]) -> None:
    authorizer = build_authorizer(_document(requires), clock=lambda: NOW)
    assert _decide(authorizer, AUTH0.mint({"groups": ["admins"]}))[0] == "deny"
    assert _decide(authorizer, POOL.mint({"cognito:groups": ["admins"]}))[0] == "allow"


def test_the_json_config_scope_alone_requires_that_validator() -> None:
    authorizer = build_authorizer(_document({"validator": "cognito"}), clock=lambda: NOW)
    assert _decide(authorizer, AUTH0.mint())[0] == "deny"
    assert _decide(authorizer, POOL.mint())[0] == "allow"


def test_the_documented_several_issuers_example_builds_and_scopes_admins() -> None:
    document = doc_example("several-issuers", "recipes.md")
    document["validators"][1] |= {"user_pool_ids": "us-east-1_Docs1", "client_ids": "client"}
    build_authorizer(document, clock=lambda: NOW)  # discovery is lazy: nothing fetched
    requires = document["routes"][1]["requires"]
    requirement = build_requirement(Fields(requires, "routes[1].requires"))
    partners_admin = Identity("p", "partners", {}, frozenset(), frozenset({"admins"}), "x")
    staff_admin = Identity("s", "staff", {}, frozenset(), frozenset({"admins"}), "y")
    staff_user = Identity("s", "staff", {}, frozenset(), frozenset({"users"}), "y")
    request: Any = None
    assert requirement.unmet(partners_admin, request) is ReasonCode.FORBIDDEN
    assert requirement.unmet(staff_admin, request) is None
    assert requirement.unmet(staff_user, request) is ReasonCode.INSUFFICIENT_GROUP
