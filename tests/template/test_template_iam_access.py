"""The template's S3 grants, enforced by moto's IAM, against the storage calls each step makes.

Static checks prove the grants are narrow; this proves they are sufficient: every function's
managed policies, rendered for a concrete stack, are attached to an IAM user whose credentials then
run the ``MediaStore`` operations of that step. Operations outside the step's grants must be denied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws, settings
from template_render import Rendered
from template_support import as_list, functions, s3_policies

from mediascribe.ids import job_id_for_object
from mediascribe.storage.objects import MediaStore

ACCOUNT, REGION, SUFFIX = "123456789012", "us-east-1", "0a1b2c3d"
BUCKET = f"mediascribe-{ACCOUNT}-{SUFFIX}"
SOURCE_KEY = "uploads/talk.mp3"
OUTSIDE_KEY = "elsewhere/secret.txt"
JOB_ID = job_id_for_object(BUCKET, SOURCE_KEY, "v1")


def render(resource: Any, template: dict[str, Any]) -> str:
    """The ARN CloudFormation would produce for this stack and the parameter defaults."""
    pattern = resource["Fn::Sub"][0]
    values = {
        "AWS::Partition": "aws",
        "AWS::AccountId": ACCOUNT,
        "StackSuffix": SUFFIX,
        **{name: str(p.get("Default", "")) for name, p in template["Parameters"].items()},
    }
    return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], pattern)


def rendered_policies(template: dict[str, Any], function: str) -> dict[str, str]:
    managed = s3_policies(template)
    documents = {}
    defaults = Rendered.of(template)
    for written in functions(template)[function]["Properties"]["Policies"]:
        policy = _chosen(written, defaults)
        if set(policy) != {"Ref"} or policy["Ref"] not in managed:
            continue  # database, secrets and Step Functions: not S3
        document = managed[policy["Ref"]]["Properties"]["PolicyDocument"]
        statements = [
            {**s, "Resource": [render(r, template) for r in as_list(s["Resource"])]}
            for s in as_list(document["Statement"])
        ]
        documents[policy["Ref"]] = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return documents


def _chosen(policy: Any, rendered: Rendered) -> Any:
    """The branch of an ``Fn::If`` policy entry a stack with the parameter defaults gets."""
    while isinstance(policy, dict) and set(policy) == {"Fn::If"}:
        condition, when_true, when_false = policy["Fn::If"]
        policy = when_true if rendered.condition(condition) else when_false
    return policy


@pytest.fixture
def store_for(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], MediaStore]]:
    """A factory: the bucket (a source and a stray object in it) seen through a function's grants."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        admin = boto3.client("s3", region_name=REGION)
        admin.create_bucket(Bucket=BUCKET)
        admin.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=b"ID3 source")
        admin.put_object(Bucket=BUCKET, Key=OUTSIDE_KEY, Body=b"not for the workflow")
        iam = boto3.client("iam", region_name=REGION)
        clients: dict[str, Any] = {}
        for function in functions(template):
            iam.create_user(UserName=function)
            for name, document in rendered_policies(template, function).items():
                iam.put_user_policy(UserName=function, PolicyName=name, PolicyDocument=document)
            key = iam.create_access_key(UserName=function)["AccessKey"]
            clients[function] = boto3.client(
                "s3",
                region_name=REGION,
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )
        monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # enforce IAM from here on
        yield lambda function: MediaStore(clients[function], BUCKET, "jobs/")


def denied(operation: Callable[[], object]) -> bool:
    try:
        operation()
    except ClientError as exc:
        return exc.response["Error"]["Code"] in {"AccessDenied", "403"}
    return False


def test_probe_reads_the_source_and_nothing_else(
    store_for: Callable[[str], MediaStore], tmp_path: Path
) -> None:
    store = store_for("ProbeMediaFunction")
    assert store.head(SOURCE_KEY).size_bytes == len(b"ID3 source")
    assert store.download(SOURCE_KEY, tmp_path / "source.media").read_bytes() == b"ID3 source"
    keys = store.job_keys(JOB_ID)
    assert denied(lambda: store.put_json(keys, keys.chunk_result(0), {}))
    assert denied(lambda: store.download(OUTSIDE_KEY, tmp_path / "stray"))


def test_prepare_reads_the_source_and_rewrites_its_chunks(
    store_for: Callable[[str], MediaStore], tmp_path: Path
) -> None:
    store = store_for("PrepareAudioFunction")
    keys = store.job_keys(JOB_ID)
    source = store.download(SOURCE_KEY, tmp_path / "source.media")
    # Starting over lists the job's earlier results (delete_prefix). moto checks the batch delete
    # itself only against bucket policies, not identity policies, so the deletion is not asserted
    # here; the static tests pin s3:DeleteObject on the work prefix instead.
    assert store._client.list_objects_v2(Bucket=BUCKET, Prefix=keys.results_prefix)["KeyCount"] == 0
    assert store.upload_file(keys, keys.chunk(0), source, "audio/mpeg") == keys.chunk(0)
    assert not store.exists(keys, keys.chunk_result(0))
    assert denied(lambda: store._client.put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=b"overwrite"))


def test_transcribe_reads_its_chunk_and_writes_its_result(
    store_for: Callable[[str], MediaStore], tmp_path: Path
) -> None:
    keys = store_for("PrepareAudioFunction").job_keys(JOB_ID)
    prepare = store_for("PrepareAudioFunction")
    prepare.upload_file(keys, keys.chunk(0), prepare.download(SOURCE_KEY, tmp_path / "s"), "audio/mpeg")

    store = store_for("TranscribeChunkFunction")
    assert not store.exists(keys, keys.chunk_result(0))
    assert store.download(keys.chunk(0), tmp_path / "chunk.mp3").read_bytes() == b"ID3 source"
    store.put_json(keys, keys.chunk_result(0), {"index": 0, "text": "hello"})
    assert store.exists(keys, keys.chunk_result(0))
    assert denied(lambda: store.download(SOURCE_KEY, tmp_path / "source.media"))


def test_finalize_reads_results_and_writes_transcripts(store_for: Callable[[str], MediaStore]) -> None:
    transcribe = store_for("TranscribeChunkFunction")
    keys = transcribe.job_keys(JOB_ID)
    transcribe.put_json(keys, keys.chunk_result(0), {"index": 0, "text": "hello"})

    store = store_for("FinalizeTranscriptFunction")
    assert store.get_json(keys, keys.chunk_result(0))["text"] == "hello"
    assert store.put_text(keys, keys.transcript("txt"), "hello", "text/plain") == keys.transcript("txt")
    assert denied(lambda: store.head(SOURCE_KEY))


@pytest.mark.parametrize("function", ["StartJobFunction", "JobsApiFunction"])
def test_entry_points_see_sources_but_not_work_files(
    store_for: Callable[[str], MediaStore], function: str
) -> None:
    store = store_for(function)
    assert store.head(SOURCE_KEY).key == SOURCE_KEY
    keys = store.job_keys(JOB_ID)
    assert denied(lambda: store.put_json(keys, keys.chunk_result(0), {}))


@pytest.mark.parametrize(
    "function", ["MarkJobSkippedFunction", "MarkJobFailedFunction", "SweepStaleJobsFunction"]
)
def test_database_only_functions_have_no_bucket_access(
    store_for: Callable[[str], MediaStore], function: str
) -> None:
    assert denied(lambda: store_for(function).head(SOURCE_KEY))
