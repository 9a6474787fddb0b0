"""Zero-code configuration: an :class:`~authorizers.authorizer.Authorizer` from a JSON document.

``build_authorizer(document)`` turns the document (see ``docs/configuration.md`` for every
field) into an Authorizer, ``${NAME}`` replaced by environment variables;
``authorizer_from_environment()`` first finds the document the way the generic handler
(:mod:`authorizers.handler`) does: inline in ``AUTHORIZER_CONFIG``, or in the file
``AUTHORIZER_CONFIG_FILE`` (relative to ``LAMBDA_TASK_ROOT``). Variables are substituted in
one place, :func:`build_authorizer`, so both paths read a document alike and a variable's
value is never expanded a second time.

The document is checked completely before anything is built to serve requests: wrong types,
missing settings, unknown keys (a typo must never silently drop a check) and unsafe
combinations raise :class:`ConfigFieldError` naming the field by its JSON path, e.g.
``validators[0].issuers[1].audience: required``. Nothing is fetched while building.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authorizers._internal import strict_json
from authorizers._internal.config_access import (
    ContextFromClaims,
    RequiringValidator,
    build_requirement,
    build_routes,
    route_universe,
)
from authorizers._internal.config_schema import (
    BuildContext,
    ConfigFieldError,
    Fields,
    child_path,
    claim_names,
    reported_at,
    shown_key,
)
from authorizers._internal.config_validators import build_validators
from authorizers.authorizer import Authorizer
from authorizers.clock import Clock, system_clock

if TYPE_CHECKING:
    from authorizers.observability import Observer
    from authorizers.validator import Validator

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILE_ENV",
    "ConfigFieldError",
    "authorizer_from_environment",
    "build_authorizer",
    "load_config",
    "parse_document",
    "substitute_environment",
]

#: Inline JSON configuration (Lambda caps all variables together at 4 KB: use a file beyond).
CONFIG_ENV = "AUTHORIZER_CONFIG"
#: A JSON file in the function package or a layer; relative to ``LAMBDA_TASK_ROOT``.
CONFIG_FILE_ENV = "AUTHORIZER_CONFIG_FILE"
MAX_CONFIG_BYTES = 1024 * 1024
COMBINATIONS = ("any_of", "all_of")
OBSERVERS = ("json", "powertools", "none")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _validator(root: Fields, context: BuildContext) -> Validator:
    from authorizers.validator import AllOf, AnyOf  # noqa: PLC0415 - lazy

    validators = build_validators(root, "validators", context)
    combine = root.choice("combine", COMBINATIONS) if root.has("combine") else None
    validator: Validator
    if combine is not None:
        validator = (AnyOf if combine == "any_of" else AllOf)(*validators, name=combine)
    elif len(validators) == 1:
        validator = validators[0]
    else:
        raise root.missing(
            "combine",
            ' with several validators: "any_of" (one of them must accept the caller) or '
            '"all_of" (each of them must)',
        )
    requirement = root.child("requires")
    if requirement is not None:
        validator = RequiringValidator(validator, build_requirement(requirement))
    names = claim_names(root, "context_claims")
    return validator if names is None else ContextFromClaims(validator, names)


def _observability(fields: Fields | None) -> dict[str, Observer | None]:
    """``{}`` keeps the Authorizer's default (one JSON log line with EMF metrics)."""
    if fields is None:
        return {}
    with fields:
        kind = fields.choice("type", OBSERVERS, "json")
        options = {key: fields.text(key) for key in ("namespace", "service")}
        settings: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
        settings["metrics"] = fields.flag("metrics", True)
        if kind == "none":
            return {"observability": None}
        from authorizers import observability  # noqa: PLC0415 - lazy

        observer = (
            observability.JsonLogObserver if kind == "json" else observability.PowertoolsObserver
        )
        return {"observability": observer(**settings)}


