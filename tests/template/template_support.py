"""Reading template.yaml the way CloudFormation does, and judging its IAM statements.

``tools/template/check_expanded.py`` applies the same judgements to a template SAM has already
expanded, so the policies SAM generates pass the same wildcard rules as the ones written by hand.

The template uses short-form intrinsics (``!Ref``, ``!Sub``, ``!GetAtt``...), which a plain YAML loader
rejects; cfn-lint's decoder turns them into their long form (``{"Fn::Sub": ...}``), so the checks
below see exactly the structure CloudFormation receives.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

from support.paths import ASL as ASL_PATH  # noqa: F401 - the template tests import it from here
from support.paths import REPO as REPO
from support.paths import TEMPLATE as TEMPLATE_PATH

# Actions AWS authorizes only on Resource "*": there is no narrower resource to name.
RESOURCE_STAR_ACTIONS: Mapping[str, str] = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
    "logs:CreateLogDelivery": "vended log delivery (Step Functions logging) supports only *",
    "logs:GetLogDelivery": "vended log delivery (Step Functions logging) supports only *",
    "logs:UpdateLogDelivery": "vended log delivery (Step Functions logging) supports only *",
    "logs:DeleteLogDelivery": "vended log delivery (Step Functions logging) supports only *",
    "logs:ListLogDeliveries": "vended log delivery (Step Functions logging) supports only *",
    "logs:PutResourcePolicy": "log group resource policies for vended delivery support only *",
    "logs:DescribeResourcePolicies": "log group resource policies for vended delivery support only *",
    "logs:DescribeLogGroups": "listing log groups has no resource-level permissions",
    "cloudwatch:PutMetricData": "CloudWatch metrics have no resource-level permissions",
    "transcribe:TranscribeAudio": "a synchronous transcription creates no Transcribe resource to name",
}

# SAM policy templates the template may use: each expands to actions on the one resource passed in.
ALLOWED_POLICY_TEMPLATES = frozenset(
    {"LambdaInvokePolicy", "AWSSecretsManagerGetSecretValuePolicy", "StepFunctionsExecutionPolicy"}
)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    template, problems = decode_str(path.read_text(encoding="utf-8"))
    if problems:
        raise ValueError(f"{path} does not parse: {[str(p) for p in problems]}")
    loaded: dict[str, Any] = template
    return loaded


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def functions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::Serverless::Function")


def function_environment(template: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Globals merged with the function's own variables, as SAM merges them."""
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    own = functions(template)[name]["Properties"].get("Environment", {}).get("Variables", {})
    merged.update(own)
    return merged


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> list[Any]:
    """Every value an ``Fn::If`` (nested or not) may take, without ``AWS::NoValue``; else the value."""
    if isinstance(value, Mapping) and "Fn::If" in value:
        return [leaf for branch in value["Fn::If"][1:] for leaf in branches(branch)]
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def s3_policies(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Our managed policies that grant S3 access (the others grant the database and secrets)."""
    return {
        name: policy
        for name, policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").items()
        if all(
            str(action).startswith("s3:")
            for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
            for leaf in branches(statement)
            for action in as_list(leaf["Action"])
        )
    }


def literal_text(value: Any) -> str | None:
    """The text of a plain string or an ``Fn::Sub`` pattern; None for a reference to one resource."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and "Fn::Sub" in value:
        pattern = value["Fn::Sub"]
        return pattern if isinstance(pattern, str) else pattern[0]
    return None


@dataclass(frozen=True)
class Statement:
    origin: str
    body: Mapping[str, Any]


def policy_statements(template: Mapping[str, Any]) -> Iterator[Statement]:
    """Every IAM statement written in the template: managed, inline, role and resource policies."""
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents: list[Any] = []
        if "PolicyDocument" in properties:
            documents.append(properties["PolicyDocument"])
        for policy in properties.get("Policies", []) if isinstance(properties.get("Policies"), list) else []:
            if isinstance(policy, Mapping) and "Statement" in policy:
                documents.append(policy)
            elif isinstance(policy, Mapping) and "PolicyDocument" in policy:
                documents.append(policy["PolicyDocument"])
        for document in documents:
            for written in as_list(document["Statement"]):
                for statement in branches(written):
                    yield Statement(f"{name}/{statement.get('Sid', '?')}", statement)


def resource_is_too_wide(resource: Any) -> bool:
    """True for "*", anything of a service, or every object of a bucket; a prefix wildcard is fine.

    ``arn:...:::bucket/${UploadPrefix}*`` and ``arn:...:::bucket/uploads/*`` name the objects under
    one prefix (so does ``arn:...:::bucket/${WorkPrefix}*/chunks/*``, a part of them), while
    ``arn:...:::bucket/*`` or ``arn:aws:s3:::*`` name everything.
    """
    text = literal_text(resource)
    if text is None or "*" not in text:
        return False
    # Every Region, one named resource (a model an inference profile may route to): that is narrow.
    fields = re.sub(r"\$\{[^}]*\}", "v", text).split(":", 5)
    if len(fields) == 6 and fields[3] == "*" and "*" not in fields[4] + fields[5]:
        return False
    # What the first wildcard may stand for decides: ``${WorkPrefix}*/chunks/*`` is within one prefix.
    scope = text.split("*", 1)[0].rsplit(":", 1)[-1]
    whole_bucket = scope.endswith("/") and scope.count("/") == 1
    return scope == "" or whole_bucket


def wildcard_findings(statements: Iterator[Statement] | list[Statement]) -> list[str]:
    """Allow statements with a wildcard action, or a wildcard resource outside the allow-list.

    Deny statements are not findings: a wildcard there narrows access (the TLS-only bucket policy).
    """
    findings: list[str] = []
    for statement in statements:
        body = statement.body
        if body.get("Effect") != "Allow":
            continue
        if "NotAction" in body or "NotResource" in body:
            findings.append(f"{statement.origin}: NotAction/NotResource grants everything else")
            continue
        actions = [str(a) for a in as_list(body.get("Action", []))]
        findings += [f"{statement.origin}: wildcard action {a!r}" for a in actions if "*" in a]
        resources = as_list(body.get("Resource", []))
        for resource in resources:
            if literal_text(resource) == "*":
                findings += [
                    f"{statement.origin}: {a} on Resource '*' is not allow-listed"
                    for a in actions
                    if a not in RESOURCE_STAR_ACTIONS
                ]
            elif resource_is_too_wide(resource):
                findings.append(f"{statement.origin}: resource {literal_text(resource)!r} is too wide")
    return findings


def policy_template_findings(template: Mapping[str, Any]) -> list[str]:
    """SAM ``Policies`` entries that are neither an allowed policy template nor our own managed policy."""
    managed = set(resources_of_type(template, "AWS::IAM::ManagedPolicy"))
    findings: list[str] = []
    for name, resource in template["Resources"].items():
        if not resource["Type"].startswith("AWS::Serverless::"):
            continue
        for policy in [
            leaf for p in as_list(resource.get("Properties", {}).get("Policies", [])) for leaf in branches(p)
        ]:
            if isinstance(policy, Mapping) and set(policy) == {"Ref"} and policy["Ref"] in managed:
                continue
            if isinstance(policy, Mapping) and "Statement" in policy:
                continue
            if isinstance(policy, Mapping) and len(policy) == 1:
                ((policy_name, arguments),) = policy.items()
                if policy_name not in ALLOWED_POLICY_TEMPLATES:
                    findings.append(f"{name}: policy template {policy_name} is not allow-listed")
                elif any(literal_text(v) == "*" for v in arguments.values()):
                    findings.append(f"{name}: {policy_name} with a '*' argument")
                continue
            findings.append(f"{name}: policy {policy!r} (AWS managed or unknown) is not allowed")
    return findings


def generated_findings(template: Mapping[str, Any]) -> list[str]:
    """What SAM may generate that the written template cannot show.

    A deployment with ``StageName`` makes API Gateway create a second, unthrottled stage named
    "Stage"; a service's invoke permission without ``SourceArn`` lets any resource of that service
    (any bucket, any rule) invoke the function.
    """
    findings: list[str] = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::ApiGateway::Deployment" and "StageName" in properties:
            findings.append(f"{name}: the deployment creates an extra stage {properties['StageName']!r}")
        if resource["Type"] == "AWS::Lambda::Permission" and "SourceArn" not in properties:
            findings.append(f"{name}: {properties.get('Principal')} may invoke from any source")
    return findings
