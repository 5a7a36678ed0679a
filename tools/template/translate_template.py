"""Expand template.yaml with the SAM translator, offline, so cfn-lint can check the real resources.

Run with the SAM CLI's interpreter (.venv-tools/sam): the expanded template shows what SAM
generates - execution roles, permissions, the S3 notification - and linting it catches what the
SAM-level lint cannot, such as a circular dependency between the bucket and the functions its events
invoke.

The template declares ``AWS::LanguageExtensions`` before SAM, so the expansion is for one set of
parameter values (the defaults unless ``Name=Value`` arguments say otherwise): the language
extensions resolve every ``Fn::If`` whose condition the parameters decide, as CloudFormation does
before SAM runs, and SAM expands what remains.

From the repository root (``template_render`` lives with the template tests):

    PYTHONPATH=.:tests/template .venv-tools/sam/bin/python -m tools.template.translate_template \
        template.yaml expanded.json [Name=Value ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
from template_render import NO_VALUE, Rendered

# The only AWS managed policies SAM attaches on its own (logging, tracing, VPC access); naming them
# here keeps the translation from calling IAM.
SAM_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
PACKAGED = "s3://deployment-bucket/artifact.zip"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
REGION = {"AWS::Region": "us-east-1"}


class OfflinePolicyLoader:
    def load(self) -> dict[str, str]:
        return SAM_MANAGED_POLICIES


def packaged(template: dict[str, Any], root: Path) -> dict[str, Any]:
    """What `sam package` would hand to CloudFormation: code in S3, the ASL inlined."""
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties["CodeUri"] = PACKAGED
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = PACKAGED
        elif resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            definition = root / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(definition.read_text(encoding="utf-8"))
    return template


def decided(node: Any, rendered: Rendered) -> Any:
    """The node with each ``Fn::If`` replaced by its branch and ``AWS::NoValue`` left out."""
    if isinstance(node, list):
        return [item for item in (decided(v, rendered) for v in node) if item is not NO_VALUE]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::If"}:
        condition, when_true, when_false = node["Fn::If"]
        return decided(when_true if rendered.condition(condition) else when_false, rendered)
    if node == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    resolved = {key: decided(value, rendered) for key, value in node.items()}
    return {key: value for key, value in resolved.items() if value is not NO_VALUE}


def with_language_extensions(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """What CloudFormation hands SAM: ``Fn::If`` resolved in Resources and Outputs, not in Globals."""
    transforms = template.get("Transform", [])
    transforms = transforms if isinstance(transforms, list) else [transforms]
    if LANGUAGE_EXTENSIONS not in transforms:
        return template
    rendered = Rendered.of(template, **parameters, **REGION)
    for section in ("Resources", "Outputs"):
        if section in template:
            template[section] = decided(template[section], rendered)
    template["Transform"] = [name for name in transforms if name != LANGUAGE_EXTENSIONS]
    return template


def deployed(expanded: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """What one deployment with these parameters creates: every condition decided, as lint should see it.

    Resources and outputs whose condition is false are left out, the parameters' defaults become the
    given values (refused if the template's rules refuse them), and parameters nothing uses any more
    are dropped, so lint judges neither the other modes nor placeholder values.
    """
    rendered = Rendered.of(expanded, **parameters, **REGION)
    for section in ("Resources", "Outputs"):
        entries = expanded.get(section, {})
        kept = {
            name: entry
            for name, entry in entries.items()
            if "Condition" not in entry or rendered.condition(entry["Condition"])
        }
        for entry in kept.values():
            entry.pop("Condition", None)
        expanded[section] = decided(kept, rendered)
    broken = rendered.failed_rules()
    if broken:
        raise SystemExit(f"the template's rules refuse these parameters: {broken}")
    expanded.pop("Conditions", None)
    expanded.pop("Rules", None)
    for name, value in parameters.items():
        expanded["Parameters"][name]["Default"] = value
    body = json.dumps({key: value for key, value in expanded.items() if key != "Parameters"})
    expanded["Parameters"] = {
        name: spec
        for name, spec in expanded["Parameters"].items()
        if f'"Ref": "{name}"' in body or f"${{{name}}}" in body
    }
    return expanded


def main(source: str, destination: str, *assignments: str) -> int:
    path = Path(source)
    parameters = dict(assignment.split("=", 1) for assignment in assignments)
    template = with_language_extensions(yaml_parse(path.read_text(encoding="utf-8")), parameters)
    template = packaged(template, path.parent)
    expanded = deployed(transform(template, {**parameters, **REGION}, OfflinePolicyLoader()), parameters)
    Path(destination).write_text(json.dumps(expanded, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
