"""Identity.merge (authorizers/identity.py): the earlier identity wins conflicts, sets unite,
and what each validator established stays apart for scoped requirements."""

from __future__ import annotations

from authorizers.identity import Identity


def test_merge_keeps_the_earlier_values_and_only_adds_what_is_missing() -> None:
    first = Identity(
        "alice",
        "jwt",
        claims={"sub": "alice", "email": "a@example.test"},
        scopes=frozenset({"read"}),
        groups=frozenset({"staff"}),
        issuer="https://idp.example.test",
        context={"tier": "gold"},
    )
    second = Identity(
        "client-1",
        "api_key",
        claims={"sub": "client-1", "plan": "pro"},
        scopes=frozenset({"write"}),
        groups=frozenset({"partners"}),
        issuer="https://other.example.test",
        context={"tier": "free", "quota": 10},
        usage_identifier_key="key-1",
    )
    merged = first.merge(second)
    assert merged.principal_id == "alice"
    assert merged.validator == "jwt+api_key"
    assert dict(merged.claims) == {"sub": "alice", "email": "a@example.test", "plan": "pro"}
    assert merged.scopes == {"read", "write"}
    assert merged.groups == {"staff", "partners"}
    assert merged.issuer == "https://idp.example.test"
    assert dict(merged.context) == {"tier": "gold", "quota": 10}
    assert merged.usage_identifier_key == "key-1"  # the earlier had none


def test_merge_keeps_each_validators_part_apart() -> None:
    idp = Identity("alice", "idp", groups=frozenset({"admins"}), issuer="https://idp.test")
    cognito = Identity("alice", "cognito", groups=frozenset({"users"}), issuer="https://c.test")
    merged = idp.merge(cognito)
    assert [(p.validator, p.groups) for p in merged.provenance()] == [
        ("idp", frozenset({"admins"})),
        ("cognito", frozenset({"users"})),
    ]
    three = merged.merge(Identity("alice", "mtls"))
    assert [p.validator for p in three.provenance()] == ["idp", "cognito", "mtls"]
    assert three.validator == "idp+cognito+mtls"
