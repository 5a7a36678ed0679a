"""Security properties of template.yaml: least-privilege IAM, a private TLS-only bucket, an IAM-only API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from template_support import (
    REPO,
    Statement,
    as_list,
    branches,
    function_environment,
    functions,
    literal_text,
    policy_statements,
    policy_template_findings,
    resources_of_type,
    s3_policies,
    wildcard_findings,
)

from mediascribe.config import Settings

# What each function may touch: our managed policies by name, "db" (DatabaseAccessPolicy: the
# database's secret and Data API), "openai" (the API key secret, when one is configured) and "states"
# (starting executions). Anything more is a finding.
EXPECTED_ACCESS: dict[str, set[str]] = {
    "StartJobFunction": {"BucketListPolicy", "SourceReadPolicy", "db", "states"},
    "JobsApiFunction": {
        "BucketListPolicy",
        "SourceReadPolicy",
        "SourceUploadPolicy",
        "PageReadPolicy",
        "db",
        "states",
        "invoke:WriteNotesFunction",
    },
    # The sweeper and the notes step announce what no execution announces (PutEventsPolicy).
    "SweepStaleJobsFunction": {"db", "ListExecutions", "PutEventsPolicy"},
    "ProbeMediaFunction": {"BucketListPolicy", "SourceReadPolicy", "db"},
    "PrepareAudioFunction": {
        "BucketListPolicy",
        "SourceReadPolicy",
        "WorkReadPolicy",
        "WorkWritePolicy",
        "db",
    },
    # WorkReadPolicy with OpenAI; TranscribeAudioPolicy (chunks through the service only) with Amazon.
    "TranscribeChunkFunction": {
        "BucketListPolicy",
        "WorkReadPolicy",
        "TranscribeAudioPolicy",
        "WorkWritePolicy",
        "db",
        "openai",
    },
    "FinalizeTranscriptFunction": {"BucketListPolicy", "WorkReadPolicy", "WorkWritePolicy", "db"},
    "MarkJobSkippedFunction": {"db"},
    "MarkJobFailedFunction": {"db"},
    "WriteNotesFunction": {
        "WorkReadPolicy",
        "PageWritePolicy",
        "PutEventsPolicy",
        "db",
        "openai",
        "InvokeNotesModel",
        "InvokeNotesProfile",
        "ReadNotionToken",
    },
    "MigrateDatabaseFunction": {"db", "MasterSecretReadPolicy"},
    # With WebhookUrl: its queue's messages and its signing secret.
    "DeliverWebhookFunction": {"db", "ConsumeWebhookQueue", "ReadWebhookSecret", "DecryptWebhookSecret"},
}

SECRET_PARAMETERS = (
    "DatabaseSecretArn",
    "OpenAIApiKeySecretArn",
    "NotionTokenSecretArn",
    "WebhookSecretArn",
)
ACCESS_NAMES = {"DatabaseAccessPolicy": "db", "OpenAIApiKeyAccessPolicy": "openai"}


def granted_access(policies: list[Any]) -> set[str]:
    granted: set[str] = set()
    for policy in [leaf for written in policies for leaf in branches(written)]:
        if "Ref" in policy:
            granted.add(ACCESS_NAMES.get(policy["Ref"], policy["Ref"]))
        elif "StepFunctionsExecutionPolicy" in policy:
            granted.add("states")
        elif "LambdaInvokePolicy" in policy:
            granted.add(f"invoke:{policy['LambdaInvokePolicy']['FunctionName']['Ref']}")
        elif "Statement" in policy:
            granted.update(statement["Sid"] for statement in as_list(policy["Statement"]))
        else:
            granted.add(repr(policy))
    return granted


def test_no_wildcards_outside_the_allow_list(template: dict[str, Any]) -> None:
    statements = list(policy_statements(template))
    assert len(statements) >= 6, "the template's policies were not found"
    assert wildcard_findings(statements) == []


def test_policies_are_allowed_templates_or_our_own_managed_policies(template: dict[str, Any]) -> None:
    assert policy_template_findings(template) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/uploads/*"}, "wildcard action"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "not allow-listed"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, "too wide"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:aws:s3:::*"}},
            "too wide",
        ),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ],
)
def test_wildcard_checker_catches_wide_grants(statement: dict[str, Any], expected: str) -> None:
    findings = wildcard_findings([Statement("Probe/Wide", statement)])
    assert len(findings) == 1
    assert expected in findings[0]


def test_wildcard_checker_accepts_prefix_scoped_and_allow_listed_grants() -> None:
    statements = [
        Statement("a", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": {"Fn::Sub": "arn:b/${P}*"}}),
        Statement("b", {"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"}),
        Statement("c", {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}),
    ]
    assert wildcard_findings(statements) == []


def test_each_function_gets_exactly_the_access_it_needs(template: dict[str, Any]) -> None:
    granted = {
        name: granted_access(resource["Properties"].get("Policies", []))
        for name, resource in functions(template).items()
    }
    assert granted == EXPECTED_ACCESS


def test_s3_grants_are_scoped_to_one_prefix_of_the_media_bucket(template: dict[str, Any]) -> None:
    policies = s3_policies(template)
    assert len(policies) >= 4, "the S3 policies were not found"
    for name, policy in policies.items():
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            actions = as_list(statement["Action"])
            for resource in as_list(statement["Resource"]):
                arn = literal_text(resource)
                assert arn is not None and arn.startswith("arn:${AWS::Partition}:s3:::mediascribe-"), name
                if actions == ["s3:ListBucket"]:
                    assert "/" not in arn.split(":::", 1)[1], f"{name}: ListBucket names the bucket itself"
                else:
                    # A whole prefix, or one kind of file in every job's folder (the transcript page).
                    scoped = arn.endswith(
                        ("/${UploadPrefix}*", "/${WorkPrefix}*", "/${WorkPrefix}*/transcript.html")
                    )
                    assert scoped, f"{name}: {arn}"


def test_work_files_can_be_replaced_and_deleted_but_sources_never(template: dict[str, Any]) -> None:
    """A step starting over deletes its own partial results; nothing may delete or overwrite uploads."""
    policies = s3_policies(template)
    by_prefix: dict[str, set[str]] = {}
    for policy in policies.values():
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            for resource in as_list(statement["Resource"]):
                arn = literal_text(resource) or ""
                prefix = arn.rsplit("/", 1)[-1] if "/" in arn else ""
                by_prefix.setdefault(prefix, set()).update(as_list(statement["Action"]))
    assert {"s3:PutObject", "s3:DeleteObject", "s3:GetObject"} <= by_prefix["${WorkPrefix}*"]
    assert by_prefix["${UploadPrefix}*"] == {"s3:GetObject", "s3:PutObject"}
    assert by_prefix[""] == {"s3:ListBucket"}


def test_bucket_name_is_built_the_same_way_everywhere_without_a_cycle(template: dict[str, Any]) -> None:
    """Functions and policies rebuild the bucket name; a !Ref to the bucket there would be a cycle."""
    bucket = template["Resources"]["MediaBucket"]["Properties"]["BucketName"]
    bucket_suffix = bucket["Fn::Sub"][1]
    assert function_environment(template, "StartJobFunction")["MEDIA_BUCKET"] == bucket
    permission = template["Resources"]["UploadNotificationPermission"]["Properties"]["SourceArn"]
    assert permission["Fn::Sub"][1] == bucket_suffix
    assert permission["Fn::Sub"][0] == "arn:${AWS::Partition}:s3:::" + bucket["Fn::Sub"][0]
    for policy in s3_policies(template).values():
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"]):
            for resource in as_list(statement["Resource"]):
                assert resource["Fn::Sub"][1] == bucket_suffix
                assert bucket["Fn::Sub"][0] in resource["Fn::Sub"][0]
    assert "MediaBucket" not in repr(template["Globals"])


def test_bucket_is_private_encrypted_versioned_and_expires_work_files(template: dict[str, Any]) -> None:
    properties = template["Resources"]["MediaBucket"]["Properties"]
    assert all(properties["PublicAccessBlockConfiguration"].values())
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"aws:kms", "AES256"}
    assert properties["VersioningConfiguration"]["Status"] == "Enabled"
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    rules = properties["LifecycleConfiguration"]["Rules"]
    work_rules = [r for r in rules if r.get("Prefix") == {"Ref": "WorkPrefix"} and r["Status"] == "Enabled"]
    assert work_rules and "ExpirationInDays" in work_rules[0]
    assert any("NoncurrentVersionExpiration" in r and "Prefix" not in r for r in rules)
    assert not any(r.get("Prefix") == {"Ref": "UploadPrefix"} for r in rules), "sources must not expire"


def test_bucket_policy_denies_every_request_without_tls(template: dict[str, Any]) -> None:
    (policy,) = resources_of_type(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": "MediaBucket"}
    statements = as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    tls = [
        s for s in statements if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert len(tls) == 1
    (deny,) = tls
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    covered = {repr(r) for r in as_list(deny["Resource"])}
    assert repr({"Fn::GetAtt": ["MediaBucket", "Arn"]}) in covered
    assert repr({"Fn::Sub": "${MediaBucket.Arn}/*"}) in covered


def test_api_requires_iam_on_every_method(template: dict[str, Any]) -> None:
    apis = resources_of_type(template, "AWS::Serverless::Api")
    assert set(apis) == {"JobsApi"}
    auth = apis["JobsApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    routes = set()
    for name, function in functions(template).items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            properties = event["Properties"]
            assert properties.get("RestApiId") == {"Ref": "JobsApi"}, f"{name}: implicit API without auth"
            assert properties.get("Auth", {}).get("Authorizer", "AWS_IAM") == "AWS_IAM"
            routes.add((properties["Method"].upper(), properties["Path"]))
    assert routes == {
        ("POST", "/jobs"),
        ("GET", "/jobs/{job_id}"),
        ("POST", "/jobs/{job_id}/retry"),
        ("POST", "/jobs/{job_id}/notes"),
        ("GET", "/jobs/{job_id}/page"),
        ("GET", "/search"),
    }


def test_api_admins_are_nobody_by_default_and_named_only_by_whole_arns(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["ApiAdminPrincipalArns"]
    assert parameter["Default"] == ""
    with_admins = {
        name for name in functions(template) if "API_ADMIN_PRINCIPALS" in function_environment(template, name)
    }
    assert with_admins == {"JobsApiFunction"}
    assert function_environment(template, "JobsApiFunction")["API_ADMIN_PRINCIPALS"] == {
        "Ref": "ApiAdminPrincipalArns"
    }
    pattern = re.compile(parameter["AllowedPattern"])
    accepted = [
        "",
        "arn:aws:iam::123456789012:role/operator",
        "arn:aws:iam::123456789012:role/ops/operator,arn:aws-us-gov:iam::123456789012:user/alice",
        "arn:aws:sts::123456789012:assumed-role/operator/night-shift",
    ]
    for value in accepted:
        assert pattern.match(value), value
        Settings.from_env({"API_ADMIN_PRINCIPALS": value})  # what deploys, the function accepts
    refused = ["*", "arn:aws:iam::123456789012:role/*", "arn:aws:iam::*:root", "operator", "a, b", ","]
    for value in refused:
        assert not pattern.match(value), value


def test_secrets_reach_functions_only_by_arn(template: dict[str, Any]) -> None:
    for name in functions(template):
        environment = function_environment(template, name)
        assert "OPENAI_API_KEY" not in environment and "DATABASE_URL" not in environment, name
        assert {"Ref": "DatabaseSecretArn"} in branches(environment["DATABASE_SECRET_ARN"])
    parameters = template["Parameters"]
    for secret in SECRET_PARAMETERS:
        assert parameters[secret]["AllowedPattern"].startswith("^(arn:aws")
    # The key given as a parameter is stored in a secret; it reaches no function as a value.
    assert parameters["OpenAIApiKey"]["NoEcho"] is True
    assert "{'Ref': 'OpenAIApiKey'}" not in repr(template["Globals"]) + repr(functions(template))
    secret = template["Resources"]["OpenAIApiKeySecret"]
    assert secret["Properties"]["SecretString"] == {"Ref": "OpenAIApiKey"}


def test_every_checkov_skip_is_justified(template: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips, "expected the documented skips to be found"
    for name, skip in skips:
        assert skip["id"].startswith("CKV"), name
        assert len(skip.get("comment", "").split()) >= 5, f"{name}: {skip['id']} needs a real justification"


def test_every_check_skipped_for_all_resources_is_justified_once() -> None:
    config = REPO / ".checkov.yaml"
    lines = [line.strip() for line in config.read_text(encoding="utf-8").splitlines()]
    entries = [line.removeprefix("- ") for line in lines if line.startswith("- CKV")]
    assert len(entries) >= 5, "expected the shared skips to be found"
    ids = [entry.split("#", 1)[0].strip() for entry in entries]
    assert len(ids) == len(set(ids)), "a check is skipped twice"
    for entry in entries:
        check, _, reason = entry.partition("#")
        assert len(reason.split()) >= 8, f"{check.strip()} needs a real justification"
