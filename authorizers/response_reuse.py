"""A repeated credential's response, reused: the warm path of a REST TOKEN authorizer.

Why it is safe where it applies (:func:`response_reuse`): a REST TOKEN event carries the
credential and the method ARN, nothing else; with whole-API rules (the default,
:class:`~authorizers.rules.AllRoutes`) the rendered policy depends only on the identity and the
ARN's API and stage; and the validator decides on the credential alone (not ``per_request``).
So the response of an Allow is keyed by (credential, API and stage) and replayed only while
the validator itself vouches again for the same identity: every reuse asks
:meth:`~authorizers.validators.jwt.JwtValidator.cached_identity`, which re-runs the cache
hit's checks (time: ``exp``/``nbf``; the key still published; custom checks) and answers only
for tokens its own bounded cache still holds. Anything else - a refusal, an error, another
identity, an evicted token, a malformed event - takes the full path, which decides and logs
as always. Each reuse returns a fresh copy of the response (callers may mutate it), and writes
the decision log line from a template prepared at the first Allow.

Bounded: :data:`REUSE_ENTRIES` entries, each for a token that verified (an attacker cannot
fill it with garbage), least recently used evicted first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from authorizers._sightings import seen_before
from authorizers.arn import ApiArn
from authorizers.credentials import bearer_token
from authorizers.event_parsing import parse_event
from authorizers.observability import MIN_SECRET_CHARS, masked, secret_parts
from authorizers.request import RequestKind
from authorizers.rules import GrantScope

if TYPE_CHECKING:
    from authorizers.decision import Decision
    from authorizers.identity import Identity
    from authorizers.observability import Observer
    from authorizers.rules import Rules
    from authorizers.validator import Validator

#: Responses remembered per authorizer, at most as many as the validator caches tokens (a
#: reuse needs the token there too). ~2 KB each.
REUSE_ENTRIES = 256
#: Keys of a TOKEN event besides these are unusual; the full path handles such events.
_TOKEN_EVENT_KEYS = frozenset({"type", "authorizationToken", "methodArn"})
_TOKEN_EVENT_LENGTH = len(_TOKEN_EVENT_KEYS)


class _Entry(NamedTuple):
    api: str  # the method ARN's API and stage, with the slash after them
    token: str  # the bare token (one object: its hash is computed once)
    identity: Identity
    response: dict[str, Any]  # copied for each reuse: callers may mutate what they get
    secrets: tuple[str, ...]  # the credential's parts to mask in a logged route
    write_line: Callable[[str, float], None] | None
    decision: Decision


class ResponseReuse:
    """See the module docstring; built by :func:`response_reuse`."""

    def __init__(
        self,
        validator: Any,
        observer: Observer | None,
        clock: Callable[[], float],
        size: int,
    ) -> None:
        self._cached_identity: Callable[[str], Identity | None] = validator.cached_identity
        self._observer = observer
        self._clock = clock
        self._size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # by credential
        self._seen: set[int] = set()  # hashes of (credential, API) allowed once
        self._lock = threading.Lock()
        prepare = getattr(observer, "prepare_line", None)
        self._prepare: Callable[[Decision], Callable[[str, float], None]] | None = prepare

    def answer(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The reused response of a repeated credential, its line logged; ``None``: take the
        full path (also for anything unexpected here: the full path decides it properly)."""
        try:
            if type(event) is not dict:
                return None
            credential = event.get("authorizationToken")
            if type(credential) is not str:
                return None
            entry = self._entries.get(credential)
            if entry is None:  # a new credential: nothing more to look at
                return None
            started = self._clock()
            method_arn = event.get("methodArn")
            if event.get("type") != "TOKEN" or type(method_arn) is not str:
                return None
            if len(event) != _TOKEN_EVENT_LENGTH:
                return None  # (the three keys are there: type, credential and ARN were read)
            arn = ApiArn.parse(method_arn)  # a malformed ARN raises: the full path says 500
            if arn.verb is None or not method_arn.startswith(entry.api):
                return None  # a WebSocket ARN, or another API or stage than the entry's
            try:  # noqa: SIM105 - contextlib.suppress costs ~0.5 µs per reuse
                self._entries.move_to_end(credential)
            except KeyError:  # evicted meanwhile by another thread
                pass
            if self._cached_identity(entry.token) is not entry.identity:
                self._forget(credential)
                return None
            response = _fresh(entry.response)
            latency_ms = (self._clock() - started) * 1000.0
            if entry.write_line is not None:
                route = method_arn
                if len(arn.resource) >= MIN_SECRET_CHARS:
                    route = masked(route, entry.secrets)
                entry.write_line(route, latency_ms)
            elif self._observer is not None:
                record = entry.decision._replace(request=parse_event(event))
                self._observer.record(record, latency_ms)
            return response
        except Exception:
            return None

    def remember(self, event: Mapping[str, Any], decision: Decision) -> None:
        """Note an Allow of a TOKEN event; at its second sighting keep it for reuse (a new
        token pays a hash and a set insert; only repeated ones pay for the entry). Never
        raises: a decision already made must not fail for the sake of a later one."""
        try:
            self._remember(event, decision)
        except Exception:
            return

    def _remember(self, event: Mapping[str, Any], decision: Decision) -> None:
        request, identity, response = decision.request, decision.identity, decision.response
        if (
            request is None
            or request.kind is not RequestKind.REST_TOKEN
            or identity is None
            or response is None
            or decision.outcome != "allow"
            or "policyDocument" not in response
            or not request.token
        ):
            return
        credential = request.token
        key = (credential, request.arn.api_prefix)
        if not seen_before(self._seen, hash(key), self._size):
            return
        if event.keys() - _TOKEN_EVENT_KEYS:
            return
        token = bearer_token(credential)  # what the validator verified: the full path took it
        entry = _Entry(
            key[1] + "/",
            token,
            identity,
            _fresh(response),
            secret_parts((credential,)),
            None if self._prepare is None else self._prepare(decision),
            decision._replace(request=None, response=None),
        )
        with self._lock:
            self._entries[credential] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def _forget(self, credential: str) -> None:
        with self._lock:
            self._entries.pop(credential, None)


def _fresh(response: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of an IAM policy response (its leaves are immutable scalars), in ~1 µs."""
    document = response["policyDocument"]
    statements = [{**item, "Resource": [*item["Resource"]]} for item in document["Statement"]]
    fresh = {**response, "policyDocument": {**document, "Statement": statements}}
    if "context" in response:
        fresh["context"] = {**response["context"]}
    return fresh


def response_reuse(
    validator: Validator,
    rules: Rules,
    observer: Observer | None,
    clock: Callable[[], float],
) -> ResponseReuse | None:
    """A :class:`ResponseReuse` when reuse cannot change a decision, else ``None``: whole-API
    rules, a validator that decides on the credential alone and offers ``cached_identity``
    with a token cache to answer from."""
    if getattr(validator, "per_request", False) or rules.scope is not GrantScope.WHOLE_API:
        return None
    if not callable(getattr(validator, "cached_identity", None)):
        return None
    if not getattr(validator, "token_cache_size", 0):
        return None
    size = min(REUSE_ENTRIES, validator.token_cache_size)  # type: ignore[attr-defined]
    return ResponseReuse(validator, observer, clock, size)
