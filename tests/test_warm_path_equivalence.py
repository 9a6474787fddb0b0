"""The warm path's shortcuts against the plain code they replace, on random and hostile input.

The decision log line masks credentials in the route in one loop (parts longer than the route
skipped) instead of ``masked(route, secret_parts(values))``; TOKEN events build their
``AuthRequest`` without the dataclass ``__init__``. Each must give exactly what the plain
version gives, whatever the input (credentials embedded in the path, parts of every length,
repeated parts, parts that are substrings of each other).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authorizers._frozen_build import builder
from authorizers.arn import ApiArn
from authorizers.errors import Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.jwks import StaticJwks
from authorizers.observability import _route, masked, secret_parts
from authorizers.request import AuthRequest, RequestKind
from authorizers.testing.events import token_event
from authorizers.testing.issuer import TestIssuer
from authorizers.validators.claims import (
    IssuerConfig,
    IssuerRules,
    context_value,
    groups_of,
    scopes_of,
)
from authorizers.validators.jwt import identity_from_claims

_B64 = string.ascii_letters + string.digits + "-_"
_segment = st.text(_B64, min_size=1, max_size=40)
_credential = st.one_of(
    st.lists(_segment, min_size=1, max_size=4).map(".".join),
    st.builds(lambda s: f"Bearer {s}", st.lists(_segment, min_size=1, max_size=4).map(".".join)),
    st.text(_B64 + " ,.", max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(credential=_credential, prefix=st.text(_B64 + "/", max_size=20), data=st.data())
def test_the_logged_route_is_masked_exactly_as_the_plain_composition_masks_it(
    credential: str, prefix: str, data: st.DataObject
) -> None:
    # Put some of the credential's own parts (or all of it) into the path, as a client that
    # sends its token in the URL does.
    pieces = credential.replace(",", " ").replace(".", " ").split() or ["x"]
    inside = data.draw(st.lists(st.sampled_from([*pieces, credential.strip() or "y"]), max_size=3))
    path = "/".join(p for p in (prefix, *inside) if p).replace(" ", "") or "a"
    event = token_event(f"GET /{path}", credential or "t")
    request = parse_event(event)
    expected = str(request.arn)
    if len(request.arn.resource) >= 8:
        expected = masked(expected, secret_parts((request.token,)))
    assert _route(request) == expected


def test_a_token_in_the_path_is_masked_and_a_short_path_is_left_alone() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl"
    request = parse_event(token_event(f"GET /v1/{token}/items", f"Bearer {token}"))
    route = _route(request)
    assert token.partition(".")[0] not in route and "c2lnbmF0dXJlLXZhbHVl" not in route
    assert route.endswith("/GET/v1/[redacted].[redacted].[redacted]/items")
    short = parse_event(token_event("GET /a", f"Bearer {token}"))
    assert _route(short) == short.raw_event["methodArn"]


@settings(max_examples=200, deadline=None)
@given(
    path=st.text(_B64 + "/{}+.$%~", min_size=0, max_size=40),
    token=st.text(string.printable, max_size=30),
    verb=st.sampled_from(["GET", "POST", "DELETE", "*"]),
)
def test_a_token_request_built_without_init_equals_the_one_init_builds(
    path: str, token: str, verb: str
) -> None:
    arn_text = f"arn:aws:execute-api:us-east-1:123456789012:abc123/prod/{verb}/{path}"
    event = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn_text}
    arn = ApiArn.parse(event["methodArn"])
    plain = AuthRequest(
        kind=RequestKind.REST_TOKEN,
        arn=arn,
        token=token,
        method=arn.verb,
        path=arn.path,
        raw_event=event,
    )
    built = parse_event(event)
    assert type(built) is AuthRequest
    assert built == plain
    assert all(getattr(built, f.name) == getattr(plain, f.name) for f in fields(AuthRequest))
    assert repr(built) == repr(plain)


def test_the_builder_sets_every_field_and_the_result_stays_frozen() -> None:
    build = builder(Identity)
    identity = build(principal_id="alice", validator="jwt")
    assert identity == Identity("alice", "jwt")
    try:
        identity.principal_id = "mallory"  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("a built instance must stay frozen")
    assert identity.principal_id == "alice"


def test_auth_request_has_no_post_init_the_builder_would_skip() -> None:
    # The builder skips __post_init__: a check added to AuthRequest later must not be
    # bypassed silently on the TOKEN path.
    assert not hasattr(AuthRequest, "__post_init__")


_ISSUER = TestIssuer()
_claim_value = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=3),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    principal=st.text(max_size=8),
    scope=_claim_value,
    groups=_claim_value,
    department=_claim_value,
)
def test_a_token_identity_built_without_init_equals_the_one_init_builds(
    principal: str, scope: Any, groups: Any, department: Any
) -> None:
    # identity_from_claims builds every new token's Identity without __init__: it must check
    # what __post_init__ checks (a non-empty string principal) and give the same value.
    keys = StaticJwks(_ISSUER.jwks)
    config = IssuerConfig(
        issuer=_ISSUER.issuer,
        keys=keys,
        audience="api",
        groups_claim="groups",
        context_claims={"department": "dept"},
    )
    issuer = IssuerRules.compile(config, keys)
    claims = {"sub": principal, "scope": scope, "groups": groups, "department": department}
    try:
        plain: Identity | Exception = Identity(
            principal,
            "jwt",
            MappingProxyType(claims),
            scopes_of(claims),
            groups_of(claims, "groups"),
            issuer.issuer,
            MappingProxyType(
                {"dept": value} if (value := context_value(department)) is not None else {}
            ),
        )
    except (ValueError, Unauthorized) as error:
        plain = error
    try:
        built: Identity | Exception = identity_from_claims("jwt", issuer, claims)
    except (ValueError, Unauthorized) as error:
        built = error
    if isinstance(plain, Exception):  # what __post_init__ (or reading the claims) refuses
        assert isinstance(built, Unauthorized)
        return
    assert type(built) is Identity
    assert built == plain
    assert all(getattr(built, f.name) == getattr(plain, f.name) for f in fields(Identity))


def test_the_builder_is_keyword_only_requires_what_init_requires_and_reserves_its_names() -> None:
    build = builder(Identity)
    with pytest.raises(TypeError):
        build("alice", "jwt")  # keywords only: no positional mix-ups
    with pytest.raises(TypeError):
        build(principal_id="alice")  # validator has no default
    assert build(principal_id="a", validator="v", scopes=frozenset({"s"})) == Identity(
        "a", "v", scopes=frozenset({"s"})
    )

    @dataclass(frozen=True, slots=True)
    class Clash:
        _b_new: int

    with pytest.raises(TypeError, match="reserves"):
        builder(Clash)
