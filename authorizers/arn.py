"""Execute-API ARNs: parse the ARN API Gateway sends, build ARNs for routes of the same API.

``arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<VERB>/<resource path>`` for
REST and HTTP APIs; ``.../<stage>/<route-key>`` (no verb) for WebSocket. Every part is kept
byte-for-byte (no percent-decoding), so ``str(ApiArn.parse(s)) == s``: the policy we return
must name exactly what API Gateway will compare it with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from authorizers.errors import MalformedEvent

#: API Gateway rejects longer method ARNs (414) before invoking the authorizer.
MAX_ARN_BYTES = 1600

# One pass over the whole ARN: this runs once per invocation. The partition keeps its suffix
# (aws-cn, aws-us-gov, aws-iso-b) so policies for China and GovCloud name the right partition.
_EXECUTE_API_ARN = re.compile(
    r"arn:(aws(?:-[a-z]+)*):execute-api:"
    r"([a-z]{2}(?:-[a-z]+)+-\d+|\*):"
    r"(\d{12}|\*):"
    r"([A-Za-z0-9_-]+|\*)/([^/]+)/(.+)"
)


@dataclass(frozen=True, slots=True)
class ApiArn:
    """One execute-api ARN. ``verb`` is ``None`` for WebSocket routes; ``resource`` has no
    leading slash (``""`` is the root resource, ``"$connect"`` a WebSocket route key)."""

    partition: str
    region: str
    account_id: str
    api_id: str
    stage: str
    verb: str | None
    resource: str
    # Both texts, built once per ARN (parses are cached): every decision renders and logs them.
    _prefix: str = field(init=False, repr=False, compare=False)
    _text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        prefix = (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account_id}:"
            f"{self.api_id}/{self.stage}"
        )
        route = self.resource if self.verb is None else f"{self.verb}/{self.resource}"
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_text", f"{prefix}/{route}")

    @classmethod
    def parse(cls, text: str) -> ApiArn:
        """Parse a ``methodArn``/``routeArn``; anything else raises ``MalformedEvent``.

        Results are cached (bounded): an authorizer sees the same few ARNs over and over.
        """
        if not isinstance(text, str):
            raise MalformedEvent(detail="ARN is not a string")
        return _parse(text)

    @property
    def api_prefix(self) -> str:
        """``arn:...:<api-id>/<stage>`` (no trailing slash)."""
        return self._prefix

    @property
    def path(self) -> str:
        """The resource as a path: ``"/pets/1"``, ``"/"`` for the root resource."""
        return f"/{self.resource}"

    def __str__(self) -> str:
        return self._text

    def route(self, verb: str | None, resource: str) -> ApiArn:
        """The ARN of another route of the same API and stage (one leading ``/`` is dropped)."""
        return replace(self, verb=verb, resource=resource.removeprefix("/"))

    def all_routes(self) -> str:
        """A resource pattern covering every route of this API stage: ``.../<stage>/*``."""
        return f"{self.api_prefix}/*"


@lru_cache(maxsize=256)
def _parse(text: str) -> ApiArn:
    # isprintable() rejects control characters (log and policy injection) in one C call.
    if not text.isprintable() or len(text.encode()) > MAX_ARN_BYTES:
        raise MalformedEvent(detail="ARN has control characters or exceeds 1600 bytes")
    match = _EXECUTE_API_ARN.fullmatch(text)
    if match is None:
        raise MalformedEvent(
            detail="not an execute-api ARN with partition, region, account, api id, stage, route"
        )
    partition, region, account_id, api_id, stage, route = match.groups()
    verb, slash, resource = route.partition("/")
    if not slash:  # WebSocket: <stage>/<route-key>
        return ApiArn(partition, region, account_id, api_id, stage, None, route)
    if not verb:
        raise MalformedEvent(detail="empty HTTP verb in ARN")
    return ApiArn(partition, region, account_id, api_id, stage, verb, resource)
