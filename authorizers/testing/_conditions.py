"""IAM ``Condition`` blocks of an authorizer policy, for the simulator (contract §4.4).

Three-valued: a condition holds (True), fails (False), or cannot be evaluated here (None:
an operator or key outside the supported subset, or a key whose value the simulator does not
know). The simulator counts an unevaluable Allow as unmatched and an unevaluable Deny as
matched, so a condition it cannot evaluate never turns into an Allow.

Supported, with IAM semantics (IAM/reference_policies_multi-value-conditions,
IAM/reference_policies_elements_condition_operators): ``IpAddress``/``NotIpAddress`` (CIDR
values, a bare IP is a /32) and ``StringEquals``/``StringNotEquals`` (exact, case-sensitive),
each also as ``...IfExists``. Operators and keys AND, the values of one key OR. A key absent
from the request makes the test false, except for negated and ``...IfExists`` operators.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authorizers._internal.cidr import CidrSet, parse_address
from authorizers.errors import ConfigurationError
from authorizers.request import AuthRequest, RequestKind

_IP_OPERATORS = frozenset({"IpAddress", "NotIpAddress"})
_STRING_OPERATORS = frozenset({"StringEquals", "StringNotEquals"})
_NEGATED = frozenset({"NotIpAddress", "StringNotEquals"})
#: Keys API Gateway supplies for every authorization type, read from a request header: present
#: only when the caller sent it (AGW/apigateway-resource-policies-aws-condition-keys).
_HEADER_KEYS = {"aws:useragent": "user-agent", "aws:referer": "referer"}
SOURCE_IP = "aws:sourceip"

#: A key's value: a string, or None when the request is known not to carry the key.
KeyValues = Mapping[str, str | None]


def request_keys(request: Any, source_ip: str | None) -> dict[str, str | None]:
    """The condition keys known for ``request`` (lowercase names, as IAM compares them).

    ``aws:SourceIp`` is ``source_ip``, else an event's source IP; an event without one does
    not carry the key (a VPC-endpoint call), a bare route or a TOKEN event leaves it unknown.
    ``aws:UserAgent`` and ``aws:Referer`` are known (present or absent) only from an event
    that carries headers.
    """
    keys: dict[str, str | None] = {}
    if source_ip is not None:
        keys[SOURCE_IP] = source_ip
    if isinstance(request, AuthRequest) and request.kind is not RequestKind.REST_TOKEN:
        keys.setdefault(SOURCE_IP, request.source_ip)
        for key, header in _HEADER_KEYS.items():
            keys[key] = request.header(header)
    return keys


def _values(raw: Any) -> list[str] | None:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        return None
    return items


def _test(base: str, if_exists: bool, value: str | None, raw: Any) -> bool | None:
    """One operator on one key; None when it cannot be evaluated."""
    values = _values(raw)
    if values is None:
        return None
    if value is None:  # key absent from the request
        return if_exists or base in _NEGATED
    if base in _STRING_OPERATORS:
        return (value in values) != (base in _NEGATED)
    address = parse_address(value)
    if address is None:
        return None
    try:
        networks = CidrSet(values)
    except ConfigurationError:
        return None
    return (address in networks) != (base in _NEGATED)


def condition_holds(
    condition: Mapping[str, Any], keys: KeyValues, label: str, warnings: list[str]
) -> bool | None:
    """Whether the ``Condition`` block holds for a request with ``keys`` (see module)."""
    unknown = False
    for operator, tests in condition.items():
        base = operator.removesuffix("IfExists")
        for key, raw in tests.items():
            name = key.lower()
            supported = base in _STRING_OPERATORS or (base in _IP_OPERATORS and name == SOURCE_IP)
            if not supported or name not in keys:
                why = "operator" if not supported else "key's value is not known here"
                warnings.append(f"{label} condition {operator}/{key} not evaluated ({why})")
                unknown = True
                continue
            result = _test(base, base != operator, keys[name], raw)
            if result is None:
                warnings.append(f"{label} condition {operator}/{key} has values it cannot read")
                unknown = True
            elif not result:
                return False  # AND: one failing test decides, whatever else is unknown
    return None if unknown else True


def statement_applies(
    statement: Mapping[str, Any],
    keys: KeyValues,
    *,
    evaluate: bool,
    label: str,
    warnings: list[str],
) -> bool:
    """Whether a statement with a ``Condition`` counts; unevaluated, only a Deny does."""
    deny: bool = statement["Effect"] == "Deny"
    holds: bool | None = None
    if evaluate:
        holds = condition_holds(statement["Condition"], keys, label, warnings)
        warnings.append(
            f"{label} has a Condition: whether API Gateway evaluates conditions in authorizer"
            " policies is UNVERIFIED (contract §4.4)"
        )
    if holds is None:
        effect = "counts as matching (a Deny)" if deny else "is not counted (an Allow)"
        warnings.append(f"{label} {effect}: its condition was not evaluated")
        return deny
    return holds
