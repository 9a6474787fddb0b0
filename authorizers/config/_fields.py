"""Reading a JSON configuration document field by field, with errors that name the field.

Every object of the document is read through a :class:`Fields` reader used as a context
manager: each getter checks one key's type and records that the key is known; leaving the
``with`` block refuses any key nothing asked for. A typo (``audiance``) can therefore never be
ignored silently - an ignored key is a setting that quietly did not apply, which for an
authorizer usually means weaker checks than intended.

Error messages name the JSON path (``validators[0].issuers[1].audience: required``) and never
repeat a configured *value*: values may be secrets (HMAC keys, key records).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, overload

from authorizers.clock import Clock, system_clock
from authorizers.errors import ConfigurationError

if TYPE_CHECKING:
    from authorizers.keystores.aws import AwsClientSettings
    from authorizers.validator import Validator

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigFieldError(ConfigurationError):
    """A configuration document is wrong at ``path`` (``""``: the document as a whole)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def child_path(path: str, key: str | int) -> str:
    """``a.b``, ``a[0]``, or ``a["x-y"]`` for keys that are not identifiers."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key)}]"


def _short(key: str) -> str:
    """An unknown key cut short: it is most likely a typo, but could be a pasted value."""
    return key if len(key) <= 40 else key[:37] + "..."


def shown_key(key: str) -> str:
    """A key as quoted in an error message (cut short)."""
    return repr(_short(key))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), "a number"
    )


class Fields:
    """One JSON object of the configuration; see the module docstring.

    ``null`` reads as "not given", so a default applies.
    """

    __slots__ = ("_asked", "_data", "path")

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigFieldError(path, f"must be an object, not {_type_name(data)}")
        self._data: Mapping[str, Any] = data
        self._asked: set[str] = set()
        self.path = path

    def __enter__(self) -> Fields:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.finish()

    def finish(self) -> None:
        """Refuse every key no getter asked for."""
        for key in self._data:
            if key not in self._asked:
                close = difflib.get_close_matches(key, sorted(self._asked), n=1, cutoff=0.7)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(sorted(self._asked))
                raise ConfigFieldError(
                    self.at(_short(key)), f"unknown key{hint}; known keys here: {known}"
                )

    def at(self, key: str | int) -> str:
        return child_path(self.path, key)

    def error(self, key: str, problem: str) -> ConfigFieldError:
        return ConfigFieldError(self.at(key), problem)

    def names(self) -> list[str]:
        """Every key present (free-form objects: read each with a getter)."""
        return list(self._data)

    def has(self, key: str) -> bool:
        self._asked.add(key)
        return self._data.get(key) is not None

    def raw(self, key: str, *, required: bool = False) -> Any:
        """The value as parsed; ``None`` when not given."""
        self._asked.add(key)
        value = self._data.get(key)
        if value is None and required:
            raise self.missing(key)
        return value

    def missing(self, key: str, explanation: str = "") -> ConfigFieldError:
        """``<key>: required``, pointing at a present key that looks like a typo of it."""
        unasked = [name for name in self._data if name not in self._asked]
        typo = difflib.get_close_matches(key, unasked, n=1, cutoff=0.7)
        hint = f" (is {shown_key(typo[0])} a typo?)" if typo else ""
        return self.error(key, f"required{hint}{explanation}")

    def _typed(self, key: str, kinds: tuple[type, ...], what: str, required: bool) -> Any:
        value = self.raw(key, required=required)
        if value is None:
            return None
        # bool is an int in Python, not in JSON: true is no number
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.error(key, f"must be {what}, not {_type_name(value)}")
        return value

    # -- scalars -----------------------------------------------------------------------------

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self._typed(key, (str,), "a string", False)
        if value == "":
            raise self.error(key, "must not be empty")
        return default if value is None else str(value)

    def need_text(self, key: str) -> str:
        value = self._typed(key, (str,), "a string", True)
        if value == "":
            raise self.error(key, "must not be empty")
        return str(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._typed(key, (bool,), "true or false", False)
        return default if value is None else bool(value)

    @overload
    def number(
        self,
        key: str,
        default: float,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float: ...

    @overload
    def number(
        self,
        key: str,
        default: None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float | None: ...

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        value = self._typed(key, (int, float), "a number", False)
        if value is None:
            return default
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum:g}")
        if maximum is not None and value > maximum:
            raise self.error(key, f"must be at most {maximum:g}")
        if positive and value <= 0:
            raise self.error(key, "must be greater than 0")
        return float(value)

    def integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        value = self._typed(key, (int,), "an integer", False)
        if value is not None and not minimum <= value <= maximum:
            raise self.error(key, f"must be an integer from {minimum} to {maximum}")
        return None if value is None else int(value)

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self._typed(key, (str,), "a string", default is None)
        if value is None:
            return default  # type: ignore[return-value] # required when no default
        if value not in options:
            listed = ", ".join(repr(option) for option in options)
            raise self.error(key, f"must be one of {listed}")
        return str(value)

    # -- strings and lists -------------------------------------------------------------------

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...] | None:
        """A string or a non-empty list of non-empty strings, as a tuple."""
        value = self.raw(key, required=required)
        if value is None:
            return None
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.error(key, "must be a string or a non-empty list of strings")
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise ConfigFieldError(
                    child_path(self.at(key), index), "must be a non-empty string"
                )
        return tuple(items)

    def need_texts(self, key: str) -> tuple[str, ...]:
        value = self.texts(key, required=True)
        assert value is not None  # required=True raised otherwise
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings (possibly empty); ``()`` when not given."""
        value = self._typed(key, (list,), "a list of strings", False)
        for index, item in enumerate(value or ()):
            if not isinstance(item, str) or not item:
                raise ConfigFieldError(
                    child_path(self.at(key), index), "must be a non-empty string"
                )
        return tuple(value or ())

    # -- nested objects ----------------------------------------------------------------------

    def mapping(self, key: str, *, required: bool = False) -> dict[str, Any] | None:
        """An object with free-form keys (claims, key records), returned as parsed."""
        value = self._typed(key, (dict,), "an object", required)
        if value is not None and not value:
            raise self.error(key, "must not be empty")
        return value

    def child(self, key: str, *, required: bool = False) -> Fields | None:
        value = self.raw(key, required=required)
        return None if value is None else Fields(value, self.at(key))

    def need_child(self, key: str) -> Fields:
        child = self.child(key, required=True)
        assert child is not None  # required=True raised otherwise
        return child

    def items(self, key: str, *, required: bool = False) -> list[tuple[str, Any]]:
        """A list's items with their paths; a given list must not be empty."""
        value = self._typed(key, (list,), "a list", required)
        if value is None:
            return []
        if not value:
            raise self.error(key, "must not be an empty list")
        return [(child_path(self.at(key), index), item) for index, item in enumerate(value)]

    def children(self, key: str, *, required: bool = False) -> list[Fields]:
        return [Fields(item, path) for path, item in self.items(key, required=required)]


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What builders need besides the document: where relative file paths start, the clock,
    and the validator dispatcher (handed in, so that wrapping builders - ``dpop``,
    ``cert_bound`` - build their inner validator without importing the dispatcher back)."""

    base_dir: Path
    clock: Clock = system_clock
    dispatch: Callable[[Fields, BuildContext], Validator] | None = None

    def validator(self, fields: Fields) -> Validator:
        """The validator a nested ``{"type": ...}`` object describes."""
        if self.dispatch is None:
            raise ConfigurationError("nested validators need the validator dispatcher")
        return self.dispatch(fields, self)

    def file(self, fields: Fields, key: str) -> Path | None:
        """A file path field, relative to ``base_dir``; the file must exist (checked now, at
        cold start, rather than on the first request)."""
        text = fields.text(key)
        if text is None:
            return None
        path = self.base_dir / text
        if not path.is_file():
            raise fields.error(
                key,
                "no such file (relative paths start at the directory of "
                "the configuration file, or LAMBDA_TASK_ROOT)",
            )
        return path


def aws_settings(fields: Fields) -> AwsClientSettings:
    """The ``region`` and ``endpoint_url`` fields every AWS-backed store takes."""
    from authorizers.keystores.aws import AwsClientSettings  # noqa: PLC0415 - lazy

    return AwsClientSettings(
        region_name=fields.text("region"), endpoint_url=fields.text("endpoint_url")
    )


@contextmanager
def reported_at(path: str) -> Iterator[None]:
    """Re-raise a ``ConfigurationError`` from a constructor as an error at ``path``."""
    try:
        yield
    except ConfigFieldError:
        raise
    except ConfigurationError as error:
        raise ConfigFieldError(path, str(error)) from None


def claim_names(fields: Fields, key: str) -> tuple[str, ...] | dict[str, str] | None:
    """``["email", "tenant"]`` (same names in the context) or ``{"custom:tenant": "tenant"}``
    (claim -> context key)."""
    value = fields.raw(key)
    if value is None or isinstance(value, str | list):
        return fields.texts(key)
    if not isinstance(value, dict) or not value:
        raise fields.error(key, "must be a list of claim names or an object of claim -> key")
    with Fields(value, fields.at(key)) as renames:
        return {claim: renames.need_text(claim) for claim in value}
