"""Optional features name the extra that brings their package, so a missing one fails at
build time with the fix in the message, not with a bare ``ModuleNotFoundError`` at the first
request."""

from __future__ import annotations

from authorizers.errors import ConfigurationError


def require_extra(module: str, extra: str, feature: str) -> None:
    """Raise :class:`ConfigurationError` unless ``module`` can be imported (not importing it:
    the feature still imports it when it first needs it)."""
    import importlib.util  # noqa: PLC0415 - only optional features pay for it

    if importlib.util.find_spec(module) is None:
        # boto3 ships with every Lambda Python runtime, so the layer never carries it
        where = (
            ""
            if extra == "aws"
            else f" (in a Lambda layer: authorizers layer build --with {extra})"
        )
        raise ConfigurationError(
            f"{feature} needs the {module!r} package, which is not installed: "
            f"pip install 'authorizers[{extra}]'{where}"
        )
