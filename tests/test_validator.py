"""AnyOf and AllOf (authorizers/validator.py): which error surfaces when every alternative
fails, what AllOf's merged identity holds, and when a composition is per request."""

from __future__ import annotations

import pytest

from authorizers.errors import (
    AuthorizerError,
    ConfigurationError,
    Forbidden,
    InfrastructureError,
    ReasonCode,
    Unauthorized,
)
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.request import AuthRequest
from authorizers.testing.events import request_event
from authorizers.validator import AllOf, AnyOf

REQUEST = parse_event(request_event("GET /pets", headers={"authorization": "Bearer x"}))


class Answers:
    """A validator that returns ``identity`` or raises ``error``, and counts its calls."""

    def __init__(
        self, name: str, *, identity: Identity | None = None, error: Exception | None = None
    ):
        self.name = name
        self.identity = identity
        self.error = error
        self.calls = 0

    def validate(self, request: AuthRequest) -> Identity:
        self.calls += 1
        if self.error is not None:
            raise self.error
        assert self.identity is not None
        return self.identity


MISSING = Unauthorized(ReasonCode.MISSING_CREDENTIAL)
EXPIRED = Unauthorized(ReasonCode.EXPIRED)
REFUSED = Forbidden(ReasonCode.FORBIDDEN)
DOWN = InfrastructureError(ReasonCode.KEY_UNAVAILABLE)


@pytest.mark.parametrize(
    ("errors", "surfaced"),
    [
        ([MISSING, EXPIRED], EXPIRED),  # a present-but-bad credential beats an absent one
        ([EXPIRED, MISSING], EXPIRED),
        ([MISSING, MISSING], MISSING),
        ([EXPIRED, REFUSED], REFUSED),  # a refused valid identity beats a bad credential
        ([REFUSED, DOWN, EXPIRED], DOWN),  # a fault beats everything: fail closed, no 401
        ([DOWN, REFUSED], DOWN),
    ],
)
def test_any_of_surfaces_the_most_telling_error(
    errors: list[AuthorizerError], surfaced: AuthorizerError
) -> None:
    validators = [Answers(f"v{index}", error=error) for index, error in enumerate(errors)]
    with pytest.raises(AuthorizerError) as raised:
        AnyOf(*validators).validate(REQUEST)
    assert raised.value is surfaced
    assert [v.calls for v in validators] == [1] * len(validators)  # every alternative tried


def test_any_of_returns_the_first_success_and_asks_no_further() -> None:
    first = Answers("jwt", error=EXPIRED)
    second = Answers("api_key", identity=Identity("machine", "api_key"))
    third = Answers("never", identity=Identity("other", "never"))
    assert AnyOf(first, second, third).validate(REQUEST).principal_id == "machine"
    assert third.calls == 0


def test_all_of_merges_in_order_and_stops_at_the_first_failure() -> None:
    person = Identity("alice", "jwt", scopes=frozenset({"read"}), claims={"sub": "alice"})
    client = Identity("client-1", "mtls", scopes=frozenset({"write"}), claims={"sub": "c"})
    merged = AllOf(Answers("jwt", identity=person), Answers("mtls", identity=client)).validate(
        REQUEST
    )
    assert merged.principal_id == "alice"  # the earlier identity wins conflicts
    assert merged.claims["sub"] == "alice"
    assert merged.scopes == {"read", "write"}
    last = Answers("never", identity=client)
    with pytest.raises(Unauthorized):
        AllOf(Answers("jwt", identity=person), Answers("bad", error=EXPIRED), last).validate(
            REQUEST
        )
    assert last.calls == 0


def test_a_composition_needs_a_validator_and_is_per_request_if_any_child_is() -> None:
    with pytest.raises(ConfigurationError):
        AnyOf()
    with pytest.raises(ConfigurationError):
        AllOf()
    plain = Answers("plain", identity=Identity("p", "plain"))
    signed = Answers("signed", identity=Identity("s", "signed"))
    signed.per_request = True  # type: ignore[attr-defined]
    assert AnyOf(plain, signed).per_request is True
    assert AllOf(plain).per_request is False
    assert AnyOf(AllOf(plain, signed)).per_request is True
