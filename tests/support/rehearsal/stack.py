"""The stack as CloudFormation would create it from the SAM-expanded template, for one set of parameters.

``expand`` runs SAM's own translator (``tools.template.expansion``) with ``AWS::LanguageExtensions``
resolved for the given parameters. ``DeployedStack`` then resolves what
CloudFormation resolves at create time — ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``,
``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap`` and the pseudo parameters — to the physical names and
ARNs of this rehearsal's stand-ins, and reads off what the rehearsal needs: each function's environment,
Timeout, memory and role policies, the state machine's role, the bucket policy and the custom resource.

Physical names follow AWS's formats with the logical id as the name (functions, roles, the state
machine), so the ARNs the template grants are the ARNs the local world creates. Resources whose ARNs
only a service can make (secrets) are given by the caller, from the stand-ins it created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tools.template.expansion import expand as sam_expand

from support.iam.policy import NamedPolicy

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "mediascribe"
STACK_ID = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/5e6d2c1a-8f3b-4c2d-9e1f-0a1b2c3d4e5f"
)
# What SAM attaches on its own; their actions are for Lambda's and X-Ray's own use (logs, traces),
# which the functions never call through an SDK client.
AWS_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Resource": "*",
            }
        ],
    },
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        ],
    },
}
# Actions the runtime itself uses with the role (log delivery, tracing), never a function's SDK call.
PLATFORM_ACTIONS = ("logs:", "xray:", "ec2:")


@dataclass(frozen=True)
class DeployedFunction:
    logical_id: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int
    role: str
    policies: tuple[NamedPolicy, ...]


@dataclass(frozen=True)
class DeployedStack:
    """One deployment's resources, resolved; ``physical`` overrides names and ARNs by logical id."""

    template: Mapping[str, Any]
    parameters: Mapping[str, str]
    physical: Mapping[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template["Resources"]
        return resources

    def of_type(self, resource_type: str) -> list[str]:
        return [name for name, spec in self.resources.items() if spec["Type"] == resource_type]

    def properties(self, logical_id: str) -> dict[str, Any]:
        resolved: dict[str, Any] = self.resolve(self.resources[logical_id].get("Properties", {}))
        return resolved

    def functions(self) -> dict[str, DeployedFunction]:
        return {name: self.function(name) for name in self.of_type("AWS::Lambda::Function")}

    def function(self, logical_id: str) -> DeployedFunction:
        properties = self.properties(logical_id)
        role = self.resources[logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        variables = properties.get("Environment", {}).get("Variables", {})
        return DeployedFunction(
            logical_id=logical_id,
            environment={name: str(value) for name, value in variables.items()},
            timeout_seconds=int(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
            role=role,
            policies=self.role_policies(role),
        )

    def state_machine_role(self) -> tuple[str, tuple[NamedPolicy, ...]]:
        (machine,) = self.of_type("AWS::StepFunctions::StateMachine")
        role = self.resources[machine]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        return role, self.role_policies(role)

    def role_policies(self, role: str) -> tuple[NamedPolicy, ...]:
        """The role's inline policies and the managed policies it attaches, as documents."""
        properties = self.properties(role)
        policies = [
            (f"{role}/{inline['PolicyName']}", inline["PolicyDocument"])
            for inline in properties.get("Policies", [])
        ]
        managed_by_arn = {self.ref(name): name for name in self.of_type("AWS::IAM::ManagedPolicy")}
        for arn in properties.get("ManagedPolicyArns", []):
            if arn in AWS_MANAGED_POLICIES:
                policies.append((arn.rsplit("/", 1)[1], AWS_MANAGED_POLICIES[arn]))
            elif arn in managed_by_arn:
                name = managed_by_arn[arn]
                policies.append((name, self.properties(name)["PolicyDocument"]))
            else:
                raise ValueError(f"role {role} attaches {arn}, whose document the rehearsal does not know")
        return tuple(policies)

    def bucket_policy(self, bucket_name: str) -> NamedPolicy | None:
        for name in self.of_type("AWS::S3::BucketPolicy"):
            properties = self.properties(name)
            if properties["Bucket"] == bucket_name:
                return (name, properties["PolicyDocument"])
        return None

    # --- CloudFormation's intrinsic functions ------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                target, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.get_att(target, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = self.resolve(argument)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = self.resolve(argument)
                return str(text).split(separator)
            if key == "Fn::FindInMap":
                mapping, top, second = self.resolve(argument)[:3]
                return self.template["Mappings"][mapping][top][second]
            if key.startswith("Fn::"):
                raise ValueError(f"the rehearsal cannot resolve {key}")
        return {key: self.resolve(value) for key, value in node.items()}

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": STACK_ID,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.physical:
            return self.physical[name]
        if name in self.template.get("Parameters", {}):
            return str(self.parameters.get(name, self.template["Parameters"][name].get("Default", "")))
        resource_type = self.resources[name]["Type"]
        arn = _ARNS.get(resource_type)
        if resource_type == "AWS::S3::Bucket":
            return str(self.properties(name)["BucketName"])
        if resource_type == "AWS::SQS::Queue":
            # A queue's Ref is its URL, named here as the logical id.
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if resource_type in _REF_IS_ARN and arn is not None:
            return arn.format(name=name)
        return name

    def get_att(self, target: str, attribute: str) -> str:
        if f"{target}.{attribute}" in self.physical:
            return self.physical[f"{target}.{attribute}"]
        resource_type = self.resources[target]["Type"]
        if attribute == "Arn" and resource_type == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{self.ref(target)}"
        if attribute in ("Arn", "DBClusterArn") and resource_type in _ARNS:
            return _ARNS[resource_type].format(name=self.ref(target) if resource_type in _BY_REF else target)
        if attribute == "Name":
            return target
        raise ValueError(f"the rehearsal cannot resolve {target}.{attribute}")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and not name.startswith("AWS::"):
                target, attribute = name.split(".", 1)
                return self.get_att(target, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}]+)\}", replace, text)


_ARNS = {
    "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{{name}}",
    "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{{name}}",
    "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{ACCOUNT}:policy/{{name}}",
    "AWS::StepFunctions::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{{name}}",
    "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{{name}}",
    "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{{name}}",
    "AWS::RDS::DBCluster": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{{name}}",
    "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{{name}}:*",
    "AWS::Lambda::LayerVersion": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{{name}}:1",
    "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{{name}}",
    "AWS::Events::EventBus": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{{name}}",
}
# Types whose Ref is the ARN itself; for the rest, Ref is the name the ARN is built from.
_REF_IS_ARN = {
    "AWS::IAM::ManagedPolicy",
    "AWS::StepFunctions::StateMachine",
    "AWS::Lambda::LayerVersion",
    "AWS::SNS::Topic",
}
_BY_REF = {"AWS::Lambda::Function", "AWS::IAM::Role"}


def expand(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The SAM-expanded template for ``parameters``, expanded once per parameter set in a session."""
    expanded: dict[str, Any] = json.loads(_expanded(tuple(sorted(parameters.items()))))
    return expanded


@cache
def _expanded(parameters: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(sam_expand(dict(parameters)))
