"""Decision logs and EMF metrics: the fields, the embedded-metric format, lazy Powertools,
and no credential in any line (every line written here is captured and searched)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from authorizers import observability
from authorizers.authorizer import Authorizer
from authorizers.clock import FakeClock
from authorizers.decision import Decision, Outcome
from authorizers.errors import ReasonCode, Unauthorized
from authorizers.event_parsing import parse_event
from authorizers.identity import Identity
from authorizers.observability import (
    DECISIONS_METRIC,
    FIELDS,
    LATENCY_METRIC,
    JsonLogObserver,
    PowertoolsObserver,
    decision_fields,
)
from authorizers.request import AuthRequest
from authorizers.testing import events

CLOCK = FakeClock(1_700_000_000.25)
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
SIGNATURE = TOKEN.rsplit(".", 1)[1]


@pytest.fixture(autouse=True)
def _registered(register_secret: Callable[..., Any]) -> None:
    register_secret(TOKEN, "test JWT")


class Accepting:
    """Accepts exactly ``TOKEN`` (as the TOKEN event's value or a bearer header)."""

    name = "accepting"

    def validate(self, request: AuthRequest) -> Identity:
        if TOKEN not in (
            request.token,
            (request.header("authorization") or "").removeprefix("Bearer "),
        ):
            raise Unauthorized(ReasonCode.BAD_SIGNATURE, "signature does not verify")
        return Identity("user-1", self.name)


def decision(route: str = "GET /pets/1", token: str = TOKEN, **fields: Any) -> Decision:
    request = parse_event(events.token_event(route, token))
    return Decision(**({"outcome": Outcome.ALLOW, "validator": "jwt", "request": request} | fields))


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert SIGNATURE not in text


def assert_emf(record: dict[str, Any]) -> None:
    """The CloudWatch embedded metric format: every dimension and metric named in the
    directive is a top-level member (dimensions strings, metrics numbers)."""
    metadata = record["_aws"]
    assert isinstance(metadata["Timestamp"], int)
    for directive in metadata["CloudWatchMetrics"]:
        assert isinstance(directive["Namespace"], str)
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(record[name], str) for name in dimension_set)
        for metric in directive["Metrics"]:
            value = record[metric["Name"]]
            values = value if isinstance(value, list) else [value]
            assert all(isinstance(v, int | float) for v in values)


def test_decision_fields() -> None:
    identity = Identity("user-1", "jwt")
    fields = decision_fields(decision(identity=identity), 0.12345)
    assert fields == {
        "outcome": "allow",
        "reason": "ok",
        "detail": "",
        "validator": "jwt",
        "principal": "user-1",
        "kind": "rest_token",
        "route": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/1",
        "request_id": None,
        "latency_ms": 0.123,
    }
    refused = decision(outcome=Outcome.UNAUTHORIZED, reason=ReasonCode.EXPIRED, detail="old")
    assert decision_fields(refused, 1.0)["reason"] == "expired"
    unparsed = Decision(Outcome.ERROR, "jwt", None, ReasonCode.MALFORMED_EVENT)
    assert decision_fields(unparsed, 1.0)["route"] is None


def test_a_credential_in_the_url_is_masked_in_the_route() -> None:
    leaked = decision(route=f"GET /callback/{TOKEN}", token=f"Bearer {TOKEN}")
    route = decision_fields(leaked, 1.0)["route"]
    assert route.endswith("/GET/callback/[redacted].[redacted].[redacted]")
    signature_only = decision(route=f"GET /callback/{SIGNATURE}", token=f"Bearer {TOKEN}")
    assert decision_fields(signature_only, 1.0)["route"].endswith("/callback/[redacted]")


