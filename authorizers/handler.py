"""The zero-code Lambda entry point: set a function's handler to ``authorizers.handler.handler``.

The authorizer is described by JSON, inline in the ``AUTHORIZER_CONFIG`` environment variable
or in a file named by ``AUTHORIZER_CONFIG_FILE`` (see :mod:`authorizers.config` and
``docs/configuration.md``).

It is read, checked and built when this module is imported - in the function's init phase -
not on the first request. A broken configuration therefore fails the init with a message
naming the bad field (Lambda logs ``Runtime.ImportModuleError`` with it), before any caller
could be let through by a half-read setting, and every invocation fails closed (API Gateway
answers 500) until it is fixed. Nothing is fetched at import: keys and key stores are reached
on first use, and boto3 is imported only by a configuration whose key store needs it.
"""

from __future__ import annotations

from typing import Any

from authorizers.config import authorizer_from_environment

#: The Authorizer the environment describes, built once per execution environment.
authorizer = authorizer_from_environment()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda handler: the response API Gateway expects, or an exception (401 / 500)."""
    return authorizer.handler(event, context)
