"""A template's CloudFormation ``Rules``, checked as CloudFormation checks them before it
creates anything: ``authorizers serve`` refuses what a deploy would refuse, with the rule's
own ``AssertDescription``, instead of serving functions that fail on every request.

Assertions are evaluated with the local resolver (``Fn::Equals``, ``Fn::Not``, ``Fn::And``,
``Fn::Or``, ``Ref``...); a rule using a function it does not know (``Fn::Contains``,
``Fn::EachMemberEquals``, ``Fn::ValueOf``...) is skipped and reported, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authorizers.errors import ConfigurationError
from authorizers.local.intrinsics import Resolver


def check_rules(document: Mapping[str, Any], resolver: Resolver) -> list[str]:
    """Raise ``ConfigurationError`` for the first assertion that fails; return warnings for
    the rules that could not be evaluated here."""
    skipped: list[str] = []
    rules = document.get("Rules") or {}
    for name, rule in rules.items() if isinstance(rules, dict) else ():
        if not isinstance(rule, dict):
            continue
        try:
            applies = "RuleCondition" not in rule or bool(resolver.resolve(rule["RuleCondition"]))
            failed = next(
                (
                    assertion
                    for assertion in rule.get("Assertions") or []
                    if applies and not resolver.resolve(assertion.get("Assert"))
                ),
                None,
            )
        except ConfigurationError as error:
            skipped.append(f"rule {name} not checked locally: {error}")
            continue
        if failed is not None:
            description = failed.get("AssertDescription") or "its assertion does not hold"
            raise ConfigurationError(f"rule {name}: {description}")
    return skipped
