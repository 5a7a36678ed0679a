"""The template as CloudFormation would resolve it for one set of parameter values.

Enough of CloudFormation's evaluation to check what a deployment with given parameters gets: the
conditions, which resources exist, property values with ``Fn::If``/``Ref``/``AWS::NoValue`` resolved,
and the ``Rules`` that refuse a parameter combination before anything is created. References to
resources and their attributes stay symbolic (``<DatabaseCluster.DBClusterArn>``), and so do pseudo
parameters unless given (``Rendered.of(template, **{"AWS::Region": "eu-west-1"})``), which ``Ref``,
``Fn::FindInMap`` and the rules then see.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NO_VALUE = object()
_SYMBOLIC = re.compile(r"<[^>]+>|\$\{")


@dataclass(frozen=True)
class Rendered:
    template: Mapping[str, Any]
    parameters: dict[str, Any]
    conditions: dict[str, bool]

    @classmethod
    def of(cls, template: Mapping[str, Any], **overrides: Any) -> Rendered:
        parameters: dict[str, Any] = {
            name: overrides.pop(name) for name in list(overrides) if name.startswith("AWS::")
        }
        for name, spec in template["Parameters"].items():
            value = overrides.pop(name, spec.get("Default"))
            if spec["Type"] == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            parameters[name] = value
        assert not overrides, f"unknown parameters {sorted(overrides)}"
        rendered = cls(template, parameters, {})
        for name in template.get("Conditions", {}):
            rendered.condition(name)
        return rendered

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def exists(self, resource: str) -> bool:
        condition = self.template["Resources"][resource].get("Condition")
        return condition is None or self.condition(condition)

    def resources(self) -> set[str]:
        return {name for name in self.template["Resources"] if self.exists(name)}

    def properties(self, resource: str) -> Any:
        assert self.exists(resource), f"{resource} is not created with these parameters"
        return self.value(self.template["Resources"][resource].get("Properties", {}))

    def environment(self, function: str) -> dict[str, Any]:
        """A function's variables as SAM merges them with the globals, resolved."""
        merged = dict(self.template["Globals"]["Function"]["Environment"]["Variables"])
        own = self.template["Resources"][function]["Properties"].get("Environment", {})
        merged.update(own.get("Variables", {}))
        resolved: dict[str, Any] = self.value(merged)
        return resolved

    def failed_rules(self) -> list[str]:
        """The AssertDescription of every rule these parameters break."""
        failures = []
        for rule in self.template.get("Rules", {}).values():
            if "RuleCondition" in rule and not self.value(rule["RuleCondition"]):
                continue
            failures += [a["AssertDescription"] for a in rule["Assertions"] if not self.value(a["Assert"])]
        return failures

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, Mapping):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            function = _FUNCTIONS.get(key)
            if function is not None:
                return function(self, argument)
        resolved = {key: self.value(item) for key, item in node.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        return f"<{name}>"

    def _sub(self, argument: str | list[Any]) -> str:
        """Parameters and the given variables substituted; pseudo parameters and resource references
        stay ``${...}``."""
        pattern, variables = (argument, {}) if isinstance(argument, str) else argument
        given = {name: self.value(item) for name, item in variables.items()}
        # A variable only the deployment knows (a piece of the stack id) stays ``${Name}`` too.
        values = {**self.parameters, **{name: v for name, v in given.items() if isinstance(v, str | int)}}
        return re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: str(values.get(m.group(1), m.group(0))), pattern)

    def _split(self, argument: list[Any]) -> Any:
        """A string the parameters decide, split; one that holds a value only the deployment knows
        (``<AWS::StackId>``, ``${AWS::Region}``) stays symbolic."""
        delimiter, source = argument[0], self.value(argument[1])
        if isinstance(source, str) and not _SYMBOLIC.search(source):
            return source.split(delimiter)
        return {"Fn::Split": [delimiter, source]}

    def _select(self, argument: list[Any]) -> Any:
        """An item of a list the parameters decide; a list only the deployment knows stays symbolic."""
        index, items = self.value(argument[0]), self.value(argument[1])
        if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
            return items[int(index)]
        return {"Fn::Select": [index, items]}

    def _find_in_map(self, argument: list[Any]) -> Any:
        """A mapping's value for keys the parameters decide; keys only the deployment knows stay symbolic."""
        name, *keys = (self.value(item) for item in argument[:3])
        if not all(isinstance(key, str) and not _SYMBOLIC.search(key) for key in keys):
            return {"Fn::FindInMap": [name, *keys]}
        top, second = keys
        mapping = self.template["Mappings"][name]
        assert top in mapping and second in mapping[top], f"Fn::FindInMap: {name} has no {top}/{second}"
        return mapping[top][second]

    def _if(self, argument: list[Any]) -> Any:
        condition, when_true, when_false = argument
        return self.value(when_true if self.condition(condition) else when_false)


_FUNCTIONS: dict[str, Callable[[Rendered, Any], Any]] = {
    "Ref": lambda r, a: r._ref(a),
    "Condition": lambda r, a: r.condition(a),
    "Fn::If": lambda r, a: r._if(a),
    "Fn::Equals": lambda r, a: r.value(a[0]) == r.value(a[1]),
    "Fn::Not": lambda r, a: not r.value(a[0]),
    "Fn::And": lambda r, a: all(r.value(item) for item in a),
    "Fn::Or": lambda r, a: any(r.value(item) for item in a),
    "Fn::Join": lambda r, a: a[0].join(str(item) for item in r.value(a[1])),
    "Fn::EachMemberEquals": lambda r, a: all(item == r.value(a[1]) for item in r.value(a[0])),
    "Fn::Contains": lambda r, a: r.value(a[1]) in r.value(a[0]),
    "Fn::FindInMap": lambda r, a: r._find_in_map(a),
    "Fn::GetAtt": lambda r, a: f"<{'.'.join(a) if isinstance(a, list) else a}>",
    "Fn::Sub": lambda r, a: r._sub(a),
    "Fn::Split": lambda r, a: r._split(a),
    "Fn::Select": lambda r, a: r._select(a),
}
