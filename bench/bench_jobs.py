"""The local workflow as the benchmarks drive it: the OpenAI stand-in behind it, and one timed job."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from mediascribe.local.workflow import ExecutionOutcome, LocalOptions, LocalWorkflow
from support.fake_openai import FakeTranscriptionServer
from support.paths import TEMPLATE


@contextmanager
def openai_workflow(
    database_url: str, fake: FakeTranscriptionServer, *, concurrency: int, environment: Mapping[str, str]
) -> Iterator[LocalWorkflow]:
    """The template's workflow with the openai engine pointed at ``fake``, plus ``environment``."""
    with tempfile.TemporaryDirectory(prefix="bench-work-") as work:
        options = LocalOptions(
            database_url=database_url,
            temp_dir=Path(work),
            map_max_concurrency=concurrency,
            environment={
                "TRANSCRIPTION_ENGINE": "openai",
                "OPENAI_API_KEY": "sk-bench",
                "OPENAI_BASE_URL": fake.base_url,
                **environment,
            },
        )
        with LocalWorkflow(TEMPLATE, options) as workflow:
            yield workflow


def timed_job(workflow: LocalWorkflow, media: Path, key: str) -> tuple[ExecutionOutcome, float]:
    """Upload ``media`` as ``key`` and run its job: (outcome, seconds from the S3 event to the end).

    The clock starts at the event, so the upload, which a real user's client does, is not counted.
    """
    key = workflow.upload(media, key)
    started = time.perf_counter()
    job_id = workflow.deliver_upload_event(key)["jobs"][0]["job_id"]
    outcome = workflow.wait(workflow.execution_arn(job_id), poll_seconds=0.05)
    wall = time.perf_counter() - started
    if outcome.status != "SUCCEEDED":
        raise RuntimeError(f"benchmark job ended {outcome.status}: {outcome.cause}")
    return outcome, wall
