"""Deployment shape: sizing for multi-hour media, deploy defaults, guards and alarms."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

import pytest
from template_render import Rendered
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


def asynchronously_invoked(template: dict[str, Any]) -> set[str]:
    """Functions something invokes without waiting: S3 notifications, schedules, and the function
    another function invokes by name (the notes route of the API, ``InvocationType=Event``)."""
    bucket = template["Resources"]["MediaBucket"]["Properties"]["NotificationConfiguration"]
    invoked = {config["Function"]["Fn::GetAtt"][0] for config in bucket["LambdaConfigurations"]}
    for name, function in functions(template).items():
        events = function["Properties"].get("Events", {}).values()
        if any(event["Type"] == "Schedule" for event in events):
            invoked.add(name)
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        invoked |= {value["Ref"] for key, value in variables.items() if key.endswith("_FUNCTION_NAME")}
    return invoked


def test_async_triggers_dead_letter_into_an_alarmed_encrypted_queue(template: dict[str, Any]) -> None:
    queue = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["AsyncInvokeDeadLetterQueue", "Arn"]}}
    invoked = asynchronously_invoked(template)
    assert {"StartJobFunction", "SweepStaleJobsFunction", "WriteNotesFunction"} <= invoked
    for name in invoked:
        assert functions(template)[name]["Properties"].get("DeadLetterQueue") == queue, name
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


def test_a_create_that_rolls_back_leaves_neither_bucket_nor_key(template: dict[str, Any]) -> None:
    """Retain would keep a failed first create's bucket and KMS key (a key costs every month);
    RetainExceptOnCreate deletes them with that rollback and keeps them on any later deletion."""
    for name in ("MediaBucket", "DataKey"):
        resource = template["Resources"][name]
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
        assert resource["UpdateReplacePolicy"] == "Retain", name
    assert template["Resources"]["DatabaseCluster"]["DeletionPolicy"] == "Snapshot"


OPENAI_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf"


@pytest.mark.parametrize(
    ("parameters", "refused"),
    [
        ({}, True),
        ({"TranscriptionEngine": "amazon", "NotesProvider": "openai"}, True),
        ({"NotesProvider": "openai", "OpenAIApiKeySecretArn": OPENAI_SECRET}, False),
        ({"OpenAIApiKey": "sk-test"}, False),
        ({"OpenAIApiKeySecretArn": OPENAI_SECRET}, False),
        ({"TranscriptionEngine": "amazon"}, False),
        (
            {
                "TranscriptionEngine": "amazon",
                "NotesProvider": "bedrock",
                "NotesModel": "amazon.titan-text-lite-v1",
            },
            False,
        ),
    ],
)
def test_the_openai_key_is_required_wherever_openai_is_called(
    template: dict[str, Any], parameters: dict[str, str], refused: bool
) -> None:
    failures = Rendered.of(template, **parameters).failed_rules()
    assert [f for f in failures if "OpenAIApiKey" in f] == (failures if refused else [])
    assert bool(failures) is refused, failures
    engines = set(template["Parameters"]["TranscriptionEngine"]["AllowedValues"])
    assert engines == {"openai", "amazon"}, "a new engine that calls OpenAI needs the rule too"


def test_api_access_logs_are_off_by_default(template: dict[str, Any]) -> None:
    rendered = Rendered.of(template)
    assert "AccessLogSetting" not in rendered.properties("JobsApi")
    assert "JobsApiAccessLogGroup" not in rendered.resources()


def test_api_access_logs_when_asked_are_json_without_secrets_in_a_group_with_retention(
    template: dict[str, Any],
) -> None:
    rendered = Rendered.of(template, ApiAccessLogs="true")
    setting = rendered.properties("JobsApi")["AccessLogSetting"]
    assert setting["DestinationArn"] == "<JobsApiAccessLogGroup.Arn>"
    fields = json.loads(setting["Format"])
    assert {"requestId", "caller", "userArn", "resourcePath", "path", "status", "responseLatency"} <= set(
        fields
    )
    assert all(re.fullmatch(r"\$context\.[A-Za-z.]+", value) for value in fields.values()), fields
    leaking = {"accessKey", "apiKey", "header", "authorizer", "requestOverride", "body", "cognito"}
    assert not [value for value in fields.values() if any(word in value for word in leaking)]
    group = rendered.properties("JobsApiAccessLogGroup")
    assert group["RetentionInDays"] == template["Parameters"]["LogRetentionDays"]["Default"]
