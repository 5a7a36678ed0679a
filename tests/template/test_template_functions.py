"""Every function the template deploys exists, imports, and gets settings its code accepts."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from template_render import Rendered
from template_support import REPO, functions, resources_of_type

from mediascribe import config
from mediascribe.config import Settings

# The cross-team contract: logical id -> handler directory.
CONTRACT = {
    "StartJobFunction": "start_job",
    "JobsApiFunction": "jobs_api",
    "ProbeMediaFunction": "probe_media",
    "PrepareAudioFunction": "prepare_audio",
    "TranscribeChunkFunction": "transcribe_chunk",
    "FinalizeTranscriptFunction": "finalize_transcript",
    "MarkJobSkippedFunction": "mark_job_skipped",
    "MarkJobFailedFunction": "mark_job_failed",
    "SweepStaleJobsFunction": "sweep_stale_jobs",
    "WriteNotesFunction": "write_notes",
    "MigrateDatabaseFunction": "migrate_database",
    "DeliverWebhookFunction": "deliver_webhook",
}
MEDIA_FUNCTIONS = {"ProbeMediaFunction", "PrepareAudioFunction"}
FAKE_ARNS = {
    "DatabaseSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
    "OpenAIApiKeySecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf",
    "TranscribeMediaStateMachine": "arn:aws:states:eu-west-1:123456789012:stateMachine:transcribe",
}


def deployed_environment(template: Mapping[str, Any], name: str) -> dict[str, str]:
    """Plausible deployed values of a function's variables, for a stack with an existing database."""
    rendered = Rendered.of(
        template,
        DatabaseSecretArn=FAKE_ARNS["DatabaseSecretArn"],
        OpenAIApiKeySecretArn=FAKE_ARNS["OpenAIApiKeySecretArn"],
    )
    environment = {}
    for key, value in rendered.environment(name).items():
        text = str(value).replace("${AWS::AccountId}", "123456789012").replace("${StackSuffix}", "0a1b2c3d")
        environment[key] = FAKE_ARNS.get(text.strip("<>"), text)
    return environment


def test_functions_match_the_contract(template: dict[str, Any]) -> None:
    deployed = {name: f["Properties"]["CodeUri"] for name, f in functions(template).items()}
    assert deployed == {name: f"functions/{directory}/" for name, directory in CONTRACT.items()}
    assert template["Globals"]["Function"]["Handler"] == "app.lambda_handler"
    assert template["Globals"]["Function"]["Runtime"] == "python3.13"
    assert template["Globals"]["Function"]["Architectures"] == ["x86_64"]


def test_layers_are_built_from_the_package_and_the_ffmpeg_makefile(template: dict[str, Any]) -> None:
    layers = resources_of_type(template, "AWS::Serverless::LayerVersion")
    assert layers["MediascribeLayer"]["Properties"]["ContentUri"] == "src/"
    assert layers["MediascribeLayer"]["Metadata"]["BuildMethod"] == "makefile"
    assert (REPO / "src" / "requirements.txt").is_file()
    assert layers["FfmpegLayer"]["Properties"]["ContentUri"] == "layers/ffmpeg/"
    assert layers["FfmpegLayer"]["Metadata"]["BuildMethod"] == "makefile"
    makefile = (REPO / "layers" / "ffmpeg" / "Makefile").read_text(encoding="utf-8")
    assert "\nbuild-FfmpegLayer:" in makefile, "sam build runs the target build-<LogicalId>"
    assert template["Globals"]["Function"]["Layers"] == [{"Ref": "MediascribeLayer"}]
    for name, function in functions(template).items():
        has_ffmpeg = {"Ref": "FfmpegLayer"} in function["Properties"].get("Layers", [])
        assert has_ffmpeg == (name in MEDIA_FUNCTIONS), name


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_environment_builds_valid_settings(template: dict[str, Any], name: str) -> None:
    environment = deployed_environment(template, name)
    known = {config._ENV_NAMES.get(f.name, f.name.upper()) for f in fields(Settings)}
    unknown = {k for k in environment if k not in known and not k.startswith("POWERTOOLS_")}
    assert unknown <= {"LOG_LEVEL"}, f"{name} sets variables Settings never reads: {unknown}"

    settings = Settings.from_env(environment)
    assert settings.bucket_name == "mediascribe-123456789012-0a1b2c3d"
    assert settings.upload_prefix == "uploads/" and settings.work_prefix == "jobs/"
    assert settings.max_chunk_size_bytes == int(template["Parameters"]["MaxChunkSizeBytes"]["Default"])
    assert settings.database_secret_arn == FAKE_ARNS["DatabaseSecretArn"]
    assert settings.database_url is None and settings.openai_api_key is None
    if name in MEDIA_FUNCTIONS:
        assert (settings.ffmpeg_binary, settings.ffprobe_binary) == ("/opt/bin/ffmpeg", "/opt/bin/ffprobe")
    if name == "TranscribeChunkFunction":
        assert settings.transcription_engine == "openai"
        assert settings.openai_api_key_secret == FAKE_ARNS["OpenAIApiKeySecretArn"]
    if name in {"StartJobFunction", "JobsApiFunction"}:
        assert settings.state_machine_arn == FAKE_ARNS["TranscribeMediaStateMachine"]
    assert ("API_ADMIN_PRINCIPALS" in environment) == (name == "JobsApiFunction")
    assert settings.api_admin_principals == ()


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_handler_imports(template: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = REPO / "functions" / CONTRACT[name] / "app.py"
    assert app.is_file(), f"{app.relative_to(REPO)} is missing"
    for key, value in deployed_environment(template, name).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    module = import_by_path(app, f"mediascribe_handler_{CONTRACT[name]}", monkeypatch)
    assert callable(getattr(module, "lambda_handler", None)), f"{app} has no lambda_handler"


def import_by_path(path: Path, module_name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Import a handler as Lambda does: its directory first on sys.path, under a unique module name."""
    monkeypatch.syspath_prepend(str(path.parent))
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, module_name, module)
    spec.loader.exec_module(module)
    return module
