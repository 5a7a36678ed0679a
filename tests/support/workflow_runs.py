"""Running one file through a local workflow in tests: upload, S3 event, wait; and what it leaves behind."""

from __future__ import annotations

from pathlib import Path

from mediascribe.local.workflow import LocalWorkflow

# The smallest chunk limit settings accept: a few seconds of 64 kbit/s audio per chunk.
SMALL_CHUNK_BYTES = 65536


def run_file(workflow: LocalWorkflow, path: Path, key: str | None = None) -> tuple[str, str]:
    """Upload, deliver the S3 event, wait; returns (job id, execution status)."""
    key = workflow.upload(path, key or f"uploads/{path.name}")
    started = workflow.deliver_upload_event(key)
    job_id = started["jobs"][0]["job_id"]
    outcome = workflow.wait(workflow.execution_arn(job_id), timeout_seconds=900)
    return job_id, outcome.status


def leftover_files(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*"))
