"""Deployment shape: sizing for multi-hour media, deploy defaults, guards and alarms."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from template_support import REPO, functions, resources_of_type

from mediascribe.config import API_REQUEST_LIMIT_BYTES, Settings
from mediascribe.errors import ConfigurationError

LAMBDA_MAX_MEMORY_MB = 10240
LAMBDA_MAX_EPHEMERAL_MB = 10240
LAMBDA_MAX_TIMEOUT_S = 900


def sizing(template: dict[str, Any], name: str) -> tuple[int, int, int]:
    properties = functions(template)[name]["Properties"]
    defaults = template["Globals"]["Function"]
    memory = properties.get("MemorySize", defaults["MemorySize"])
    timeout = properties.get("Timeout", defaults["Timeout"])
    ephemeral = properties.get("EphemeralStorage", {}).get("Size", 512)
    return memory, timeout, ephemeral


def test_media_steps_get_room_for_multi_hour_files(template: dict[str, Any]) -> None:
    memory, timeout, ephemeral = sizing(template, "PrepareAudioFunction")
    assert memory >= 3008 and timeout == LAMBDA_MAX_TIMEOUT_S and ephemeral == LAMBDA_MAX_EPHEMERAL_MB
    # The probe stages the whole source too, so it must accept the same sources as prepare.
    assert sizing(template, "ProbeMediaFunction")[2] == ephemeral
    for name in functions(template):
        memory, timeout, ephemeral = sizing(template, name)
        assert memory <= LAMBDA_MAX_MEMORY_MB and timeout <= LAMBDA_MAX_TIMEOUT_S
        assert ephemeral <= LAMBDA_MAX_EPHEMERAL_MB


def test_api_function_answers_within_api_gateways_limit(template: dict[str, Any]) -> None:
    assert sizing(template, "JobsApiFunction")[1] <= 29


def test_parameter_bounds_match_what_settings_accept(template: dict[str, Any]) -> None:
    chunk = template["Parameters"]["MaxChunkSizeBytes"]
    assert chunk["MaxValue"] < API_REQUEST_LIMIT_BYTES
    for value in (chunk["MinValue"], chunk["Default"], chunk["MaxValue"]):
        Settings(max_chunk_size_bytes=int(value)).validate()
    with pytest.raises(ConfigurationError):
        Settings(max_chunk_size_bytes=int(chunk["MaxValue"]) + 1).validate()


@pytest.mark.parametrize(
    ("upload", "work"), [("media/", "media/"), ("media/", "media/jobs/"), ("a/b/", "a/")]
)
def test_overlapping_prefixes_are_refused(upload: str, work: str) -> None:
    """Work files under the upload prefix would re-trigger the S3 event for every chunk."""
    with pytest.raises(ConfigurationError, match="must not contain one another"):
        Settings.from_env({"UPLOAD_PREFIX": upload, "WORK_PREFIX": work})


def test_template_refuses_equal_prefixes_at_deploy_time(template: dict[str, Any]) -> None:
    (assertion,) = template["Rules"]["SeparatePrefixes"]["Assertions"]
    equal = {"Fn::Equals": [{"Ref": "UploadPrefix"}, {"Ref": "WorkPrefix"}]}
    assert assertion["Assert"] == {"Fn::Not": [equal]}


def test_async_triggers_dead_letter_into_an_alarmed_encrypted_queue(template: dict[str, Any]) -> None:
    queue = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["AsyncInvokeDeadLetterQueue", "Arn"]}}
    for name in ("StartJobFunction", "SweepStaleJobsFunction"):
        assert functions(template)[name]["Properties"]["DeadLetterQueue"] == queue
    assert template["Resources"]["AsyncInvokeDeadLetterQueue"]["Properties"]["KmsMasterKeyId"]
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    watched = [a["Properties"]["Dimensions"][0]["Value"] for a in alarms.values()]
    assert {"Fn::GetAtt": ["AsyncInvokeDeadLetterQueue", "QueueName"]} in watched


def test_every_function_logs_to_its_own_group_with_retention(template: dict[str, Any]) -> None:
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    used = set()
    for name, function in functions(template).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert group in groups, name
        used.add(group)
    assert len(used) == len(functions(template))
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_samconfig_builds_cached_and_deploys_with_a_changeset() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    build = config["default"]["build"]["parameters"]
    assert build["cached"] is True and build["parallel"] is True
    deploy = config["default"]["deploy"]["parameters"]
    # CloudFormation runs the AWS::LanguageExtensions transform only with CAPABILITY_AUTO_EXPAND.
    assert deploy["capabilities"].split() == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert deploy["resolve_s3"] is True and deploy["confirm_changeset"] is True
    assert "parameter_overrides" not in deploy, "stack-specific values belong to sam deploy --guided"


def test_outputs_name_the_bucket_api_and_state_machine(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["MediaBucketName"]["Value"] == {"Ref": "MediaBucket"}
    assert outputs["StateMachineArn"]["Value"] == {"Ref": "TranscribeMediaStateMachine"}
    assert "${JobsApi}.execute-api" in outputs["JobsApiUrl"]["Value"]["Fn::Sub"]
