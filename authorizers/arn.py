"""Execute-API ARNs: parse the ARN API Gateway sends, build ARNs for routes of the same API.

``arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<VERB>/<resource path>`` for
REST and HTTP APIs; ``.../<stage>/<route-key>`` (no verb) for WebSocket. Every part is kept
byte-for-byte (no percent-decoding), so ``str(ApiArn.parse(s)) == s``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from authorizers.errors import MalformedEvent

_PARTITION = re.compile(r"aws(-[a-z]+)*")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+|\*")
_ACCOUNT = re.compile(r"\d{12}|\*")
_API_ID = re.compile(r"[A-Za-z0-9_-]+|\*")


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

    @classmethod
    def parse(cls, text: str) -> ApiArn:
        if not isinstance(text, str) or len(text) > 1600:
            raise MalformedEvent(detail="method ARN missing or longer than 1600 characters")
        fields = text.split(":", 5)
        if len(fields) != 6 or fields[0] != "arn" or fields[2] != "execute-api":
            raise MalformedEvent(detail="not an execute-api ARN")
        _, partition, _, region, account_id, path = fields
        if not (
            _PARTITION.fullmatch(partition)
            and _REGION.fullmatch(region)
            and _ACCOUNT.fullmatch(account_id)
        ):
            raise MalformedEvent(detail="bad partition, region or account in ARN")
        parts = path.split("/")
        if len(parts) < 3 or not _API_ID.fullmatch(parts[0]) or not parts[1]:
            raise MalformedEvent(detail="ARN lacks api id, stage or route")
        api_id, stage = parts[0], parts[1]
        if len(parts) == 3:  # WebSocket: <stage>/<route-key>
            if not parts[2]:
                raise MalformedEvent(detail="empty WebSocket route key in ARN")
            return cls(partition, region, account_id, api_id, stage, None, parts[2])
        verb = parts[2]
        if not verb:
            raise MalformedEvent(detail="empty HTTP verb in ARN")
        return cls(partition, region, account_id, api_id, stage, verb, "/".join(parts[3:]))

    @property
    def api_prefix(self) -> str:
        """``arn:...:<api-id>/<stage>`` (no trailing slash)."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account_id}:"
            f"{self.api_id}/{self.stage}"
        )

    def __str__(self) -> str:
        if self.verb is None:
            return f"{self.api_prefix}/{self.resource}"
        return f"{self.api_prefix}/{self.verb}/{self.resource}"

    def route(self, verb: str | None, resource: str) -> ApiArn:
        """The ARN of another route of the same API and stage (``resource`` without leading /)."""
        return replace(self, verb=verb, resource=resource.lstrip("/"))

    def all_routes(self) -> str:
        """A resource pattern covering every route of this API stage: ``.../<stage>/*``."""
        return f"{self.api_prefix}/*"
