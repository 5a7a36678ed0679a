"""The table of AWS operations: each row's requests, its citations, and that every call has a row."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from support.iam.operations import (
    CONVENIENCE_METHODS,
    OPERATIONS,
    SAR,
    MissingFact,
    UnknownOperation,
    requests_for,
)
from support.iam.policy import ContextValue, Request
from support.paths import ASL, REPO

REGION = "eu-west-1"
ACCOUNT = "111122223333"
BUCKET = "mediascribe-111122223333-abc"
WORK = f"arn:aws:s3:::{BUCKET}/jobs/0f8fad5b-d9cb-469f-a165-70867728950e"
S3_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SECRETS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:mediascribe-app-AbCdEf"
CLUSTER = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:mediascribe"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:TranscribeMedia"
CHUNK = "jobs/0f8fad5b-d9cb-469f-a165-70867728950e/chunks/0000.mp3"
S3_FACTS = {"s3_kms_key_arn": S3_KEY, "s3_bucket_key": "true"}
DIRECT: dict[str, ContextValue] = {
    "aws:SecureTransport": True,
    "aws:RequestedRegion": REGION,
    "aws:ViaAWSService": False,
}
SIGNED: dict[str, ContextValue] = {
    **DIRECT,
    "s3:authType": "REST-HEADER",
    "s3:signatureversion": "AWS4-HMAC-SHA256",
}
ON_BEHALF: dict[str, ContextValue] = {**DIRECT, "aws:ViaAWSService": True}


def kms(action: str, key: str, through: str, context: Mapping[str, str]) -> Request:
    keys: dict[str, ContextValue] = {
        **ON_BEHALF,
        "kms:ViaService": f"{through}.{REGION}.amazonaws.com",
        "kms:CallerAccount": ACCOUNT,
        "kms:EncryptionContextKeys": sorted(context),
    }
    keys.update({f"kms:EncryptionContext:{k}": v for k, v in context.items()})
    return Request(f"kms:{action}", key, keys)


def bucket_kms(action: str) -> Request:
    return kms(action, S3_KEY, "s3", {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}"})


def secret_kms() -> Request:
    return kms("Decrypt", SECRETS_KEY, "secretsmanager", {"SecretARN": SECRET})


@dataclass(frozen=True)
class Sample:
    params: Mapping[str, Any]
    expected: list[Request]
    facts: Mapping[str, str] = field(default_factory=dict)


def data_api(action: str, params: Mapping[str, Any]) -> Sample:
    return Sample(
        {"resourceArn": CLUSTER, "secretArn": SECRET, **params},
        [
            Request(f"rds-data:{action}", CLUSTER, DIRECT),
            Request(
                "secretsmanager:GetSecretValue", SECRET, {**ON_BEHALF, "secretsmanager:SecretId": SECRET}
            ),
            secret_kms(),
        ],
        {"secret_kms_key_arn": SECRETS_KEY},
    )


SAMPLES: dict[tuple[str, str], Sample] = {
    ("s3", "HeadObject"): Sample(
        {"Bucket": BUCKET, "Key": "uploads/talk.mp4"},
        [Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/uploads/talk.mp4", SIGNED)],
        S3_FACTS,
    ),
    ("s3", "GetObject"): Sample(
        {"Bucket": BUCKET, "Key": f"{CHUNK}", "VersionId": "3HL4kqtJlcpXroDTDmJ"},
        [
            Request(
                "s3:GetObjectVersion",
                f"arn:aws:s3:::{BUCKET}/{CHUNK}",
                {**SIGNED, "s3:versionid": "3HL4kqtJlcpXroDTDmJ"},
            ),
            bucket_kms("Decrypt"),
        ],
        S3_FACTS,
    ),
    ("s3", "PutObject"): Sample(
        {"Bucket": BUCKET, "Key": f"{CHUNK}.json", "Body": b"{}", "ServerSideEncryption": "aws:kms"},
        [
            Request(
                "s3:PutObject",
                f"arn:aws:s3:::{BUCKET}/{CHUNK}.json",
                {**SIGNED, "s3:x-amz-server-side-encryption": "aws:kms"},
            ),
            kms("GenerateDataKey", S3_KEY, "s3", {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}/{CHUNK}.json"}),
        ],
        {"s3_kms_key_arn": S3_KEY},
    ),
    ("s3", "CreateMultipartUpload"): Sample(
        {"Bucket": BUCKET, "Key": CHUNK, "SSEKMSKeyId": SECRETS_KEY},
        [
            Request(
                "s3:PutObject",
                f"arn:aws:s3:::{BUCKET}/{CHUNK}",
                {**SIGNED, "s3:x-amz-server-side-encryption-aws-kms-key-id": SECRETS_KEY},
            ),
            kms("GenerateDataKey", SECRETS_KEY, "s3", {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}"}),
        ],
        S3_FACTS,
    ),
    ("s3", "UploadPart"): Sample(
        {"Bucket": BUCKET, "Key": CHUNK, "UploadId": "u1", "PartNumber": 2, "Body": b"x"},
        [Request("s3:PutObject", f"arn:aws:s3:::{BUCKET}/{CHUNK}", SIGNED), bucket_kms("Decrypt")],
        S3_FACTS,
    ),
    ("s3", "CompleteMultipartUpload"): Sample(
        {"Bucket": BUCKET, "Key": CHUNK, "UploadId": "u1", "MultipartUpload": {"Parts": []}},
        [Request("s3:PutObject", f"arn:aws:s3:::{BUCKET}/{CHUNK}", SIGNED)],
        S3_FACTS,
    ),
    ("s3", "AbortMultipartUpload"): Sample(
        {"Bucket": BUCKET, "Key": CHUNK, "UploadId": "u1"},
        [Request("s3:AbortMultipartUpload", f"arn:aws:s3:::{BUCKET}/{CHUNK}", SIGNED)],
        S3_FACTS,
    ),
    ("s3", "ListObjectsV2"): Sample(
        {"Bucket": BUCKET, "Prefix": "jobs/0f8fad5b/results/", "MaxKeys": 1000},
        [
            Request(
                "s3:ListBucket",
                f"arn:aws:s3:::{BUCKET}",
                {**SIGNED, "s3:prefix": "jobs/0f8fad5b/results/", "s3:max-keys": 1000},
            )
        ],
    ),
    ("s3", "DeleteObjects"): Sample(
        {
            "Bucket": BUCKET,
            "Delete": {"Objects": [{"Key": "jobs/a/results/0.json"}, {"Key": "jobs/a/x", "VersionId": "v2"}]},
        },
        [
            Request("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/jobs/a/results/0.json", SIGNED),
            Request(
                "s3:DeleteObjectVersion", f"arn:aws:s3:::{BUCKET}/jobs/a/x", {**SIGNED, "s3:versionid": "v2"}
            ),
        ],
    ),
    ("stepfunctions", "StartExecution"): Sample(
        {"stateMachineArn": MACHINE, "name": "0f8fad5b", "input": "{}"},
        [Request("states:StartExecution", MACHINE, DIRECT)],
    ),
    ("stepfunctions", "ListExecutions"): Sample(
        {"stateMachineArn": MACHINE, "statusFilter": "RUNNING", "maxResults": 1},
        [Request("states:ListExecutions", MACHINE, DIRECT)],
    ),
    ("rds-data", "ExecuteStatement"): data_api("ExecuteStatement", {"sql": "SELECT 1"}),
    ("rds-data", "BeginTransaction"): data_api("BeginTransaction", {"database": "mediascribe"}),
    ("rds-data", "CommitTransaction"): data_api("CommitTransaction", {"transactionId": "t1"}),
    ("rds-data", "RollbackTransaction"): data_api("RollbackTransaction", {"transactionId": "t1"}),
    ("secretsmanager", "GetSecretValue"): Sample(
        {"SecretId": SECRET, "VersionStage": "AWSCURRENT"},
        [
            Request(
                "secretsmanager:GetSecretValue",
                SECRET,
                {**DIRECT, "secretsmanager:SecretId": SECRET, "secretsmanager:VersionStage": "AWSCURRENT"},
            ),
            secret_kms(),
        ],
        {"secret_kms_key_arn": SECRETS_KEY},
    ),
    ("transcribe", "TranscribeAudio"): Sample(
        {"Media": {"MediaFileUri": f"s3://{BUCKET}/{CHUNK}"}, "LanguageCode": "en-US"},
        [
            Request("transcribe:TranscribeAudio", "*", DIRECT),
            Request("s3:GetObject", f"arn:aws:s3:::{BUCKET}/{CHUNK}", ON_BEHALF),
            bucket_kms("Decrypt"),
        ],
        S3_FACTS,
    ),
    ("bedrock-runtime", "Converse"): Sample(
        {"modelId": "eu.amazon.nova-micro-v1:0", "messages": []},
        [
            Request(
                "bedrock:InvokeModel",
                f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/eu.amazon.nova-micro-v1:0",
                DIRECT,
            ),
            *(
                Request(
                    "bedrock:InvokeModel",
                    f"arn:aws:bedrock:{region}::foundation-model/amazon.nova-micro-v1:0",
                    {
                        **DIRECT,
                        "bedrock:InferenceProfileArn": (
                            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/eu.amazon.nova-micro-v1:0"
                        ),
                    },
                )
                for region in ("eu-west-1", "eu-central-1", "eu-north-1")
            ),
        ],
        {"bedrock_profile_regions": "eu-west-1, eu-central-1,eu-north-1"},
    ),
    ("lambda", "Invoke"): Sample(
        {"FunctionName": "mediascribe-WriteNotesFunction-1A2B", "InvocationType": "Event", "Payload": b"{}"},
        [
            Request(
                "lambda:InvokeFunction",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:mediascribe-WriteNotesFunction-1A2B",
                DIRECT,
            )
        ],
    ),
    ("events", "PutEvents"): Sample(
        {
            "Entries": [
                {"Source": "mediascribe", "DetailType": "x", "Detail": "{}", "EventBusName": "default"},
                {"Source": "mediascribe", "DetailType": "x", "Detail": "{}"},
                {"Source": "mediascribe", "DetailType": "x", "Detail": "{}", "EventBusName": "media-events"},
            ]
        },
        [
            Request("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default", DIRECT),
            Request("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/media-events", DIRECT),
        ],
    ),
    ("sqs", "SendMessage"): Sample(
        {
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediascribe-DeadLetterQueue-X1",
            "MessageBody": "{}",
        },
        [
            Request(
                "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediascribe-DeadLetterQueue-X1", DIRECT
            )
        ],
    ),
    ("sqs", "ReceiveMessage"): Sample(
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediascribe-WebhookQueue-X1"},
        [
            Request(
                "sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediascribe-WebhookQueue-X1", DIRECT
            )
        ],
    ),
    ("sqs", "DeleteMessage"): Sample(
        {
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediascribe-WebhookQueue-X1",
            "ReceiptHandle": "r",
        },
        [Request("sqs:DeleteMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediascribe-WebhookQueue-X1", DIRECT)],
    ),
    ("sqs", "GetQueueAttributes"): Sample(
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediascribe-WebhookQueue-X1"},
        [
            Request(
                "sqs:GetQueueAttributes",
                f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediascribe-WebhookQueue-X1",
                DIRECT,
            )
        ],
    ),
    ("sqs", "ChangeMessageVisibility"): Sample(
        {
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/mediascribe-WebhookQueue-X1",
            "ReceiptHandle": "r",
            "VisibilityTimeout": 60,
        },
        [
            Request(
                "sqs:ChangeMessageVisibility",
                f"arn:aws:sqs:{REGION}:{ACCOUNT}:mediascribe-WebhookQueue-X1",
                DIRECT,
            )
        ],
    ),
}


def test_every_row_has_a_sample() -> None:
    assert set(SAMPLES) == set(OPERATIONS)


@pytest.mark.parametrize("row", sorted(SAMPLES), ids=lambda row: f"{row[0]}.{row[1]}")
def test_each_row_builds_the_requests_aws_authorizes(row: tuple[str, str]) -> None:
    sample = SAMPLES[row]
    built = requests_for(*row, sample.params, region=REGION, account=ACCOUNT, facts=sample.facts)
    assert built == sample.expected


@pytest.mark.parametrize("row", sorted(SAMPLES), ids=lambda row: f"{row[0]}.{row[1]}")
def test_each_row_lists_the_actions_it_asks_for(row: tuple[str, str]) -> None:
    sample = SAMPLES[row]
    built = requests_for(*row, sample.params, region=REGION, account=ACCOUNT, facts=sample.facts)
    listed = {action.lower() for action in OPERATIONS[row].actions}
    assert {request.action.lower() for request in built} <= listed


# The Service Authorization Reference page of each IAM service prefix the table uses.
SAR_PAGES = {
    "s3": "list_amazons3.html",
    "states": "list_awsstepfunctions.html",
    "rds-data": "list_amazonrdsdataapi.html",
    "secretsmanager": "list_awssecretsmanager.html",
    "transcribe": "list_amazontranscribe.html",
    "bedrock": "list_amazonbedrock.html",
    "lambda": "list_awslambda.html",
    "kms": "list_awskeymanagementservice.html",
    "sqs": "list_amazonsqs.html",
    "events": "list_amazoneventbridge.html",
}


@pytest.mark.parametrize("row", sorted(OPERATIONS), ids=lambda row: f"{row[0]}.{row[1]}")
def test_each_row_cites_the_service_authorization_reference_of_its_actions(row: tuple[str, str]) -> None:
    operation = OPERATIONS[row]
    assert operation.citations[0].startswith(SAR)
    for action in operation.actions:
        assert SAR + SAR_PAGES[action.split(":")[0]] in operation.citations, action
    assert all(url.startswith("https://") for url in operation.citations)


def test_an_operation_without_a_row_is_refused_with_what_to_do() -> None:
    with pytest.raises(UnknownOperation, match=r"s3 CopyObject.*tests/support/iam/operations\.py"):
        requests_for("s3", "CopyObject", {"Bucket": BUCKET, "Key": "k"}, region=REGION, account=ACCOUNT)


def test_server_side_encryption_with_s3_keys_causes_no_kms_request() -> None:
    params = {"Bucket": BUCKET, "Key": CHUNK, "ServerSideEncryption": "AES256"}
    built = requests_for("s3", "PutObject", params, region=REGION, account=ACCOUNT, facts=S3_FACTS)
    assert [request.action for request in built] == ["s3:PutObject"]


def test_a_bucket_without_a_kms_key_causes_no_kms_request() -> None:
    built = requests_for("s3", "GetObject", {"Bucket": BUCKET, "Key": CHUNK}, region=REGION, account=ACCOUNT)
    assert [request.action for request in built] == ["s3:GetObject"]


def test_a_secret_under_the_aws_managed_key_causes_no_kms_request() -> None:
    built = requests_for(
        "secretsmanager", "GetSecretValue", {"SecretId": SECRET}, region=REGION, account=ACCOUNT
    )
    assert built == [
        Request("secretsmanager:GetSecretValue", SECRET, {**DIRECT, "secretsmanager:SecretId": SECRET})
    ]


def test_a_secret_named_without_its_arn_is_refused() -> None:
    with pytest.raises(MissingFact, match="not an ARN"):
        requests_for(
            "secretsmanager",
            "GetSecretValue",
            {"SecretId": "mediascribe-app"},
            region=REGION,
            account=ACCOUNT,
        )


def test_inline_audio_is_read_by_nobody_but_the_caller() -> None:
    params = {"Media": {"MediaBytes": b"ID3"}, "LanguageCode": "en-US"}
    built = requests_for(
        "transcribe", "TranscribeAudio", params, region=REGION, account=ACCOUNT, facts=S3_FACTS
    )
    assert built == [Request("transcribe:TranscribeAudio", "*", DIRECT)]


def test_transcribes_read_carries_no_called_via() -> None:
    sample = SAMPLES["transcribe", "TranscribeAudio"]
    built = requests_for("transcribe", "TranscribeAudio", sample.params, region=REGION, account=ACCOUNT)
    assert all("aws:CalledVia" not in request.context for request in built)


def test_a_foundation_model_id_is_one_model_in_the_callers_region() -> None:
    built = requests_for(
        "bedrock-runtime", "Converse", {"modelId": "amazon.nova-micro-v1:0"}, region=REGION, account=ACCOUNT
    )
    model = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-micro-v1:0"
    assert built == [Request("bedrock:InvokeModel", model, DIRECT)]


def test_a_profile_without_its_regions_is_refused() -> None:
    with pytest.raises(MissingFact, match="bedrock_profile_regions"):
        requests_for(
            "bedrock-runtime",
            "Converse",
            {"modelId": "eu.amazon.nova-micro-v1:0"},
            region=REGION,
            account=ACCOUNT,
        )


@pytest.mark.parametrize(
    ("name", "qualifier", "arn"),
    [
        ("notes", None, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes"),
        ("notes:live", None, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes:live"),
        ("notes", "7", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes:7"),
        (f"{ACCOUNT}:function:notes", None, f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:notes"),
        (
            "arn:aws:lambda:eu-central-1:444455556666:function:x",
            None,
            "arn:aws:lambda:eu-central-1:444455556666:function:x",
        ),
    ],
)
def test_lambda_function_names_become_function_arns(name: str, qualifier: str | None, arn: str) -> None:
    params = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
    assert requests_for("lambda", "Invoke", params, region=REGION, account=ACCOUNT)[0].resource == arn


def test_the_partition_and_its_service_domain_shape_the_arns() -> None:
    built = requests_for(
        "s3",
        "GetObject",
        {"Bucket": BUCKET, "Key": CHUNK},
        region="cn-north-1",
        account=ACCOUNT,
        partition="aws-cn",
        facts={"s3_kms_key_arn": S3_KEY},
    )
    assert built[0].resource == f"arn:aws-cn:s3:::{BUCKET}/{CHUNK}"
    assert built[1].context["kms:ViaService"] == "s3.cn-north-1.amazonaws.com.cn"


# ------------------------------------------------------------------------ every call the project makes

# Modules that ship to Lambda: src/ without what the layer's Makefile leaves out, and the handlers.
LAYER_MAKEFILE = REPO / "layers" / "mediascribe" / "Makefile"
CLIENT_FACTORY = re.compile(r"""\b(?:client|aws_client|service_client)\(\s*["']([a-z0-9-]+)["']""")
NAME = re.compile(r"""\.(\w+)\b|["'](\w+)["']""")
# Powertools' parameters utility reads a secret with its own Secrets Manager client.
POWERTOOLS_SECRET = re.compile(r"\bparameters\.get_secret\(")


def shipped_sources() -> list[Path]:
    found = re.search(r"^WORKSTATION_ONLY := (.+)$", LAYER_MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"{LAYER_MAKEFILE} names no WORKSTATION_ONLY modules"
    left_out = [REPO / "src" / name for name in found.group(1).split()]
    sources = sorted((REPO / "src").rglob("*.py")) + sorted((REPO / "functions").rglob("*.py"))
    return [path for path in sources if not any(path == out or out in path.parents for out in left_out)]


def client_calls(sources: list[Path]) -> Iterator[tuple[tuple[str, str], str]]:
    """(service, operation) and where, for every client method named in the sources."""
    texts = {path: path.read_text(encoding="utf-8") for path in sources}
    services = {service for text in texts.values() for service in CLIENT_FACTORY.findall(text)}
    session = botocore.session.get_session()
    methods: dict[str, list[tuple[str, str]]] = {}
    for service in services:
        for operation in session.get_service_model(service).operation_names:
            methods.setdefault(xform_name(operation), []).append((service, operation))
    for (service, method), operations in CONVENIENCE_METHODS.items():
        methods.setdefault(method, []).extend((service, operation) for operation in operations)
    for path, text in texts.items():
        where = str(path.relative_to(REPO))
        for match in NAME.finditer(text):
            for call in methods.get(match.group(1) or match.group(2), []):
                yield call, where
        if POWERTOOLS_SECRET.search(text):
            yield ("secretsmanager", "GetSecretValue"), where


def state_machine_calls() -> Iterator[tuple[tuple[str, str], str]]:
    """The state machine's tasks call Lambda functions by ARN (``${...FunctionArn}``) and put events
    through the EventBridge integration."""

    def tasks(states: Mapping[str, Any]) -> Iterator[str]:
        for state in states.values():
            if state.get("Type") == "Task":
                yield state["Resource"]
            for nested in [state.get("Iterator"), state.get("ItemProcessor"), *state.get("Branches", [])]:
                if nested:
                    yield from tasks(nested["States"])

    for resource in tasks(json.loads(ASL.read_text(encoding="utf-8"))["States"]):
        if resource == "arn:aws:states:::events:putEvents":
            yield ("events", "PutEvents"), f"{ASL.relative_to(REPO)} {resource}"
            continue
        lambda_task = re.fullmatch(r"\$\{\w+FunctionArn\}|arn:aws:states:::lambda:invoke", resource)
        assert lambda_task, f"{resource}: a task other than a Lambda function needs a row and a case here"
        yield ("lambda", "Invoke"), f"{ASL.relative_to(REPO)} {resource}"


def test_the_scan_sees_the_calls_the_functions_make() -> None:
    found = {call for call, _ in client_calls(shipped_sources())}
    assert {
        ("s3", "GetObject"),
        ("rds-data", "ExecuteStatement"),
        ("secretsmanager", "GetSecretValue"),
    } <= found
    assert ("transcribe", "TranscribeAudio") in found


def test_every_aws_call_the_project_makes_has_a_row() -> None:
    calls = [*client_calls(shipped_sources()), *state_machine_calls()]
    missing = sorted({f"{s} {o} ({where})" for (s, o), where in calls if (s, o) not in OPERATIONS})
    assert not missing, f"calls without a row in tests/support/iam/operations.py: {missing}"


def test_without_a_bucket_key_kms_sees_the_objects_arn() -> None:
    facts = {"s3_kms_key_arn": S3_KEY, "s3_bucket_key": "false"}
    built = requests_for(
        "s3", "GetObject", {"Bucket": BUCKET, "Key": CHUNK}, region=REGION, account=ACCOUNT, facts=facts
    )
    assert built[1].context["kms:EncryptionContext:aws:s3:arn"] == f"arn:aws:s3:::{BUCKET}/{CHUNK}"
