"""The adversarial corpus: ``corpus/*.json``, one file per category, loaded into :class:`Case`.

Each case names its expected outcome - ``"allow"`` (the positive controls) or the reason code
of the 401 - for the validator (``expect``) and, where the HTTP layer legitimately differs
(surrounding whitespace is not part of a header value), for the handler (``expect_handler``).
``pyjwt`` is ``"same"`` when PyJWT with equivalent settings must agree, or the name of an
intended difference listed and justified in docs/security.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authorizers.errors import ReasonCode

CORPUS = Path(__file__).parent / "corpus"
ALLOW = "allow"
PROFILES = frozenset({"jwt", "cognito_access", "cognito_id"})
#: Intended differences from PyJWT; each is a section of docs/security.md.
DIFFERENCES = frozenset(
    {
        "strict-encoding",
        "strict-json",
        "duplicate-members",
        "bounded-nesting",
        "size-cap",
        "strict-header",
        "typed-claims",
        "principal-required",
        "profile-rules",
        "bounded-dates",
        "weak-keys",
    }
)
_RECIPE_KEYS = frozenset(
    {
        "key",
        "header",
        "raw_header",
        "claims",
        "raw_claims",
        "payload_codec",
        "header_encoding",
        "payload_encoding",
        "signature",
        "sign_as",
        "tamper",
        "transforms",
    }
)
_CASE_KEYS = frozenset({"id", "about", "expect", "expect_handler", "profile", "pyjwt"})


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    about: str
    expect: str
    expect_handler: str
    profile: str
    pyjwt: str
    recipe: Mapping[str, Any] = field(repr=False)

    @property
    def allowed(self) -> bool:
        return self.expect == ALLOW


def _outcome(value: Any, where: str) -> str:
    if value != ALLOW and value not in set(ReasonCode):
        raise ValueError(f"{where}: {value!r} is neither 'allow' nor a reason code")
    return str(value)


def _case(category: str, entry: Mapping[str, Any]) -> Case:
    where = f"{category}/{entry.get('id')}"
    unknown = set(entry) - _CASE_KEYS - _RECIPE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
    expect = _outcome(entry["expect"], where)
    profile = entry.get("profile", "jwt")
    pyjwt = entry.get("pyjwt", "same")
    if profile not in PROFILES or (pyjwt != "same" and pyjwt not in DIFFERENCES):
        raise ValueError(f"{where}: unknown profile or PyJWT difference")
    return Case(
        id=entry["id"],
        category=category,
        about=entry["about"],
        expect=expect,
        expect_handler=_outcome(entry.get("expect_handler", expect), where),
        profile=profile,
        pyjwt=pyjwt,
        recipe={name: value for name, value in entry.items() if name in _RECIPE_KEYS},
    )


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CORPUS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        cases += [_case(path.stem, entry) for entry in document["cases"]]
    ids = [case.id for case in cases]
    duplicates = {case_id for case_id in ids if ids.count(case_id) > 1}
    if duplicates:
        raise ValueError(f"duplicate case ids: {sorted(duplicates)}")
    return cases


CASES = load_cases()
