"""The adversarial corpus (``corpus/*.json``): every case through the validator and through the
whole handler (REST TOKEN and HTTP API simple responses), with the outcome the case states.

A false accept - an Allow for a case that expects a 401 - fails here, and so does a 401 with
the wrong reason code (dashboards and alarms key on them). The trap server behind every
``jku``/``x5u`` header must never be contacted.
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

import pytest

from authorizers.errors import ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.testing.jwks_server import JwksServer

from .cases import ALLOW, CASES, Case
from .conftest import trap_untouched
from .runner import EVENTS, Corpus, check_handler, verify

#: Attacks the corpus must cover (issue 10); each id is a case of ``corpus/*.json``.
REQUIRED = (  # noqa: SIM905 - one id per word reads better than 44 lines
    "alg-none alg-None alg-nOnE hs256-pem hs256-jwk rs256-ec-kid-ec-signature "
    "ps256-over-rs256-jwk kid-missing kid-path-traversal kid-sql-or kid-10k-chars "
    "jku-attacker-kid x5u-attacker-kid jwk-embedded-attacker-kid x5c-attacker-kid "
    "crit-unknown b64-false jwe-five-parts json-flattened trailing-dot space-inside "
    "padded-signature standard-alphabet noncanonical-signature dup-sub payload-array "
    "token-1mb nesting-5000 exp-numeric-string exp-float exp-true exp-huge-int "
    "nbf-future iat-future aud-list-match aud-list-no-match iss-trailing-slash "
    "iss-lookalike-cyrillic iss-untrusted signature-stripped foreign-key-same-kid "
    "cognito-id-as-access cognito-access-as-id scope-list"
).split()


def test_the_corpus_is_large_and_covers_every_required_attack() -> None:
    ids = {case.id for case in CASES}
    assert len(CASES) >= 150
    assert not [case_id for case_id in REQUIRED if case_id not in ids]
    per_category = Counter(case.category for case in CASES)
    assert min(per_category.values()) >= 20, per_category
    assert sum(case.allowed for case in CASES) >= 20  # positive controls keep the rest honest


@pytest.mark.parametrize("case", CASES, ids=attrgetter("id"))
def test_case(case: Case, corpus: Corpus, trap: JwksServer) -> None:
    token = corpus.token(case)
    profile = corpus.profiles[case.profile]
    verdict = verify(profile.validator(), token)
    if case.expect == ALLOW:
        assert isinstance(verdict, Identity), f"expected allow, got {verdict}"
    else:
        assert isinstance(verdict, Unauthorized), f"expected {case.expect}, got {verdict!r}"
        assert verdict.reason == ReasonCode(case.expect), str(verdict)
        assert token[-12:] not in str(verdict) or len(token) < 24  # details never quote it
    for kind in EVENTS:
        check_handler(profile.validator(), token, case.expect_handler, kind)
    assert trap_untouched(trap), "a token header made the validator fetch from the trap"