@pytest.mark.parametrize("junk", [True, None, ["x"], {"k": 1}])
def test_a_token_event_with_odd_extra_keys_is_logged_and_allowed(junk: Any) -> None:
    """TOKEN events carry no header or query maps, so the parser never checks such keys; the
    log line must not read them as if it had (found by the property suite on 3.12: a TOKEN
    event with ``"headers": true`` was an Allow turned into a 500 by the logging)."""
    stream = io.StringIO()
    authorizer = Authorizer(Accepting(), observability=JsonLogObserver(stream=stream))
    event = events.token_event(f"GET /pets/{TOKEN}", TOKEN)
    event |= {"headers": junk, "queryStringParameters": junk}
    assert authorizer.handler(event, None)["principalId"] == "user-1"
    (line,) = (json.loads(text) for text in stream.getvalue().splitlines())
    assert line["outcome"] == "allow"
    assert_clean(stream.getvalue())


def test_json_lines_are_a_log_and_an_emf_record_at_once() -> None:
    stream = io.StringIO()
    observer = JsonLogObserver(namespace="Auth", service="pets-api", stream=stream, clock=CLOCK)
    observer.record(decision(), 0.5)
    denied = decision(outcome=Outcome.DENY, reason=ReasonCode.INSUFFICIENT_SCOPE)
    observer.record(denied, 0.25)
    observer.record(decision(outcome=Outcome.ERROR, reason=ReasonCode.KEY_UNAVAILABLE), 3.0)
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    for record in (first, second, third):
        assert_emf(record)
        assert record["_aws"]["Timestamp"] == record["timestamp"] == 1_700_000_000_250
        assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Auth"
        assert record["service"] == "pets-api"
        assert record[DECISIONS_METRIC] == 1
        assert record[LATENCY_METRIC] == record["latency_ms"]
    assert (first["level"], first["outcome"], first["reason"]) == ("INFO", "allow", "ok")
    assert (second["outcome"], second["reason"]) == ("deny", "insufficient_scope")
    assert (third["level"], third["reason"]) == ("ERROR", "key_unavailable")
    assert first["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["service", "outcome"],
        ["service", "outcome", "reason"],
    ]


def test_metrics_can_be_left_out_of_the_lines() -> None:
    stream = io.StringIO()
    JsonLogObserver(metrics=False, stream=stream, clock=CLOCK).record(decision(), 0.5)
    record = json.loads(stream.getvalue())
    assert "_aws" not in record and DECISIONS_METRIC not in record
    assert record["outcome"] == "allow"


@pytest.mark.parametrize("metrics", [True, False])
@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"request": None, "outcome": Outcome.ERROR, "reason": ReasonCode.MALFORMED_EVENT},
        {"outcome": Outcome.UNAUTHORIZED, "reason": ReasonCode.EXPIRED, "detail": None},
        {"identity": Identity("ü\u2028\x00", "j"), "detail": 'tab\there \\ "q"'},
    ],
)
def test_every_kind_of_line_is_exactly_the_json_of_its_fields(
    shape: dict[str, Any], metrics: bool
) -> None:
    """With and without metrics, for an unparsed event, a refusal without an identity and
    strings JSON must escape: compact ASCII JSON whose fields are ``decision_fields``."""
    stream = io.StringIO()
    observer = JsonLogObserver(metrics=metrics, stream=stream, clock=CLOCK)
    logged = decision(**shape)
    observer.record(logged, 1.5)
    line = stream.getvalue()
    record = json.loads(line)
    assert line == json.dumps(record, separators=(",", ":")) + "\n"
    assert {name: record[name] for name in FIELDS} == decision_fields(logged, 1.5)
    assert ("_aws" in record) is metrics


