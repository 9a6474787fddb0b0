"""Rules over what a REQUEST-type event carries: headers, query, path parameters, stage
variables, source IP and the mTLS client certificate.

Every failure is a 401 (``Unauthorized``) with its own reason code: the request lacks what this
validator requires. Route-by-route refusals of a valid caller (403) belong to access rules.
Values are compared in constant time (a rule may well check a shared header secret) and never
appear in error details - only the parameter's name does.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from authorizers._internal import setting_checks as checks
from authorizers._internal.cidr import CidrPolicy, IPNetwork, parse_address
from authorizers._internal.validator_parts import NamedValidator, refuse_token_event
from authorizers.clock import Clock, system_clock
from authorizers.errors import ConfigurationError, ReasonCode, Unauthorized
from authorizers.identity import Identity
from authorizers.request import AuthRequest, ClientCert

_MISSING = ReasonCode.MISSING_CREDENTIAL
_MISMATCH = ReasonCode.REQUEST_PARAMETER_MISMATCH
_CERT = ReasonCode.CLIENT_CERT_REJECTED
_RULE_KEYS = frozenset({"source", "name", "equals", "one_of", "regex", "required"})


class ParamSource(StrEnum):
    HEADER = "header"
    QUERY = "query"
    PATH = "path"
    STAGE = "stage"

    def read(self, request: AuthRequest, name: str) -> str | None:
        """The single value, or ``None``; conflicting duplicates raise ``ambiguous_credential``."""
        if self is ParamSource.HEADER:
            return request.headers.get(name)
        if self is ParamSource.QUERY:
            return request.query.get(name)
        if self is ParamSource.PATH:
            return request.path_parameters.get(name)
        return request.stage_variables.get(name)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class ValueMatch:
    """Conditions on one value; all given ones must hold. ``regex`` must match the whole value
    (``fullmatch``: ``"prod"`` does not accept ``"prod-evil"``). No condition = presence only."""

    equals: str | None = None
    one_of: frozenset[str] | None = None
    regex: str | None = None
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # an empty condition would mean "anything": refuse it
        if self.equals is not None:
            checks.name(self.equals, "equals")
        if self.one_of is not None:
            object.__setattr__(self, "one_of", checks.names(self.one_of, "one_of", single=False))
        pattern = None
        if self.regex is not None:
            try:
                pattern = re.compile(checks.name(self.regex, "regex"))
            except re.error as error:  # the pattern may be a secret: name the field only
                raise ConfigurationError(f"regex does not compile ({error.msg})") from None
        object.__setattr__(self, "_pattern", pattern)

    def __repr__(self) -> str:  # a value may be a shared secret: which conditions, not what
        given = [name for name in ("equals", "one_of", "regex") if getattr(self, name) is not None]
        return f"ValueMatch({', '.join(given) or 'presence only'})"

    @property
    def presence_only(self) -> bool:
        return self.equals is None and self.one_of is None and self.regex is None

    def matches(self, value: str) -> bool:
        if self.equals is not None and not _same(value, self.equals):
            return False
        # every candidate is compared, so timing does not tell which one was close
        if self.one_of is not None and not sum(_same(value, item) for item in self.one_of):
            return False
        return self._pattern is None or self._pattern.fullmatch(value) is not None


class Conditions(TypedDict, total=False):
    """What :meth:`ParamRule.of` takes besides source and name (typed: a misspelt condition
    fails type checking)."""

    equals: str | None
    one_of: Iterable[str] | None
    regex: str | None
    required: bool


@dataclass(frozen=True, slots=True)
class ParamRule:
    """One named value that must be present (unless ``required=False``) and match."""

    source: ParamSource
    name: str
    match: ValueMatch = ValueMatch()
    required: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", ParamSource(self.source))
        if not isinstance(self.name, str) or not self.name:
            raise ConfigurationError("a request rule needs a parameter name")
        if not self.required and self.match.presence_only:
            raise ConfigurationError(f"optional rule on {self.name!r} checks nothing")

    @classmethod
    def header(cls, name: str, **conditions: Unpack[Conditions]) -> ParamRule:
        return cls.of(ParamSource.HEADER, name, **conditions)

    @classmethod
    def query(cls, name: str, **conditions: Unpack[Conditions]) -> ParamRule:
        return cls.of(ParamSource.QUERY, name, **conditions)

    @classmethod
    def path(cls, name: str, **conditions: Unpack[Conditions]) -> ParamRule:
        return cls.of(ParamSource.PATH, name, **conditions)

    @classmethod
    def stage(cls, name: str, **conditions: Unpack[Conditions]) -> ParamRule:
        return cls.of(ParamSource.STAGE, name, **conditions)

    @classmethod
    def of(
        cls,
        source: ParamSource | str,
        name: str,
        *,
        equals: str | None = None,
        one_of: Iterable[str] | None = None,
        regex: str | None = None,
        required: bool = True,
    ) -> ParamRule:
        # one_of="acme" must not become the character set {a, c, e, m}: checked as given
        allowed = None if one_of is None else checks.names(one_of, "one_of", single=False)
        return cls(ParamSource(source), name, ValueMatch(equals, allowed, regex), required)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ParamRule:
        """``{"source": "header", "name": "x-tenant", "one_of": ["a", "b"]}`` (JSON config)."""
        if not isinstance(data, Mapping) or set(data) - _RULE_KEYS:
            raise ConfigurationError(f"a request rule is an object with keys {sorted(_RULE_KEYS)}")
        source, name = data.get("source"), data.get("name")
        one_of, required = data.get("one_of"), data.get("required", True)
        if source not in set(ParamSource) or not isinstance(name, str):
            raise ConfigurationError("a request rule needs 'source' (header|query|path|stage)")
        if one_of is not None and not isinstance(one_of, list):
            raise ConfigurationError("'one_of' must be a list of strings")
        for key in ("equals", "regex"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise ConfigurationError(f"{key!r} must be a string")
        if not isinstance(required, bool):
            raise ConfigurationError("'required' must be a boolean")
        return cls.of(
            source,
            name,
            equals=data.get("equals"),
            one_of=one_of,
            regex=data.get("regex"),
            required=required,
        )

    def to_mapping(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source.value, "name": self.name}
        if self.match.equals is not None:
            data["equals"] = self.match.equals
        if self.match.one_of is not None:
            data["one_of"] = sorted(self.match.one_of)
        if self.match.regex is not None:
            data["regex"] = self.match.regex
        if not self.required:
            data["required"] = False
        return data

    def check(self, request: AuthRequest) -> None:
        value = self.source.read(request, self.name)
        where = f"{self.source.value} {self.name!r}"
        if value is None:
            if self.required:
                raise Unauthorized(_MISSING, f"{where} is missing")
            return
        if not self.match.matches(value):
            raise Unauthorized(_MISMATCH, f"{where} does not match the rule")


@dataclass(frozen=True, slots=True)
class ClientCertRule:
    """Checks on the mTLS client certificate API Gateway already verified against its truststore.

    Serial numbers compare case-insensitively with ``:`` separators ignored. ``check_validity``
    re-checks the validity window against the injected clock (fail closed if unparseable).
    """

    subject_dn: ValueMatch | None = None
    issuer_dn: ValueMatch | None = None
    serial_numbers: frozenset[str] | None = None
    check_validity: bool = True

    def __post_init__(self) -> None:
        if self.serial_numbers is not None:
            serials = checks.names(self.serial_numbers, "serial_numbers", single=False)
            object.__setattr__(self, "serial_numbers", frozenset(map(_serial, serials)))

    def check(self, cert: ClientCert | None, now: float) -> None:
        if cert is None:
            raise Unauthorized(_MISSING, "no mTLS client certificate")
        for label, value, match in (
            ("subject DN", cert.subject_dn, self.subject_dn),
            ("issuer DN", cert.issuer_dn, self.issuer_dn),
        ):
            if match is not None and (value is None or not match.matches(value)):
                raise Unauthorized(_CERT, f"client certificate {label} does not match")
        if self.serial_numbers is not None and (
            cert.serial_number is None or _serial(cert.serial_number) not in self.serial_numbers
        ):
            raise Unauthorized(_CERT, "client certificate serial number is not allowed")
        if self.check_validity:
            not_before, not_after = _cert_time(cert.not_before), _cert_time(cert.not_after)
            if not_before is None or not_after is None:
                raise Unauthorized(_CERT, "client certificate validity is missing or unreadable")
            if not not_before <= now <= not_after:
                raise Unauthorized(_CERT, "client certificate is outside its validity window")


def _serial(text: str) -> str:
    return text.replace(":", "").strip().lower()


def _cert_time(text: str | None) -> float | None:
    """``"May 28 12:30:02 2019 GMT"`` (OpenSSL, what API Gateway sends) or ISO 8601."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC).timestamp()
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


