"""Configuration builders for sender-constrained tokens: ``dpop`` (RFC 9449) and
``cert_bound`` (RFC 8705). Each wraps a token validator given as a nested validator object;
both are per request, so the document needs ``"result_ttl_seconds": 0``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authorizers._internal.config_schema import BuildContext, ConfigFieldError, Fields, reported_at

if TYPE_CHECKING:
    from authorizers.validator import Validator


def _inner(fields: Fields, key: str, context: BuildContext) -> Validator:
    from authorizers._internal.config_validators import build_validator  # noqa: PLC0415

    return build_validator(fields.need_child(key), context)


def build_dpop(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    """``{"type": "dpop", "tokens": {<jwt|cognito|oidc>}, "replay_table", "max_age", ...}``."""
    from authorizers._internal.config_validators import _aws  # noqa: PLC0415
    from authorizers.validators.dpop import DEFAULT_ALGORITHMS, DpopValidator  # noqa: PLC0415
    from authorizers.validators.dpop_replay import DynamoDBReplayStore  # noqa: PLC0415

    tokens = _inner(fields, "tokens", context)
    if not callable(getattr(tokens, "verify", None)):
        raise ConfigFieldError(fields.at("tokens"), "must be a jwt, cognito or oidc validator")
    table = fields.text("replay_table")
    replay = DynamoDBReplayStore(table, settings=_aws(fields)) if table else None
    with reported_at(fields.path):
        return DpopValidator(
            tokens,  # type: ignore[arg-type]  # checked above: it has verify()
            name=name or "dpop",
            algorithms=fields.texts("algorithms") or DEFAULT_ALGORITHMS,
            max_age=fields.number("max_age", 60.0, positive=True, maximum=3600),
            leeway=fields.number("leeway", 5.0, minimum=0, maximum=300),
            replay=replay,
            allow_bearer=fields.flag("allow_bearer", False),
            clock=context.clock,
        )


def build_cert_bound(fields: Fields, context: BuildContext, name: str | None) -> Validator:
    """``{"type": "cert_bound", "validator": {...}, "require_for_issuers", ...}``."""
    from authorizers.validators.cert_binding import CertificateBoundValidator  # noqa: PLC0415

    return CertificateBoundValidator(
        _inner(fields, "validator", context),
        require_for_issuers=fields.text_list("require_for_issuers"),
        cert_in_cache_key=fields.flag("cert_in_cache_key", False),
        name=name,
    )
