"""What the built-in validators share: their ``name``, and how those that read more than a
TOKEN event carries refuse one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers.errors import MalformedEvent
from authorizers.request import RequestKind

if TYPE_CHECKING:
    from authorizers.request import AuthRequest


class NamedValidator:
    """``name`` (logs, ``Identity.validator``) as the read-only property the
    :class:`~authorizers.validator.Validator` protocol asks for.

    ``per_request`` is True for a validator whose verdict depends on the request's method,
    path, query, body or a time window (an HMAC signature): API Gateway must not replay its
    result on another request, so the :class:`~authorizers.authorizer.Authorizer` needs a
    result TTL of 0 and allows only the called method ARN. Readers use
    ``getattr(validator, "per_request", False)``: a custom validator may lack it.
    """

    per_request: bool = False

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name


def refuse_token_event(request: AuthRequest, detail: str) -> None:
    """A TOKEN event carries one header and nothing else, so a validator that reads more can
    only fail there: a deployment mistake, refused as a malformed event (500), never a 401."""
    if request.kind is RequestKind.REST_TOKEN:
        raise MalformedEvent(detail=detail)