@pytest.mark.parametrize("metrics", [True, False])
def test_lines_of_one_shape_carry_their_own_values(metrics: bool) -> None:
    """A line's constant fields are prepared once per shape (outcome, reason, validator,
    kind); what changes between decisions of one shape - the time, detail, principal, route,
    request id and latency - must never be replayed from an earlier line."""
    stream = io.StringIO()
    clock = FakeClock(1_700_000_000.25)
    observer = JsonLogObserver(metrics=metrics, stream=stream, clock=clock)
    http = events.http_v2_event("GET /pets/7", headers={"authorization": "Bearer x"})
    expired = {"outcome": Outcome.UNAUTHORIZED, "reason": ReasonCode.EXPIRED, "identity": None}
    logged = [
        decision("GET /pets/1", identity=Identity("alice", "jwt")),
        decision("GET /pets/2", identity=Identity("bob", "jwt")),  # the same shape again
        decision("GET /pets/3", detail="token has expired", **expired),
        decision("GET /pets/5", detail="another detail", **expired),  # same shape, new detail
        decision("GET /pets/4", identity=Identity("carol", "jwt")),
        decision(identity=Identity("dave", "jwt"), request=parse_event(http)),
        decision(identity=Identity("erin", "jwt"), request=parse_event(
            {**http, "requestContext": {**http["requestContext"], "requestId": "r-2"}})),
        decision(request=None, outcome=Outcome.ERROR, reason=ReasonCode.MALFORMED_EVENT),
    ]  # fmt: skip
    stamps = []
    for index, item in enumerate(logged):
        stamps.append(int(clock() * 1000))
        observer.record(item, 0.5 + index)
        clock.advance(1.5)
    lines = stream.getvalue().splitlines()
    assert len(lines) == len(logged)
    for index, (line, item) in enumerate(zip(lines, logged, strict=True)):
        record = json.loads(line)
        assert line == json.dumps(record, separators=(",", ":"))
        assert {name: record[name] for name in FIELDS} == decision_fields(item, 0.5 + index)
        assert record["timestamp"] == stamps[index]
        if metrics:
            assert record["DecisionLatency"] == record["latency_ms"] == 0.5 + index
            assert record["_aws"]["Timestamp"] == stamps[index]


def test_details_are_values_not_shapes_and_shapes_are_bounded() -> None:
    """A refusal's detail may quote what the caller sent (an untrusted ``iss``): it never
    becomes a shape of its own. Shapes come from outcome, reason, validator and kind, and
    stay bounded even so."""
    stream = io.StringIO()
    observer = JsonLogObserver(stream=stream, clock=CLOCK)
    refusal = {"outcome": Outcome.UNAUTHORIZED, "reason": ReasonCode.WRONG_ISSUER}
    for index in range(300):
        observer.record(decision(detail=f"token issuer 'https://evil/{index}'", **refusal), 1.0)
    assert len(observer._shapes) == 1
    for index in range(3 * observability._SHAPES):
        observer.record(decision(validator=f"validator-{index}"), 1.0)
        assert len(observer._shapes) <= observability._SHAPES
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["detail"] for r in records[:300]] == [
        f"token issuer 'https://evil/{index}'" for index in range(300)
    ]
    assert [r["validator"] for r in records[300:]] == [
        f"validator-{index}" for index in range(3 * observability._SHAPES)
    ]


@pytest.mark.parametrize("service", ["pets-api", 'odd %d %s "quoted" service', "ünïcode"])
def test_a_line_is_exactly_the_json_of_its_fields(service: str) -> None:
    """Lines are filled into a template, not encoded per call: the same bytes as encoding."""
    stream = io.StringIO()
    observer = JsonLogObserver(namespace="N%s", service=service, stream=stream, clock=CLOCK)
    odd = decision(reason=ReasonCode.FORBIDDEN, detail='"why" ✓', identity=Identity("ü\n", "j"))
    latencies = (0.1234567, 3, float("nan"))
    for latency in latencies:
        observer.record(odd, latency)
    lines = stream.getvalue().splitlines()
    for line, latency in zip(lines, latencies, strict=True):
        record = json.loads(line)
        assert line == json.dumps(record, separators=(",", ":"))  # compact, ASCII-escaped
        assert record["service"] == service
        assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "N%s"
        if latency == latency:  # not NaN
            assert {name: record[name] for name in FIELDS} == decision_fields(odd, latency)


