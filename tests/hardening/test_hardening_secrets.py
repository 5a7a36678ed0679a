"""Secrets stay secret on failure paths too: not in logs, job rows, status documents, the execution
history or the bucket — even when an upstream echoes the API key back in its error message."""

from __future__ import annotations

import json
import logging

from psycopg2.extensions import make_dsn

from mediascribe.jobs.models import JobStatus
from mediascribe.jobs.status import get_job_status
from support.fake_openai import Reply
from support.hardening import DUMMY_API_KEY, captured_logs, run_upload, settled
from support.media_factory import make_audio, make_garbage

DB_PASSWORD = "pg-hardening-dummy-password-9f8e7d"


def _echoing_401() -> Reply:
    """What an OpenAI-compatible gateway may answer: the rejected key, verbatim, in the message."""
    message = f"Incorrect API key provided: {DUMMY_API_KEY}. You can find your API key elsewhere."
    return Reply(
        status=401,
        body={"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}},
    )


def _record_text(record: logging.LogRecord) -> str:
    return json.dumps(record.__dict__, default=str) + record.getMessage()


def test_no_secret_reaches_logs_jobs_history_or_bucket(
    media_library, make_workflow, jobs, fake_api, postgres_dsn, capfd
):
    # The local cluster trusts local connections, so the password is carried but never checked.
    database_url = make_dsn(postgres_dsn, password=DB_PASSWORD)
    tone = media_library.get("secret-tone.mp3", lambda path: make_audio(path, 3.0, fmt="mp3"))
    garbage = media_library.get("secret-garbage.mp3", lambda path: make_garbage(path))
    with make_workflow(database_url=database_url, LOG_LEVEL="DEBUG") as workflow, captured_logs() as logs:
        good = run_upload(workflow, tone, "uploads/fine.mp3")
        broken = run_upload(workflow, garbage, "uploads/broken.mp3")
        fake_api.script(_echoing_401())
        echoed = run_upload(
            workflow, media_library.get("secret-other.mp3", _other_tone), "uploads/denied.mp3"
        )
        runs = (good, broken, echoed)
        history = [workflow.history(run.outcome.execution_arn) for run in runs if run.outcome]
        listed = workflow.keys()
        outputs = [key for key in listed if not key.startswith("uploads/")]
        stored = [
            workflow.client("s3").get_object(Bucket=workflow.options.bucket, Key=key) for key in outputs
        ]
    statuses = [settled(jobs, run).status for run in runs]
    assert statuses == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED]
    denied = get_job_status(jobs, echoed.job_id or "")
    assert denied["cause"] == "PermanentTranscriptionError" and "401" in denied["error"]
    assert "Incorrect API key provided: [redacted]" in denied["error"]

    captured = capfd.readouterr()
    places = {
        "stdout/stderr": captured.out + captured.err,
        "log lines": "\n".join(logs.lines),
        "log records": "\n".join(_record_text(record) for record in logs.records),
        "job rows": "\n".join(repr(jobs.get(run.job_id or "")) for run in runs),
        "status documents": json.dumps(
            [get_job_status(jobs, run.job_id or "", include_content=True) for run in runs]
        ),
        "execution history": json.dumps(history, default=str),
        "bucket": b"\n".join(item["Body"].read() for item in stored).decode("utf-8", "replace"),
    }
    assert outputs and "correlation_id" in places["log lines"]
    for place, text in places.items():
        assert DUMMY_API_KEY not in text, f"API key found in {place}"
        assert DB_PASSWORD not in text, f"database password found in {place}"


def _other_tone(path):
    return make_audio(path, 3.0, fmt="mp3", frequency=880)