def build_authorizer(
    config: Mapping[str, Any],
    *,
    base_dir: str | os.PathLike[str] | None = None,
    clock: Clock = system_clock,
    environ: Mapping[str, str] | None = None,
) -> Authorizer:
    """The Authorizer a configuration document describes (see ``docs/configuration.md``).

    ``${NAME}`` in any string is replaced by the variable ``NAME`` of ``environ`` (default:
    ``os.environ``), as the generic handler does. ``base_dir`` is where relative file paths
    (``jwks_file``) start (default: the current directory); ``clock`` is handed to every
    validator (tests move time with a FakeClock). Raises :class:`ConfigFieldError` (a
    ``ConfigurationError``) for any problem.
    """
    context = BuildContext(Path(base_dir) if base_dir is not None else Path.cwd(), clock)
    config = substitute_environment(config, os.environ if environ is None else environ)
    with Fields(config, "") as root:
        root.integer("version", minimum=1, maximum=1)
        root.text("description")
        validator = _validator(root, context)
        rules = build_routes(root, route_universe(root, context))
        settings: dict[str, Any] = {
            "simple_responses": root.flag("simple_responses", False),
            "on_infrastructure_error": root.choice(
                "on_infrastructure_error", ("raise", "deny"), "raise"
            ),
            "result_ttl_seconds": root.integer("result_ttl_seconds", minimum=0, maximum=3600),
            "cache_per_route": root.flag("cache_per_route", False),
            "context_json_encode": root.flag("context_json_encode", False),
            **_observability(root.child("observability")),
        }
        root.finish()  # an unknown key is reported before a consequence of the others
        # what is left to refuse: answers unsafe to cache, per request or per route
        per_request = getattr(validator, "per_request", False)
        unsafe_ttl = per_request and settings["result_ttl_seconds"] != 0
        with reported_at("result_ttl_seconds" if unsafe_ttl else "routes"):
            return Authorizer(validator, rules=rules, **settings)


def parse_document(text: str, source: str) -> dict[str, Any]:
    """Strict JSON (no duplicate keys, no NaN/Infinity) holding one object."""
    try:
        document = strict_json.loads(text)
    except strict_json.DuplicateKeyError as error:  # which one wins differs between parsers
        problem = f"key {shown_key(error.key)} appears twice in one object"
        raise ConfigFieldError("", f"{source} is not valid JSON: {problem}") from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise ConfigFieldError("", f"{source} is not valid JSON: {error.msg} at {where}") from None
    except (ValueError, RecursionError) as error:
        raise ConfigFieldError("", f"{source} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise ConfigFieldError("", f"{source} must hold a JSON object")
    return document


def substitute_environment(value: Any, environ: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${NAME}`` in every string with the environment variable ``NAME``.

    Done on parsed values, never on the JSON text, so a variable's content can only ever be
    (part of) a string: it cannot add keys or change the document's structure. An unset
    variable is an error (a silently empty issuer or table name is not a safe default).
    """
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            found = environ.get(match[1])
            if found is None:
                raise ConfigFieldError(path, f"environment variable {match[1]} is not set")
            return found

        return _ENV_REFERENCE.sub(replace, value)
    if isinstance(value, list):
        return [
            substitute_environment(item, environ, child_path(path, i))
            for i, item in enumerate(value)
        ]
    if isinstance(value, dict):
        return {
            key: substitute_environment(item, environ, child_path(path, key))
            for key, item in value.items()
        }
    return value


def load_config(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], Path]:
    """The configuration document the environment names, as written (``${NAME}`` is left for
    :func:`build_authorizer`), and the directory its relative paths start at (the file's
    own, or ``LAMBDA_TASK_ROOT``)."""
    env = os.environ if environ is None else environ
    inline, file_name = env.get(CONFIG_ENV), env.get(CONFIG_FILE_ENV)
    task_root = Path(env.get("LAMBDA_TASK_ROOT") or Path.cwd())
    if inline and file_name:
        raise ConfigFieldError("", f"set {CONFIG_ENV} or {CONFIG_FILE_ENV}, not both")
    if inline:
        text, source, base_dir = inline, CONFIG_ENV, task_root
    elif file_name:
        path = task_root / file_name  # an absolute file_name stays as it is
        source, base_dir = f"{CONFIG_FILE_ENV} ({file_name})", path.parent
        try:
            with path.open("rb") as file:
                data = file.read(MAX_CONFIG_BYTES + 1)
        except OSError as error:
            raise ConfigFieldError("", f"cannot read {source}: {error.strerror}") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigFieldError("", f"{source} is larger than {MAX_CONFIG_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigFieldError("", f"{source} is not UTF-8") from None
    else:
        raise ConfigFieldError(
            "",
            f"no configuration: set {CONFIG_ENV} (inline JSON) or {CONFIG_FILE_ENV} "
            "(a JSON file in the function package)",
        )
    return parse_document(text, source), base_dir


def authorizer_from_environment(
    environ: Mapping[str, str] | None = None, *, clock: Clock = system_clock
) -> Authorizer:
    """:func:`load_config`, then :func:`build_authorizer` - what the generic handler runs."""
    env = os.environ if environ is None else environ
    document, base_dir = load_config(env)
    return build_authorizer(document, base_dir=base_dir, clock=clock, environ=env)
