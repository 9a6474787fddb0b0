"""CloudFormation YAML and its intrinsic functions, resolved on this machine.

A local gateway needs the values a deployed stack would have - parameter values, function
names, the function an authorizer's ``FunctionArn`` points to - without AWS. Names resolve to
stable local stand-ins: ``!Ref`` of a function is its logical id, ``!GetAtt F.Arn`` a Lambda
ARN ending in that id, an API's id is its logical id; the account, region and partition are
the event factories' (:mod:`authorizers.testing.events`), so ARNs look like the test kit's.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from authorizers.errors import ConfigurationError
from authorizers.testing import events

_SUB = re.compile(r"\$\{([^}]+)\}")
_FUNCTION_TYPES = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
_LAYER_TYPES = frozenset({"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"})


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for is left out."""


NO_VALUE = _NoValue()


class _CfnLoader(yaml.SafeLoader):
    """Reads the short forms: ``!Ref X`` -> ``{"Ref": X}``, ``!GetAtt A.b`` ->
    ``{"Fn::GetAtt": ["A", "b"]}``, ``!Sub s`` -> ``{"Fn::Sub": s}``..."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


def load_yaml(path: Path) -> dict[str, Any]:
    """A CloudFormation/SAM template as plain data (intrinsics in their long form)."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise ConfigurationError(f"{path} has no Resources section")
    return document


class Resolver:
    """Resolves intrinsic functions against parameter values and local stand-in names.

    ``overrides`` replace parameter defaults (as ``sam --parameter-overrides`` does); a name the
    template does not declare, or a value its ``AllowedValues``/``AllowedPattern`` refuses,
    is an error now rather than a puzzling result later.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        overrides: Mapping[str, str] | None = None,
        *,
        stack_name: str = "local",
    ) -> None:
        self.resources: Mapping[str, Any] = template["Resources"]
        self.mappings: Mapping[str, Any] = template.get("Mappings") or {}
        self._conditions: Mapping[str, Any] = template.get("Conditions") or {}
        declared: Mapping[str, Any] = template.get("Parameters") or {}
        unknown = sorted(set(overrides or {}) - set(declared))
        if unknown:
            raise ConfigurationError(f"parameter overrides for undeclared parameters: {unknown}")
        self.parameters = {
            name: _parameter_value(name, spec, (overrides or {}).get(name))
            for name, spec in declared.items()
        }
        self.pseudo = {
            "AWS::Region": events.REGION,
            "AWS::AccountId": events.ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{events.REGION}:{events.ACCOUNT_ID}"
            f":stack/{stack_name}/local",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda v: self.resolve(v[0]).join(map(str, self.resolve(v[1]))),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: self.resolve(v[1]).split(self.resolve(v[0])),
            "Fn::If": self._if,
            "Fn::Equals": lambda v: self.resolve(v[0]) == self.resolve(v[1]),
            "Fn::Not": lambda v: not self.resolve(v[0]),
            "Fn::And": lambda v: all(self.resolve(item) for item in v),
            "Fn::Or": lambda v: any(self.resolve(item) for item in v),
            "Condition": self.condition,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": lambda v: base64.b64encode(str(self.resolve(v)).encode()).decode(),
        }

    # -- public -----------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its value."""
        if isinstance(node, dict):
            if len(node) == 1:
                (name, argument), *_ = node.items()
                function = self._functions.get(name)
                if function is not None:
                    return function(argument)
                if name.startswith("Fn::"):
                    raise ConfigurationError(f"{name} is not supported by the local gateway")
            resolved = {key: self.resolve(value) for key, value in node.items()}
            return {key: value for key, value in resolved.items() if value is not NO_VALUE}
        if isinstance(node, list):
            return [item for item in map(self.resolve, node) if item is not NO_VALUE]
        return node

    def condition(self, name: str) -> bool:
        """The value of a named condition (``Conditions`` section)."""
        if name not in self._conditions:
            raise ConfigurationError(f"unknown condition {name!r}")
        return bool(self.resolve(self._conditions[name]))

    def function_arn(self, logical_id: str) -> str:
        """The stand-in ARN of a template function (what ``!GetAtt F.Arn`` resolves to)."""
        name = self._ref(logical_id)
        return f"arn:aws:lambda:{events.REGION}:{events.ACCOUNT_ID}:function:{name}"

    # -- intrinsic functions ----------------------------------------------------------------

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            value = self.parameters[name]
            if value is None:
                raise ConfigurationError(
                    f"parameter {name} has no value: pass --parameter-overrides {name}=..."
                )
            return value
        resource = self.resources.get(name)
        if not isinstance(resource, dict):
            raise ConfigurationError(f"!Ref {name!r}: no such parameter or resource")
        kind = resource.get("Type")
        if kind in _FUNCTION_TYPES:
            return (resource.get("Properties") or {}).get("FunctionName") or name
        if kind in _LAYER_TYPES:
            return f"arn:aws:lambda:{events.REGION}:{events.ACCOUNT_ID}:layer:{name}:1"
        return name  # API ids, table names, authorizer ids...: the logical id

    def _get_att(self, argument: Any) -> Any:
        logical_id, attribute = self.resolve(argument)
        resource = self.resources.get(logical_id)
        if not isinstance(resource, dict):
            raise ConfigurationError(f"!GetAtt {logical_id}.{attribute}: no such resource")
        if resource.get("Type") in _FUNCTION_TYPES and attribute == "Arn":
            return self.function_arn(logical_id)
        if attribute == "ApiEndpoint":
            return f"https://{logical_id}.execute-api.{events.REGION}.amazonaws.com"
        return f"{logical_id}.{attribute}"  # a readable stand-in for anything else

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name not in self.pseudo:
                return str(self._get_att(name.split(".", 1)))
            return str(self._ref(name))

        return _SUB.sub(replace, text)

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _find_in_map(self, argument: Any) -> Any:
        mapping, top, second = (self.resolve(part) for part in argument)
        try:
            return self.mappings[mapping][top][second]
        except (KeyError, TypeError):
            where = f"!FindInMap [{mapping}, {top}, {second}]"
            raise ConfigurationError(f"{where}: no such entry") from None


def _parameter_value(name: str, spec: Mapping[str, Any], override: str | None) -> Any:
    """A parameter's value: the override, else the default; lists for list types."""
    raw = override if override is not None else spec.get("Default")
    if raw is None:
        return None
    text = str(raw)
    if override is not None:
        allowed = spec.get("AllowedValues")
        if allowed is not None and text not in map(str, allowed):
            raise ConfigurationError(f"parameter {name}: {text!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and re.fullmatch(pattern, text) is None:
            raise ConfigurationError(f"parameter {name}: value does not match {pattern!r}")
    kind = str(spec.get("Type", "String"))
    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        return [item.strip() for item in text.split(",")] if text else []
    return text
