"""The local API gateway: a SAM template's APIs and Lambda authorizers on 127.0.0.1.

``authorizers serve`` and ``make demo`` use it; tests can too (docs/local-gateway.md).
Names are imported lazily, so ``import authorizers.local`` loads no YAML or HTTP code.

- :mod:`~authorizers.local.template` reads the template (:mod:`.intrinsics`, :mod:`.sam_auth`)
  into the :mod:`~authorizers.local.model`;
- :mod:`~authorizers.local.gateway` runs one request: :mod:`.routing`, :mod:`.authorization`
  (the test kit's cache replay and policy simulator), :mod:`.lambda_events`, :mod:`.functions`,
  :mod:`.integration`;
- :mod:`~authorizers.local.server` serves it over HTTP, :mod:`.websocket` over WebSocket.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._lazy import lazy_exports

# -- exports (tests/test_package_layout.py checks the three agree) --
_EXPORTS: dict[str, str] = {
    "load_template": "authorizers.local.template",
    "LocalTemplate": "authorizers.local.model",
    "LocalGateway": "authorizers.local.gateway",
    "GatewayResponses": "authorizers.local.gateway",
    "RequestRecord": "authorizers.local.gateway",
    "LocalServer": "authorizers.local.server",
    "HttpRequest": "authorizers.local.http",
    "HttpResponse": "authorizers.local.http",
    "WebSocketClient": "authorizers.local.ws_client",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - generated from the export table

if TYPE_CHECKING:  # the same names, typed, for mypy and IDEs; nothing imported at run time
    from authorizers.local.gateway import GatewayResponses as GatewayResponses
    from authorizers.local.gateway import LocalGateway as LocalGateway
    from authorizers.local.gateway import RequestRecord as RequestRecord
    from authorizers.local.http import HttpRequest as HttpRequest
    from authorizers.local.http import HttpResponse as HttpResponse
    from authorizers.local.model import LocalTemplate as LocalTemplate
    from authorizers.local.server import LocalServer as LocalServer
    from authorizers.local.template import load_template as load_template
    from authorizers.local.ws_client import WebSocketClient as WebSocketClient
else:  # mypy sees no module __getattr__, so a misspelt name is an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
