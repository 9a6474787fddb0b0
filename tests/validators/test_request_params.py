"""RequestValidator: parameter rules, source IP, mTLS certificate, principal, every event kind."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from helpers import reason_of
from hypothesis import given
from hypothesis import strategies as st

from authorizers.clock import FakeClock
from authorizers.errors import ConfigurationError, MalformedEvent, ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.request import AuthRequest, MultiMap
from authorizers.testing.events import client_certificate, request_event
from authorizers.validator import AllOf
from authorizers.validators.request_params import (
    ClientCertRule,
    ParamRule,
    ParamSource,
    RequestValidator,
    ValueMatch,
)

EVENTS = Path(__file__).parents[1] / "events"
SHARED_SECRET = "hdr-secret-6c1f0b2d9e8a7c3b"
CERT = client_certificate(
    serial_number="A1:B2:C3:D4",
    not_before="May 28 12:30:02 2019 GMT",
    not_after="Aug  5 09:36:04 2031 GMT",
)
IN_VALIDITY = 1_700_000_000.0  # 2023-11-14


def cert_with(**changes: str | None) -> dict[str, Any]:
    """CERT with some fields replaced (``notBefore``/``notAfter`` live under ``validity``)."""
    cert = CERT | {k: v for k, v in changes.items() if k not in ("notBefore", "notAfter")}
    validity = CERT["validity"] | {k: changes[k] for k in ("notBefore", "notAfter") if k in changes}
    return cert | {"validity": validity}


def request(
    *,
    headers: Mapping[str, str | tuple[str, ...]] | None = None,
    query: Mapping[str, str] | None = None,
    path: Mapping[str, str] | None = None,
    stage: Mapping[str, str] | None = None,
    source_ip: str | None = "203.0.113.10",
    cert: Mapping[str, Any] | None = None,
) -> AuthRequest:
    event = request_event(
        "GET /pets/{petId}" if path else "GET /pets",
        headers=headers,
        query=query,
        path_parameters=path or None,
        stage_variables=stage,
        source_ip=source_ip,  # type: ignore[arg-type]  # None: an event without one
        client_cert=cert,
    )
    return parse_event(event)


def load_event(name: str) -> AuthRequest:
    return parse_event(json.loads((EVENTS / name).read_text()))


def single(values: MultiMap) -> list[str]:
    """Names sent with one value (a name sent twice is ambiguous by design)."""
    return [name for name in values if len(values.get_all(name)) == 1]


# --- parameter rules -------------------------------------------------------------------------


def test_rules_over_every_source_pass_and_each_failure_has_its_reason() -> None:
    validator = RequestValidator(
        [
            ParamRule.header("X-Tenant", one_of=["acme", "globex"]),
            ParamRule.query("version", regex=r"v[12]"),
            ParamRule.path("petId", regex=r"[0-9a-f]{4}"),
            ParamRule.stage("environment", equals="prod"),
            ParamRule.header("x-debug", equals="off", required=False),
        ]
    )
    good: dict[str, Any] = {
        "headers": {"x-tenant": "acme"},
        "query": {"version": "v2"},
        "path": {"petId": "a1b2"},
        "stage": {"environment": "prod"},
    }
    assert validator.validate(request(**good)).principal_id == "anonymous"
    assert validator.validate(
        request(**good | {"headers": {"x-tenant": "globex", "x-debug": "off"}})
    )
    mismatches = [
        {"headers": {"x-tenant": "initech"}},
        {"headers": {"x-tenant": "acme", "x-debug": "on"}},
        {"query": {"version": "v12"}},
        {"query": {"version": "v1-evil"}},  # fullmatch, not search
        {"path": {"petId": "A1B2"}},
        {"stage": {"environment": "prod "}},
    ]
    for change in mismatches:
        assert reason_of(validator, request(**good | change)) is (
            ReasonCode.REQUEST_PARAMETER_MISMATCH
        ), change
    for missing in ("headers", "query", "path", "stage"):
        assert reason_of(validator, request(**good | {missing: {}})) is (
            ReasonCode.MISSING_CREDENTIAL
        ), missing
    conflicting = good | {"headers": {"x-tenant": ("acme", "globex")}}
    assert reason_of(validator, request(**conflicting)) is ReasonCode.AMBIGUOUS_CREDENTIAL


def test_values_are_compared_whole_and_never_appear_in_errors_or_logs(
    register_secret: Callable[..., object], caplog: pytest.LogCaptureFixture
) -> None:
    register_secret(SHARED_SECRET, "shared header secret")
    caplog.set_level(logging.DEBUG)
    validator = RequestValidator([ParamRule.header("x-internal", equals=SHARED_SECRET)])
    assert validator.validate(request(headers={"x-internal": SHARED_SECRET}))
    for wrong in (SHARED_SECRET[:-1], SHARED_SECRET + "x", SHARED_SECRET.upper()):
        with pytest.raises(Unauthorized) as caught:
            validator.validate(request(headers={"x-internal": wrong}))
        assert caught.value.reason is ReasonCode.REQUEST_PARAMETER_MISMATCH
        assert SHARED_SECRET[:8] not in str(caught.value) and wrong not in str(caught.value)
        assert "x-internal" in caught.value.detail
    assert SHARED_SECRET[:8] not in caplog.text


def test_all_conditions_of_a_match_must_hold() -> None:
    match = ValueMatch(equals="ab", one_of=frozenset({"ab", "cd"}), regex="[a-z]+")
    assert match.matches("ab")
    assert not match.matches("cd")  # one_of holds, equals does not
    assert ValueMatch().presence_only and ValueMatch().matches("anything")


# --- source IP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("10.1.2.3", None),
        ("10.66.0.1", ReasonCode.SOURCE_IP_DENIED),  # deny wins over the allowing /8
        ("192.0.2.1", ReasonCode.SOURCE_IP_DENIED),  # not in the allow list
        ("2001:db8::1", None),
        ("2001:db8:bad::1", ReasonCode.SOURCE_IP_DENIED),
        ("::ffff:10.66.0.1", ReasonCode.SOURCE_IP_DENIED),  # mapped IPv4 cannot dodge a deny
        ("::ffff:10.1.2.3", None),
        ("not-an-ip", ReasonCode.SOURCE_IP_DENIED),
        (None, ReasonCode.MISSING_CREDENTIAL),
        ("", ReasonCode.MISSING_CREDENTIAL),
    ],
)
def test_source_ip_allow_and_deny(ip: str | None, reason: ReasonCode | None) -> None:
    validator = RequestValidator(
        allow_cidrs=["10.0.0.0/8", "2001:db8::/32"],
        deny_cidrs=["10.66.0.0/16", "2001:db8:bad::/48"],
    )
    if reason is None:
        assert validator.validate(request(source_ip=ip)).principal_id == "anonymous"
    else:
        assert reason_of(validator, request(source_ip=ip)) is reason


def test_deny_list_alone_allows_everything_else() -> None:
    validator = RequestValidator(deny_cidrs=["198.51.100.0/24"])
    assert validator.validate(request(source_ip="203.0.113.1"))
    assert reason_of(validator, request(source_ip="198.51.100.7")) is ReasonCode.SOURCE_IP_DENIED


# --- mTLS client certificate -----------------------------------------------------------------


def cert_validator(clock: FakeClock, **rule: Any) -> RequestValidator:
    return RequestValidator(client_cert=ClientCertRule(**rule), clock=clock)


def test_client_certificate_fields_and_validity_window() -> None:
    clock = FakeClock(IN_VALIDITY)
    validator = cert_validator(
        clock,
        subject_dn=ValueMatch(regex=r"CN=[a-z.]+\.example\.com,O=Example Corp,C=US"),
        issuer_dn=ValueMatch(equals="CN=Example Private CA,O=Example Corp,C=US"),
        serial_numbers={"a1b2c3d4", "ff:ee"},
    )
    assert validator.validate(request(cert=CERT))
    rejected = [
        cert_with(subjectDN="CN=evil.example.org,O=X,C=US"),
        cert_with(issuerDN="CN=Other CA"),
        cert_with(serialNumber="a1:b2:c3:d5"),
        cert_with(serialNumber=None),
        cert_with(notAfter="yesterday"),
        cert_with(notBefore=None),
    ]
    for cert in rejected:
        assert reason_of(validator, request(cert=cert)) is ReasonCode.CLIENT_CERT_REJECTED
    assert reason_of(validator, request(cert=None)) is ReasonCode.MISSING_CREDENTIAL
    clock.now = 1_943_688_965.0  # 2031-08-05 09:36:05 UTC: one second after notAfter
    assert reason_of(validator, request(cert=CERT)) is ReasonCode.CLIENT_CERT_REJECTED
    clock.now = 1_943_688_964.0  # exactly notAfter
    assert validator.validate(request(cert=CERT))
    clock.now = 1_559_046_601.0  # one second before notBefore
    assert reason_of(validator, request(cert=CERT)) is ReasonCode.CLIENT_CERT_REJECTED


def test_validity_accepts_iso_dates_and_can_be_turned_off() -> None:
    iso = cert_with(notBefore="2020-01-01T00:00:00Z", notAfter="2030-01-01T00:00:00+00:00")
    assert cert_validator(FakeClock(IN_VALIDITY)).validate(request(cert=iso))
    unreadable = cert_with(notAfter="garbage")
    unchecked = cert_validator(FakeClock(IN_VALIDITY), check_validity=False)
    assert unchecked.validate(request(cert=unreadable))


# --- principal, event kinds, composition -----------------------------------------------------


def test_principal_fixed_from_a_header_or_from_the_certificate() -> None:
    rule = ParamRule.header("x-client-id", regex=r"svc-[a-z]+")
    assert (
        RequestValidator([rule], principal="batch")
        .validate(request(headers={"x-client-id": "svc-a"}))
        .principal_id
        == "batch"
    )
    by_header = RequestValidator([rule], principal_from="header:x-client-id", name="req")
    identity = by_header.validate(request(headers={"x-client-id": "svc-a"}))
    assert (identity.principal_id, identity.validator) == ("svc-a", "req")
    by_cert = RequestValidator(
        client_cert=ClientCertRule(check_validity=False), principal_from="client_cert:subject_dn"
    )
    assert by_cert.validate(request(cert=CERT)).principal_id == CERT["subjectDN"]
    by_query = RequestValidator(deny_cidrs=["192.0.2.0/24"], principal_from="query:client")
    assert reason_of(by_query, request()) is ReasonCode.MISSING_CREDENTIAL


@pytest.mark.parametrize(
    "event", ["rest_request.json", "http_v1.json", "http_v2.json", "websocket_connect.json"]
)
def test_works_for_every_request_event_kind(event: str) -> None:
    req = load_event(event)
    rules = [ParamRule.header(n.upper(), equals=req.headers[n]) for n in single(req.headers)]
    rules += [ParamRule.query(name, equals=req.query[name]) for name in single(req.query)]
    rules += [ParamRule.path(name, equals=v) for name, v in req.path_parameters.items()]
    rules += [ParamRule.stage(name, equals=v) for name, v in req.stage_variables.items()]
    assert len(rules) > 3
    assert req.source_ip
    validator = RequestValidator(rules, allow_cidrs=[f"{req.source_ip}/32"])
    assert validator.validate(req).principal_id == "anonymous"
    other = RequestValidator(rules, allow_cidrs=["100.64.0.0/10"])
    assert reason_of(other, req) is ReasonCode.SOURCE_IP_DENIED
    tampered = RequestValidator(
        [*rules[:-1], rules[-1].of(rules[-1].source, rules[-1].name, equals="?")]
    )
    assert reason_of(tampered, req) is ReasonCode.REQUEST_PARAMETER_MISMATCH
    if not req.path_parameters:  # e.g. WebSocket $connect has none
        missing = RequestValidator([ParamRule.path("petId")])
        assert reason_of(missing, req) is ReasonCode.MISSING_CREDENTIAL


def test_token_events_get_a_clear_error() -> None:
    validator = RequestValidator([ParamRule.header("x-tenant")])
    with pytest.raises(MalformedEvent, match="REQUEST authorizer"):
        validator.validate(load_event("rest_token.json"))


def test_composes_with_all_of_first_principal_wins() -> None:
    class Fixed:
        name = "fixed"

        def validate(self, request: AuthRequest) -> Any:
            return Identity(principal_id="partner-a", validator="fixed", scopes=frozenset({"s"}))

    identity = AllOf(Fixed(), RequestValidator(deny_cidrs=["192.0.2.0/24"])).validate(request())
    assert (identity.principal_id, identity.validator) == ("partner-a", "fixed+request")
    with pytest.raises(Unauthorized):
        AllOf(Fixed(), RequestValidator(deny_cidrs=["203.0.113.0/24"])).validate(request())


# --- configuration and rule parsing ----------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        RequestValidator,
        lambda: ParamRule.header("x", required=False),
        lambda: ParamRule.header("x", regex="("),
        lambda: ParamRule.header("", equals="a"),
        lambda: ParamRule.of("cookie", "x"),
        lambda: ValueMatch(one_of=frozenset()),
        lambda: RequestValidator(allow_cidrs=["10.0.0.1/8"]),  # host bits set: a typo?
        lambda: RequestValidator(allow_cidrs=["10.0.0.0/33"]),
        lambda: RequestValidator([ParamRule.header("x")], principal_from="cookie:x"),
        lambda: RequestValidator([ParamRule.header("x")], principal_from="client_cert:serial"),
        lambda: RequestValidator([ParamRule.header("x")], principal=""),
        lambda: ClientCertRule(serial_numbers="a1:b2"),  # type: ignore[arg-type]
    ],
)
def test_unsafe_configuration_is_refused_at_cold_start(build: Callable[[], object]) -> None:
    with pytest.raises((ConfigurationError, ValueError)):
        build()


def test_rule_json_form_round_trips() -> None:
    data = {
        "source": "query",
        "name": "v",
        "one_of": ["a", "b"],
        "regex": "[ab]",
        "required": False,
    }
    rule = ParamRule.from_mapping(data)
    assert rule == ParamRule.query("v", one_of=["b", "a"], regex="[ab]", required=False)
    assert rule.to_mapping() == data
    for bad in (
        {"source": "header"},
        {"source": "body", "name": "x"},
        {"source": "header", "name": "x", "one_of": "a"},
        {"source": "header", "name": "x", "equals": 1},
        {"source": "header", "name": "x", "required": "yes"},
        {"source": "header", "name": "x", "extra": 1},
        ["header", "x"],
    ):
        with pytest.raises(ConfigurationError):
            ParamRule.from_mapping(bad)  # type: ignore[arg-type]


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
values = st.text(max_size=12)
rule_mappings = st.fixed_dictionaries(
    {"source": st.sampled_from([s.value for s in ParamSource]), "name": names},
    optional={
        "equals": values,
        "one_of": st.lists(values, min_size=1, max_size=4, unique=True),
        "regex": st.sampled_from([r"[a-z]+", r"\d{1,3}", r"a|b", r".*", r"x?"]),
        "required": st.booleans(),
    },
)


@given(rule_mappings)
def test_rule_parsing_round_trips_or_refuses_with_a_configuration_error(
    data: dict[str, Any],
) -> None:
    try:
        rule = ParamRule.from_mapping(data)
    except ConfigurationError:  # checks nothing, or an empty value that would mean "anything"
        empty = data.get("equals") == "" or "" in data.get("one_of", ())
        assert empty or (
            data.get("required") is False and not {"equals", "one_of", "regex"} & set(data)
        )
        return
    expected = dict(data)
    if "one_of" in expected:
        expected["one_of"] = sorted(expected["one_of"])
    if expected.get("required") is True:
        del expected["required"]
    assert rule.to_mapping() == expected
    assert ParamRule.from_mapping(rule.to_mapping()) == rule


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.none(), st.integers(), st.text(max_size=4), st.lists(st.integers())),
        max_size=6,
    )
)
def test_arbitrary_rule_objects_parse_or_raise_configuration_error_only(
    data: dict[str, Any],
) -> None:
    with contextlib.suppress(ConfigurationError):
        ParamRule.from_mapping(data)


@given(
    st.sampled_from([r"[a-z]+", r"\d{1,3}", r"a|bc", r"x?y*", r"[A-F0-9]{2}(:[A-F0-9]{2})*"]),
    st.text(alphabet="abcxyz0123456789:AF", max_size=10),
)
def test_regex_rules_accept_exactly_what_fullmatch_accepts(pattern: str, value: str) -> None:
    validator = RequestValidator([ParamRule.header("x", regex=pattern)])
    req = request(headers={"x": value})
    if re.fullmatch(pattern, value) is not None:
        assert validator.validate(req)
    else:
        assert reason_of(validator, req) is ReasonCode.REQUEST_PARAMETER_MISMATCH
