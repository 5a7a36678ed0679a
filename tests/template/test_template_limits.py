"""Limits a first deployment would otherwise hit late: time budgets, state size, stages, invoke sources."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import openai._constants as openai_limits
import pytest
from template_render import Rendered
from template_support import ASL_PATH, functions, generated_findings

from mediascribe.config import Settings
from mediascribe.storage.objects import MediaStore, upload_size_limit

# Time a function needs besides the API calls: settings, reading its input from S3, storing the
# result and the job's progress.
HEADROOM_SECONDS = 60
STATE_LIMIT_BYTES = 256 * 1024
# The Map's output per chunk is {index, result_key} (about 124 bytes, measured by the hardening suite);
# twice that leaves room for longer job ids and prefixes.
BYTES_PER_CHUNK = 2 * 124
# S3 takes at most 5 GB in one PUT, and a POST is a form of PUT
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html); in decimal bytes, the
# smaller reading of "GB".
S3_SINGLE_REQUEST_BYTES = 5 * 1000**3


def worst_case_openai_seconds(settings: Settings) -> float:
    """Every attempt running into its timeout, and the longest wait the SDK takes before each retry.

    The SDK waits for a server's Retry-After up to MAX_RETRY_AFTER_DELAY, else at most MAX_RETRY_DELAY.
    """
    attempts = settings.openai_max_retries + 1
    longest_wait = max(openai_limits.MAX_RETRY_AFTER_DELAY, openai_limits.MAX_RETRY_DELAY)
    return attempts * settings.openai_timeout_seconds + settings.openai_max_retries * longest_wait


def test_openai_clients_give_up_before_their_lambda_times_out(template: dict[str, Any]) -> None:
    """Every function that calls OpenAI (chunks, and notes when they are written by OpenAI)."""
    rendered = Rendered.of(template, OpenAIApiKey="sk-test", NotesProvider="openai")
    callers = {
        name: {k: str(v) for k, v in rendered.environment(name).items()}
        for name in functions(template)
        if "OPENAI_API_KEY_SECRET" in rendered.environment(name)
    }
    assert {"TranscribeChunkFunction", "WriteNotesFunction"} <= set(callers)
    for name, environment in callers.items():
        settings = Settings.from_env(environment)
        timeout = functions(template)[name]["Properties"]["Timeout"]
        assert worst_case_openai_seconds(settings) + HEADROOM_SECONDS <= timeout, name


def test_the_state_machine_stops_an_execution_the_sweeper_gives_up_on(template: dict[str, Any]) -> None:
    definition = json.loads(ASL_PATH.read_text(encoding="utf-8"))
    stale_after = template["Parameters"]["StaleJobAfterSeconds"]["Default"]
    assert 0 < definition["TimeoutSeconds"] <= stale_after


def test_the_chunk_guard_keeps_the_map_output_under_the_state_limit(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["MaxChunks"]
    assert parameter["MaxValue"] * BYTES_PER_CHUNK < STATE_LIMIT_BYTES
    assert parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"]
    Settings(max_chunks=int(parameter["MaxValue"])).validate()


def test_the_api_has_one_stage(template: dict[str, Any]) -> None:
    """Without an OpenAPI version SAM's deployment also creates a stage named "Stage", unthrottled."""
    api = template["Resources"]["JobsApi"]["Properties"]
    assert api["StageName"] == "v1" and api["OpenApiVersion"].startswith("3.")


def test_only_the_media_bucket_may_invoke_the_upload_function(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template)
    permission = rendered.properties("UploadNotificationPermission")
    assert permission["Principal"] == "s3.amazonaws.com"
    assert (
        permission["SourceArn"] == "arn:${AWS::Partition}:s3:::mediascribe-${AWS::AccountId}-${StackSuffix}"
    )
    assert permission["SourceAccount"] == "<AWS::AccountId>"
    (notification,) = rendered.properties("MediaBucket")["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == "<StartJobFunction.Arn>"
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert template["Resources"]["MediaBucket"]["DependsOn"] == "UploadNotificationPermission"
    assert not any(
        event["Type"] == "S3"
        for f in functions(template).values()
        for event in f["Properties"].get("Events", {}).values()
    ), "a SAM S3 event would add a permission without SourceArn"


@pytest.mark.parametrize(
    ("resource", "finding"),
    [
        ({"Type": "AWS::ApiGateway::Deployment", "Properties": {"StageName": "Stage"}}, "extra stage"),
        ({"Type": "AWS::Lambda::Permission", "Properties": {"Principal": "s3.amazonaws.com"}}, "any source"),
    ],
)
def test_the_expanded_template_check_catches_what_sam_generates(
    resource: dict[str, Any], finding: str
) -> None:
    (found,) = generated_findings({"Resources": {"Generated": resource}})
    assert finding in found
    scoped = {"Type": "AWS::Lambda::Permission", "Properties": {"SourceArn": "arn:aws:s3:::b"}}
    assert generated_findings({"Resources": {"Generated": scoped}}) == []


@pytest.mark.parametrize("duration", ["default", "longest"])
def test_the_upload_form_never_allows_more_than_s3_takes_in_one_post(
    template: dict[str, Any], duration: str
) -> None:
    """The API function signs the form with the duration guard of the deployed configuration; a
    policy above S3's limit would let a client start an upload S3 refuses only at the end."""
    settings = Settings.from_env(
        {k: str(v) for k, v in Rendered.of(template).environment("JobsApiFunction").items()}
    )
    seconds = settings.max_duration_seconds if duration == "default" else 10 * 24 * 3600
    client = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret"
    )
    store = MediaStore(client, "mediascribe-123456789012-abcdef12", settings.work_prefix)
    form = store.presigned_upload("uploads/talk.mp4", max_bytes=upload_size_limit(seconds))
    policy = json.loads(base64.b64decode(form.fields["policy"]))
    (low, high) = next(
        c[1:] for c in policy["conditions"] if isinstance(c, list) and c[0] == "content-length-range"
    )
    assert low == 1 and high == form.max_bytes <= S3_SINGLE_REQUEST_BYTES
