"""Grants: what an identity may call, as resource patterns of the API it called.

Access rules produce :class:`Grants`; the response renderer turns them into policy statements.
Patterns use API Gateway's policy wildcards (``*`` any run of characters incl. ``/``, ``?`` one
character) and are relative to the API stage: ``"GET/pets/*"``, ``"*"`` (every route),
``"$connect"`` (WebSocket).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Grants:
    """``allow`` and ``deny`` patterns relative to ``arn:...:<api-id>/<stage>/``.

    ``deny`` lists routes an identity must not reach even though an ``allow`` pattern would
    match them (the greedy-``*`` pitfall), and routes rules deny outright. An empty ``allow``
    means nothing is allowed (the response is a Deny of the whole API).
    """

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def everything(cls) -> Grants:
        """Every route of the API stage in one statement: safe with API Gateway's result cache."""
        return cls(allow=("*",))

    @classmethod
    def nothing(cls) -> Grants:
        return cls()

    @property
    def allows_anything(self) -> bool:
        return bool(self.allow)