def test_every_line_of_real_handler_calls_is_free_of_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    authorizer = Authorizer(Accepting())
    calls = [
        events.token_event("GET /pets/1", TOKEN),
        events.token_event(f"GET /pets/{TOKEN}", TOKEN),
        events.token_event("GET /pets/1", TOKEN[:-4] + "AAAA"),
        events.request_event("GET /pets/1", headers={"Authorization": f"Bearer {TOKEN}"}),
        events.http_v2_event("GET /pets/1", headers={"Authorization": f"Bearer {TOKEN}x"}),
        {"type": "TOKEN", "authorizationToken": TOKEN, "methodArn": f"arn:{TOKEN}"},
    ]
    for event in calls:
        try:
            authorizer.handler(event, None)
        except Exception as error:
            assert_clean(str(error))
    out = capsys.readouterr()
    assert_clean(out.out + out.err)
    outcomes = [json.loads(line)["outcome"] for line in out.out.splitlines()]
    assert outcomes == ["allow", "allow", "unauthorized", "allow", "unauthorized", "error"]


def test_powertools_observer_logs_the_same_fields_and_emits_metrics(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "_COLD_START", [True])  # as in a fresh process
    stream = io.StringIO()
    observer = PowertoolsObserver(namespace="Auth", service="pets-api", stream=stream)
    refused = decision(
        route=f"GET /pets/{TOKEN}",
        outcome=Outcome.UNAUTHORIZED,
        reason=ReasonCode.EXPIRED,
        detail="expired",
    )
    observer.record(refused, 0.5)
    (line,) = (json.loads(text) for text in stream.getvalue().splitlines())
    expected = {k: v for k, v in decision_fields(refused, 0.5).items() if v is not None}
    assert {k: line[k] for k in expected} == expected
    assert line["message"] == "authorizer decision" and line["level"] == "INFO"
    assert line["cold_start"] is True
    cold, *metrics = (json.loads(text) for text in capsys.readouterr().out.splitlines())
    assert cold["ColdStart"] == [1.0] and cold["service"] == "pets-api"
    assert_emf(cold)
    dimensions = [m["_aws"]["CloudWatchMetrics"][0]["Dimensions"] for m in metrics]
    assert [sorted(names) for (names,) in dimensions] == [
        ["outcome", "service"],
        ["outcome", "reason", "service"],
    ]
    for record in metrics:
        assert_emf(record)
        assert record["outcome"] == "unauthorized" and record["service"] == "pets-api"
    assert metrics[1]["reason"] == "expired"
    assert_clean(stream.getvalue())


def test_powertools_observer_sets_the_correlation_id_and_cold_start_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(observability, "_COLD_START", [True])
    stream = io.StringIO()
    # a service of its own: Powertools shares one Logger (and its stream) per service name
    observer = PowertoolsObserver(service="correlation-check", stream=stream, metrics=False)
    with_id = Decision(
        Outcome.ALLOW, "jwt", parse_event(events.request_event("GET /pets/1", headers={}))
    )
    observer.record(with_id, 1.0)
    observer.record(decision(), 1.0)  # a TOKEN event carries no request id
    first, second = (json.loads(text) for text in stream.getvalue().splitlines())
    assert first["correlation_id"] == events.REQUEST_ID == first["request_id"]
    assert first["cold_start"] is True and second["cold_start"] is False
    assert "correlation_id" not in second, "no stale id from the previous request"
    assert capsys.readouterr().out == "", "metrics=False emits none, not even ColdStart"


def test_powertools_is_imported_only_when_its_observer_is_built() -> None:
    code = (
        "import sys, io\n"
        "from authorizers.authorizer import Authorizer\n"
        "import authorizers.observability as o\n"
        "assert not any(m.startswith('aws_lambda_powertools') for m in sys.modules), 'eager'\n"
        "o.PowertoolsObserver(stream=io.StringIO(), metrics=False)\n"
        "assert 'aws_lambda_powertools' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
