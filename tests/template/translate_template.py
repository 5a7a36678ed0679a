"""Expand template.yaml with the SAM translator, offline, so cfn-lint can check the real resources.

Run with the SAM CLI's interpreter (scripts/check-template.sh uses .venv-tools/sam): the expanded
template shows what SAM generates - execution roles, permissions, the S3 notification - and linting
it catches what the SAM-level lint cannot, such as a circular dependency between the bucket and the
functions its events invoke.

    python translate_template.py template.yaml expanded.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# The only AWS managed policies SAM attaches on its own (logging, tracing, VPC access); naming them
# here keeps the translation from calling IAM.
SAM_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}
PACKAGED = "s3://deployment-bucket/artifact.zip"


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


def main(source: str, destination: str) -> int:
    path = Path(source)
    template = packaged(yaml_parse(path.read_text(encoding="utf-8")), path.parent)
    expanded = transform(template, {"AWS::Region": "us-east-1"}, OfflinePolicyLoader())
    Path(destination).write_text(json.dumps(expanded, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
