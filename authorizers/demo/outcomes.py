"""The demo's rows: what was sent, where, what API Gateway answered, and one sentence why.

The sentence is derived from the outcome (status, cache, reason), never written next to the
request it was meant for: if the gateway answered differently, the sentence says so truly.
"""

from __future__ import annotations

from dataclasses import dataclass

_NOT_INVOKED = "identity source missing"


@dataclass(frozen=True, slots=True)
class Row:
    """One request of the demo and what came back."""

    request: str
    route: str
    status: int | str
    principal: str = "-"
    cache: str = "-"
    latency_ms: float | None = None
    reason: str = ""
    simple_response: bool = False  # an HTTP API authorizer with simple responses

    @property
    def why(self) -> str:
        return explain(self)


def explain(row: Row) -> str:
    """One sentence a newcomer needs to understand the row."""
    status, cached = row.status, row.cache == "hit"
    if status == 101:
        return "The authorizer allowed $connect, so the WebSocket is open."
    if status == 200 and cached:
        return (
            "Served from the result cache: the policy cached for this token on an earlier "
            "route covers this one, so the authorizer was not invoked."
        )
    if status == 200 and row.simple_response:
        return "The authorizer answered isAuthorized: true, one answer for the whole API."
    if status == 200:
        return "The authorizer allowed the caller and its policy covers this route."
    if status == 401 and row.reason.startswith(_NOT_INVOKED):
        return (
            "The identity source is missing, so API Gateway refuses at once, without "
            "invoking (or billing) the authorizer."
        )
    if status == 401:
        return f"The authorizer refused the credential ({row.reason}): the client needs a new one."
    if status == 403 and cached:
        return (
            "From the result cache: the policy cached for this token on an earlier route does "
            "not cover this one, so API Gateway refuses without invoking the authorizer."
        )
    if status == 403 and row.simple_response:
        return (
            f"The authorizer answered isAuthorized: false ({row.reason}); an HTTP API with "
            "simple responses has no 401, every refusal is a 403."
        )
    if status == 403:
        return (
            f"The authorizer knows the caller, but its policy does not allow this route "
            f"({row.reason})."
        )
    if status == 500:
        return (
            f"The authorizer failed ({row.reason}) and raised: API Gateway answers 500, never "
            "calls the backend, and caches nothing, so a retry gets a fresh try."
        )
    if status == "skipped":
        return row.reason
    return f"Unexpected for this demo ({row.reason or 'no reason logged'})."


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width table, with the sentence under each row."""
    header = ("request", "route", "status", "principal", "cache", "latency", "reason")
    cells = [
        (r.request, r.route, str(r.status), r.principal, r.cache,
         "" if r.latency_ms is None else f"{r.latency_ms:.1f} ms", r.reason)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)]
    for row, row_cells in zip(rows, cells, strict=True):
        lines += [line(row_cells), f"    why: {row.why}"]
    return "\n".join(lines)
