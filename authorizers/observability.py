"""One structured log line per decision, carrying CloudWatch EMF metrics by outcome and reason.

Why a built-in emitter is the default: the whole handler has a budget of ~20 µs on top of
signature verification. Measured in one process, a Powertools ``Logger.info`` alone costs
about 8-12x the built-in line (~5 µs where an RSA-2048 verify takes 35 µs), and with its EMF
metrics about 25x; plus ~90 ms of imports at cold start. :class:`JsonLogObserver` writes
one JSON line that is at once the decision log and an embedded-metric-format (EMF) record -
CloudWatch extracts the metrics from the log itself - so a decision costs one template fill
and one write. Teams that already run Powertools can choose
:class:`PowertoolsObserver` (same fields; Powertools is imported only when it is built).
``observability=None`` on the Authorizer switches logging and metrics off.

Nothing credential-like is logged: reason codes and error details are credential-free by
contract (:mod:`authorizers.errors`), and any credential the request carries is masked if it
shows up in the route ARN (a client that put its token in the URL).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from authorizers._extras import require_extra
from authorizers.clock import Clock, system_clock
from authorizers.request import EMPTY_HEADERS, RequestKind

if TYPE_CHECKING:
    from authorizers.decision import Decision
    from authorizers.request import AuthRequest

DEFAULT_NAMESPACE = "Authorizers"
DEFAULT_SERVICE = "authorizer"
LOG_MESSAGE = "authorizer decision"
#: The ``reason`` (log field and metric dimension) of an Allow.
ALLOWED_REASON = "ok"
DECISIONS_METRIC = "Decisions"
LATENCY_METRIC = "DecisionLatency"
#: Powertools' own name for the metric its ``capture_cold_start_metric`` emits.
COLD_START_METRIC = "ColdStart"
_REDACTED = "[redacted]"
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once: json.dumps(separators=) isn't
_quote = json.encoder.encode_basestring_ascii  # a JSON string, as _ENCODER writes strings
#: Shorter values are not masked in a logged route: they would mask ordinary path segments.
MIN_SECRET_CHARS = 8
_VALUE_MAPS = ("headers", "queryStringParameters")
_SLOT = "\x00"  # a slot of a prepared line: never in JSON text (escaped as \u0000)
_NONE: Mapping[str, str] = {}
#: Line shapes (outcome, reason, validator, kind) kept prepared per observer: a few in
#: practice, none chosen by a caller (details, which may quote a token's ``iss``, are a
#: value of the line, not part of its shape); cleared when full.
_SHAPES = 128


class Observer(Protocol):
    """Receives every decision the handler makes, with its latency in milliseconds."""

    def record(self, decision: Decision, latency_ms: float) -> None: ...


def _parts(value: str) -> list[str]:
    """The parts of a credential ("Bearer <jwt>", comma-joined sources, a JWT's segments): a
    split on runs of whitespace, commas and dots, in three C string calls (a regex split of a
    long token cost several µs per line)."""
    return value.replace(",", " ").replace(".", " ").split()


def secret_parts(credentials: Iterable[str | None]) -> tuple[str, ...]:
    """The parts of these credentials long enough to be masked in a route."""
    parts = (part for value in credentials for part in _parts(value or ""))
    return tuple(part for part in parts if len(part) >= MIN_SECRET_CHARS)


def masked(route: str, parts: Iterable[str]) -> str:
    """``route`` with each credential part (:func:`secret_parts`: the token without its
    scheme, a JWT's signature alone) masked out of it."""
    for part in parts:
        if part in route:
            route = route.replace(part, _REDACTED)
    return route


def _route(request: AuthRequest) -> str:
    """The method ARN, with any credential the request carries masked out of it."""
    if len(request.arn.resource) < MIN_SECRET_CHARS:  # the usual case: nothing could hide
        return str(request.arn)
    route = str(request.arn)
    headers = request.headers  # (TOKEN events have none: no lookup index built for them)
    auth = () if headers is EMPTY_HEADERS else headers.get_all("authorization")
    values = (request.token, *request.identity_source, *auth)
    # secret_parts + masked in one loop (no generators: this runs on every decision); a part
    # longer than the route cannot occur in it, so the payload of a JWT is skipped at once.
    for value in values:
        for part in _parts(value or ""):
            if MIN_SECRET_CHARS <= len(part) <= len(route) and part in route:
                route = route.replace(part, _REDACTED)
    # Any other header or query value may be a credential too (an API key in x-api-key).
    # The event's own maps hold strings only (the parser checked), so one C-level filter
    # finds the few values that occur in the route; no lookup index gets built. A TOKEN
    # event has no such maps (API Gateway sends only the token and the ARN), and the parser
    # neither reads nor checks keys of that name: they are not looked at here either.
    if request.kind is RequestKind.REST_TOKEN:
        return route
    raw = request.raw_event
    for source in _VALUE_MAPS:
        for value in filter(route.__contains__, (raw.get(source) or _NONE).values()):
            if len(value) >= MIN_SECRET_CHARS:
                route = route.replace(value, _REDACTED)
    return route


#: The fields of the decision log line, in order; every observer logs exactly these.
FIELDS = (
    "outcome",
    "reason",
    "detail",
    "validator",
    "principal",
    "kind",
    "route",
    "request_id",
    "latency_ms",
)


def _field_values(decision: Decision, latency_ms: float) -> tuple[Any, ...]:
    """The values of :data:`FIELDS` (str enums stand for their values)."""
    request = decision.request
    identity = decision.identity
    reason = decision.reason
    if request is None:
        kind = route = request_id = None
    else:
        kind, route, request_id = request.kind, _route(request), request.request_id
    return (
        decision.outcome,
        reason if reason is not None else ALLOWED_REASON,
        decision.detail,
        decision.validator,
        identity.principal_id if identity is not None else None,
        kind,
        route,
        request_id,
        round(latency_ms, 3),
    )


def decision_fields(decision: Decision, latency_ms: float) -> dict[str, Any]:
    """The fields of the decision log line; every observer logs exactly these."""
    return dict(zip(FIELDS, _field_values(decision, latency_ms), strict=True))


def _latency_text(latency_ms: float) -> str:
    """The JSON text of ``round(latency_ms, 3)``, as ``_ENCODER`` writes it."""
    latency = round(latency_ms, 3)
    if type(latency) is float and math.isfinite(latency):
        return float.__repr__(latency)
    return _ENCODER.encode(latency)


def _level(decision: Decision) -> str:
    # str.__eq__ of the StrEnum member: no Enum.value descriptor on every line.
    return "ERROR" if decision.outcome == "error" else "INFO"


class JsonLogObserver:
    """The lean default: one JSON line per decision, log and EMF metrics in one record.

    Metrics: ``Decisions`` (Count) and ``DecisionLatency`` (Milliseconds) in ``namespace``,
    by (service, outcome) and (service, outcome, reason). ``stream`` defaults to the current
    ``sys.stdout`` (what Lambda ships to CloudWatch Logs); ``clock`` stamps the record.
    """

    def __init__(
        self,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        service: str = DEFAULT_SERVICE,
        metrics: bool = True,
        stream: TextIO | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._stream = stream
        self._clock = clock
        directive = {
            "Namespace": namespace,
            "Dimensions": [["service", "outcome"], ["service", "outcome", "reason"]],
            "Metrics": [
                {"Name": DECISIONS_METRIC, "Unit": "Count"},
                {"Name": LATENCY_METRIC, "Unit": "Milliseconds"},
            ],
        }
        # The line is constant pieces joined with the values of one decision: the constant
        # parts are serialised once, and no dict is built and encoded per decision (a join
        # of preformatted pieces costs a third of filling a %-template, which parses it).
        service_text = _ENCODER.encode(service)
        directive_text = _ENCODER.encode(directive)
        envelope = f'"_aws":{{"Timestamp":{_SLOT},"CloudWatchMetrics":[{directive_text}]}},'
        head = (
            f'"level":"{_SLOT}","timestamp":{_SLOT},"message":"{LOG_MESSAGE}",'
            f'"service":{service_text},'
        )
        fields = ",".join(f'"{name}":{_SLOT}' for name in FIELDS)
        metrics_tail = f',"{DECISIONS_METRIC}":1,"{LATENCY_METRIC}":{_SLOT}'
        self._metrics = metrics
        template = (
            f"{{{envelope}{head}{fields}{metrics_tail}}}\n" if metrics else f"{{{head}{fields}}}\n"
        )
        self._pieces = tuple(template.split(_SLOT))
        self._shapes: dict[tuple[Any, ...], tuple[str, ...]] = {}

    def record(self, decision: Decision, latency_ms: float) -> None:
        # The fields that stay the same for every decision of one shape (outcome, reason,
        # validator, kind) are serialised once per shape, into the pieces between the values
        # that change; a line is then one join of 17 strings.
        request, identity, detail = decision.request, decision.identity, decision.detail
        kind = None if request is None else request.kind
        shape = (decision.outcome, decision.reason, decision.validator, kind)
        pieces = self._shapes.get(shape)
        if pieces is None:
            pieces = self._shape(shape, decision)
        timestamp = str(int(self._clock() * 1000))
        detail_text = "null" if detail is None else _quote(detail)
        principal = "null" if identity is None else _quote(identity.principal_id)
        if request is None:
            route = request_id = "null"
        else:
            route = _quote(_route(request))
            request_id = "null" if request.request_id is None else _quote(request.request_id)
        latency = _latency_text(latency_ms)
        p = pieces
        if self._metrics:  # slots: timestamp twice, detail, principal, route, request id,
            text = "".join(  # latency twice
                (p[0], timestamp, p[1], timestamp, p[2], detail_text, p[3], principal, p[4],
                 route, p[5], request_id, p[6], latency, p[7], latency, p[8])
            )  # fmt: skip
        else:  # slots: timestamp, detail, principal, route, request id, latency
            text = "".join(
                (p[0], timestamp, p[1], detail_text, p[2], principal, p[3], route, p[4],
                 request_id, p[5], latency, p[6])
            )  # fmt: skip
        (self._stream or sys.stdout).write(text)

    def _shape(self, shape: tuple[Any, ...], decision: Decision) -> tuple[str, ...]:
        """The constant pieces of ``decision``'s line (see :meth:`record`), kept per shape."""
        variable = ("detail", "principal", "route", "request_id", "latency_ms")
        pieces = self._prepared(decision, variable)
        if len(self._shapes) >= _SHAPES:
            self._shapes.clear()
        self._shapes[shape] = pieces
        return pieces

    def _prepared(self, decision: Decision, variable: tuple[str, ...]) -> tuple[str, ...]:
        """``decision``'s line split where the timestamp and the ``variable`` fields go."""
        values = [_ENCODER.encode(value) for value in _field_values(decision, 0)]
        for name in variable:
            values[FIELDS.index(name)] = _SLOT
        level = _level(decision)
        if self._metrics:  # slots: timestamp, level, timestamp, the fields, latency again
            slots = (_SLOT, level, _SLOT, *values, values[-1])
        else:  # slots: level, timestamp, the fields
            slots = (level, _SLOT, *values)
        pieces = self._pieces  # the template split at each slot: one more than the slots
        line = "".join(piece + slot for piece, slot in zip(pieces[:-1], slots, strict=True))
        return tuple((line + pieces[-1]).split(_SLOT))

    def prepare_line(self, decision: Decision) -> Callable[[str, float], None]:
        """A writer of ``decision``'s line for another route and latency (a reused response,
        :mod:`authorizers.response_reuse`): the other fields are serialised once,
        here, and each line is one join of preformatted pieces and one write."""
        metrics, stream, clock = self._metrics, self._stream, self._clock
        if metrics:  # slots: timestamp twice, route, latency twice
            a, b, c, d, e, f = self._prepared(decision, ("route", "latency_ms"))
        else:  # slots: timestamp, route, latency
            a, b, c, d = self._prepared(decision, ("route", "latency_ms"))

        def write(route: str, latency_ms: float) -> None:
            timestamp = str(int(clock() * 1000))
            latency = "%.3f" % latency_ms  # noqa: UP031 - the fastest float format here
            if metrics:
                text = "".join(
                    (a, timestamp, b, timestamp, c, _quote(route), d, latency, e, latency, f)
                )
            else:
                text = "".join((a, timestamp, b, _quote(route), c, latency, d))
            (stream or sys.stdout).write(text)

        return write


class PowertoolsObserver:
    """The same log fields and metrics through Powertools ``Logger`` and ``EphemeralMetrics``
    (the ``[powertools]`` extra), with what Powertools users expect besides: the request id as
    the Logger's ``correlation_id``, a ``cold_start`` key (true on the process's first
    decision only) and a ``ColdStart`` metric once per process.

    ``logger`` may be the application's own Powertools Logger; otherwise one is built for
    ``service`` (``stream`` goes to it; Powertools prints metrics to stdout). Powertools is
    imported here, never at module import. Each decision flushes its metrics at once, one
    record per dimension set, so nothing is lost if the function is never wrapped in
    ``log_metrics``.
    """

    def __init__(
        self,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        service: str = DEFAULT_SERVICE,
        metrics: bool = True,
        logger: Any = None,
        stream: TextIO | None = None,
    ) -> None:
        require_extra("aws_lambda_powertools", "powertools", "PowertoolsObserver")
        from aws_lambda_powertools import Logger  # noqa: PLC0415 - lazy by design
        from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit  # noqa: PLC0415

        self._owns_logger = logger is None
        self._logger = logger if logger is not None else Logger(service=service, stream=stream)
        self._metrics = EphemeralMetrics(namespace=namespace, service=service) if metrics else None
        self._units = (MetricUnit.Count, MetricUnit.Milliseconds)

    def record(self, decision: Decision, latency_ms: float) -> None:
        fields = decision_fields(decision, latency_ms)
        try:
            cold_start = _COLD_START.pop()
        except IndexError:
            cold_start = False
        if fields["request_id"] is not None or self._owns_logger:  # never a stale one
            self._logger.set_correlation_id(fields["request_id"])
        log = self._logger.error if _level(decision) == "ERROR" else self._logger.info
        log(LOG_MESSAGE, extra={**fields, "cold_start": cold_start})
        if self._metrics is None:
            return
        count, milliseconds = self._units
        if cold_start:
            self._metrics.add_metric(COLD_START_METRIC, count, 1)
            self._metrics.flush_metrics()
        for with_reason in (False, True):
            self._metrics.add_dimension("outcome", fields["outcome"])
            if with_reason:
                self._metrics.add_dimension("reason", fields["reason"])
            self._metrics.add_metric(DECISIONS_METRIC, count, 1)
            self._metrics.add_metric(LATENCY_METRIC, milliseconds, fields["latency_ms"])
            self._metrics.flush_metrics()


#: Holds ``True`` until the process's first Powertools decision takes it (list.pop is atomic).
_COLD_START = [True]
