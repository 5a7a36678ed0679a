"""What the local runner needs from ``template.yaml``: the state machine and the functions it calls.

The short intrinsic tags (``!Ref``, ``!GetAtt``, ``!Sub``...) are read into their long form
(``{"Fn::GetAtt": [...]}``), as CloudFormation does. Only the shape is read here; environment values
meant for Lambda (``/opt/bin/ffmpeg``, secret ARNs) are not, because the runner supplies local
equivalents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mediascribe.errors import ConfigurationError

FUNCTION_TYPE = "AWS::Serverless::Function"
STATE_MACHINE_TYPE = "AWS::Serverless::StateMachine"


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str

    @property
    def module_file(self) -> Path:
        module, _, _ = self.handler.rpartition(".")
        return self.code_dir / (module.replace(".", "/") + ".py")

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition_path: Path
    substitutions: dict[str, Any]


@dataclass(frozen=True)
class TemplateSpec:
    root: Path
    functions: dict[str, FunctionSpec]
    state_machine: StateMachineSpec
    parameter_defaults: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> TemplateSpec:
        template = read_template(path)
        root = path.parent
        resources: dict[str, Any] = template.get("Resources", {})
        default_handler = template.get("Globals", {}).get("Function", {}).get("Handler")
        functions = {
            name: _function(root, name, resource["Properties"], default_handler)
            for name, resource in resources.items()
            if resource.get("Type") == FUNCTION_TYPE
        }
        machines = [
            StateMachineSpec(
                logical_id=name,
                definition_path=root / resource["Properties"]["DefinitionUri"],
                substitutions=dict(resource["Properties"].get("DefinitionSubstitutions", {})),
            )
            for name, resource in resources.items()
            if resource.get("Type") == STATE_MACHINE_TYPE
        ]
        if len(machines) != 1:
            raise ConfigurationError(f"expected one state machine in {path}, found {len(machines)}")
        defaults = {
            name: spec["Default"]
            for name, spec in template.get("Parameters", {}).items()
            if "Default" in spec
        }
        return cls(root=root, functions=functions, state_machine=machines[0], parameter_defaults=defaults)

    def resolve_substitutions(
        self, function_arns: dict[str, str], overrides: dict[str, Any]
    ) -> dict[str, str]:
        """Turn ``!GetAtt Fn.Arn`` into the local function's ARN and ``!Ref Param`` into its value."""
        resolved: dict[str, str] = {}
        for name, value in self.state_machine.substitutions.items():
            resolved[name] = str(self._resolve(name, value, function_arns, overrides))
        return resolved

    def _resolve(
        self, name: str, value: Any, function_arns: dict[str, str], overrides: dict[str, Any]
    ) -> Any:
        if not isinstance(value, dict):
            return value
        if "Fn::GetAtt" in value:
            target, attribute = _getatt_parts(value["Fn::GetAtt"])
            if attribute == "Arn" and target in function_arns:
                return function_arns[target]
        if "Ref" in value:
            ref = value["Ref"]
            if ref in overrides:
                return overrides[ref]
            if ref in self.parameter_defaults:
                return self.parameter_defaults[ref]
            if ref in function_arns:
                return function_arns[ref]
        raise ConfigurationError(f"cannot resolve DefinitionSubstitutions {name}: {value}")


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short intrinsic tags."""


def _intrinsic(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def read_template(path: Path) -> dict[str, Any]:
    """The template as CloudFormation reads it; a clear error when it is not a template."""
    try:
        template = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot parse {path}: {exc}") from exc
    if not isinstance(template, dict):
        raise ConfigurationError(f"cannot parse {path}: not a template")
    return template


def _function(root: Path, name: str, properties: dict[str, Any], default_handler: str | None) -> FunctionSpec:
    handler = properties.get("Handler") or default_handler
    code_uri = properties.get("CodeUri")
    if not isinstance(code_uri, str) or not handler:
        raise ConfigurationError(f"function {name} needs a local CodeUri and a Handler")
    return FunctionSpec(logical_id=name, code_dir=root / code_uri, handler=str(handler))


def _getatt_parts(value: Any) -> tuple[str, str]:
    if isinstance(value, str):
        target, _, attribute = value.partition(".")
        return target, attribute
    return str(value[0]), str(value[1])