_PRINCIPAL_SOURCES = {*ParamSource, "client_cert"}


class RequestValidator(NamedValidator):
    """All configured checks must pass; the result is an :class:`Identity` whose principal is
    ``principal`` (a fixed name) or read per ``principal_from`` (``"header:x-client-id"``,
    ``"query:…"``, ``"path:…"``, ``"stage:…"``, ``"client_cert:subject_dn"``).

    A principal read from a header is only as trustworthy as the rules that check it. IP lists
    are CIDR blocks, IPv4 or IPv6; a match in ``deny_cidrs`` always wins.
    """

    def __init__(
        self,
        rules: Iterable[ParamRule] = (),
        *,
        allow_cidrs: Iterable[str | IPNetwork] = (),
        deny_cidrs: Iterable[str | IPNetwork] = (),
        client_cert: ClientCertRule | None = None,
        principal: str = "anonymous",
        principal_from: str | None = None,
        clock: Clock = system_clock,
        name: str = "request",
    ) -> None:
        self.rules = tuple(rules)
        self.ip_policy = CidrPolicy(allow_cidrs, deny_cidrs)
        self.client_cert = client_cert
        if not (self.rules or self.ip_policy or client_cert):
            raise ConfigurationError("RequestValidator without rules would accept every request")
        if not principal:
            raise ConfigurationError("principal must be a non-empty name")
        self.principal = principal
        self.principal_from = _principal_spec(principal_from) if principal_from else None
        self._clock = clock
        super().__init__(name)

    def validate(self, request: AuthRequest) -> Identity:
        refuse_token_event(
            request,
            "RequestValidator needs a REQUEST authorizer (REST REQUEST, HTTP API or WebSocket): "
            "a TOKEN event carries no headers, query, IP or certificate",
        )
        if self.ip_policy:
            self._check_source_ip(request.source_ip)
        if self.client_cert is not None:
            self.client_cert.check(request.client_cert, self._clock())
        for rule in self.rules:
            rule.check(request)
        return Identity(principal_id=self._principal(request), validator=self._name)

    def _check_source_ip(self, source_ip: str | None) -> None:
        if not source_ip:
            raise Unauthorized(_MISSING, "request has no source IP")
        address = parse_address(source_ip)
        if address is None or not self.ip_policy.permits(address):
            raise Unauthorized(ReasonCode.SOURCE_IP_DENIED, "source IP is not allowed")

    def _principal(self, request: AuthRequest) -> str:
        if self.principal_from is None:
            return self.principal
        source, name = self.principal_from
        if source == "client_cert":
            value = request.client_cert.subject_dn if request.client_cert else None
        else:
            value = ParamSource(source).read(request, name)
        if not value:
            raise Unauthorized(_MISSING, f"principal source {source} {name!r} is missing")
        return value


def _principal_spec(spec: str) -> tuple[str, str]:
    source, _, name = spec.partition(":")
    if source not in _PRINCIPAL_SOURCES or not name:
        raise ConfigurationError(
            "principal_from is '<header|query|path|stage>:<name>' or 'client_cert:subject_dn'"
        )
    if source == "client_cert" and name != "subject_dn":
        raise ConfigurationError("principal_from 'client_cert' supports 'subject_dn' only")
    return source, name
