"""Media files through the whole local workflow: upload, S3 event, execution, result.

Used by the ``mediascribe transcribe`` command (one file, several, or a folder), the end-to-end tests
and the benchmark, so all of them exercise exactly the same path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from mediascribe.config import Settings
from mediascribe.jobs.database import Database
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.status import get_job_status
from mediascribe.local.debris import abandoned, claim
from mediascribe.local.workflow import ExecutionOutcome, LocalOptions, LocalWorkflow
from mediascribe.notes.markdown import write_notes_file
from mediascribe.page.files import write_page_file
from mediascribe.storage import TRANSCRIPT_FORMATS

ProgressCallback = Callable[[int, str], None]
FINISHED_STATUSES = {"completed", "failed", "skipped"}
# Jobs of one local run at a time: each runs its own Map of chunks, so a few keep two cores busy.
DEFAULT_PARALLEL_FILES = 4
_WORK_PREFIX = "mediascribe-work-"


@dataclass(frozen=True)
class LocalJobResult:
    job_id: str
    status: dict[str, Any]
    execution: ExecutionOutcome | None  # None when the object had already been processed
    written: dict[str, Path]

    @property
    def state(self) -> str:
        return str(self.status["status"])


def transcribe_file(
    path: Path,
    *,
    template: Path,
    database_url: str,
    environment: Mapping[str, str] | None = None,
    out_dir: Path | None = None,
    on_progress: ProgressCallback | None = None,
    map_max_concurrency: int | None = None,
) -> LocalJobResult:
    """Run ``path`` through the workflow and return the job's final status document (with content).

    Outputs (txt/json/srt/vtt) are copied from the local bucket to ``out_dir`` when the job completed.
    Raises ValueError when the upload starts no job.
    """
    with local_workflow(template, database_url, environment, map_max_concurrency) as run:
        return run.transcribe(path, out_dir=out_dir, on_progress=on_progress)


def transcribe_files(
    paths: Sequence[Path],
    *,
    template: Path,
    database_url: str,
    environment: Mapping[str, str] | None = None,
    out_dir: Path | None = None,
    on_progress: Callable[[Path, int, str], None] | None = None,
    on_finished: Callable[[Path, LocalJobResult | ValueError], None] | None = None,
    map_max_concurrency: int | None = None,
    max_parallel: int = DEFAULT_PARALLEL_FILES,
) -> list[LocalJobResult | ValueError]:
    """Run several files through one local workflow, at most ``max_parallel`` jobs at once.

    One setup serves them all, so each file after the first costs only its own work. Results come in
    the order of ``paths``; a file that starts no job gets the ValueError that says why.
    """
    keys = _upload_keys(paths)

    def one(path: Path) -> LocalJobResult | ValueError:
        progress = None if on_progress is None else partial(on_progress, path)
        try:
            result: LocalJobResult | ValueError = run.transcribe(
                path, key_name=keys[path], out_dir=out_dir, on_progress=progress
            )
        except ValueError as exc:
            result = exc
        if on_finished is not None:
            on_finished(path, result)
        return result

    with (
        local_workflow(template, database_url, environment, map_max_concurrency) as run,
        ThreadPoolExecutor(max_workers=max(1, max_parallel), thread_name_prefix="file") as pool,
    ):
        return list(pool.map(one, paths))


@dataclass
class LocalRun:
    """One local workflow and the jobs database, shared by every file of a run."""

    workflow: LocalWorkflow
    repository: JobRepository
    upload_prefix: str

    def transcribe(
        self,
        path: Path,
        *,
        key_name: str | None = None,
        out_dir: Path | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> LocalJobResult:
        workflow = self.workflow
        key = workflow.upload(path, f"{self.upload_prefix}{key_name or path.name}")
        started = workflow.deliver_upload_event(key)
        if not started["jobs"]:
            reason = started["rejected"][0]["reason"] if started["rejected"] else "no job started"
            raise ValueError(reason)
        job_id = started["jobs"][0]["job_id"]
        already_done = started["jobs"][0]["status"] in FINISHED_STATUSES
        poll = _progress_poller(self.repository, job_id, on_progress)
        # With a persistent DATABASE_URL the same file maps to the same, finished job.
        execution = None if already_done else workflow.wait(workflow.execution_arn(job_id), on_poll=poll)
        poll()
        # The events' webhooks, as the stack's queue hands them to the sender (WEBHOOK_URL only).
        workflow.deliver_webhooks()
        status = get_job_status(self.repository, job_id, include_content=True)
        # What the stack would have put on EventBridge for this job, in order.
        status["events"] = workflow.events.of_job(job_id)
        written = _copy_outputs(workflow, status, path, out_dir) if out_dir else {}
        return LocalJobResult(job_id=job_id, status=status, execution=execution, written=written)


@contextmanager
def local_workflow(
    template: Path,
    database_url: str,
    environment: Mapping[str, str] | None = None,
    map_max_concurrency: int | None = None,
) -> Iterator[LocalRun]:
    """The template's workflow on this machine, ready for files; torn down (temp files too) on exit."""
    environment = dict(environment or {})
    upload_prefix = Settings.from_env({**os.environ, **environment}).upload_prefix
    with _work_dir() as temp_dir:
        options = LocalOptions(
            database_url=database_url,
            temp_dir=temp_dir,
            map_max_concurrency=map_max_concurrency,
            environment=environment,
        )
        with LocalWorkflow(template, options) as workflow:
            database = Database(database_url)
            try:
                yield LocalRun(workflow, JobRepository(database), upload_prefix)
            finally:
                database.close()


def _upload_keys(paths: Sequence[Path]) -> dict[Path, str]:
    """Each file's name under the upload prefix; files that share a name get a folder of their own."""
    seen: dict[str, int] = {}
    keys = {}
    for path in paths:
        count = seen.get(path.name, 0)
        seen[path.name] = count + 1
        keys[path] = path.name if count == 0 else f"{count}/{path.name}"
    return keys


@contextmanager
def _work_dir() -> Iterator[Path]:
    """The run's TEMP_DIR, marked as this process's; those of killed runs are removed first."""
    for debris in abandoned(Path(tempfile.gettempdir()), _WORK_PREFIX):
        shutil.rmtree(debris, ignore_errors=True)
    path = Path(tempfile.mkdtemp(prefix=_WORK_PREFIX))
    try:
        claim(path)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _progress_poller(
    repository: JobRepository, job_id: str, on_progress: ProgressCallback | None
) -> Callable[[], None]:
    def poll() -> None:
        if on_progress is not None:
            job = repository.get(job_id)
            on_progress(job.progress, job.stage)

    return poll


def _copy_outputs(
    workflow: LocalWorkflow, status: dict[str, Any], source: Path, out_dir: Path
) -> dict[str, Path]:
    outputs = (status.get("result") or {}).get("outputs") or {}
    if status["status"] != "completed" or not outputs:
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = source.stem
    written = {}
    for fmt in TRANSCRIPT_FORMATS:
        if fmt in outputs:
            target = out_dir / f"{stem}.{fmt}"
            target.write_text(workflow.read_text(outputs[fmt]), encoding="utf-8")
            written[fmt] = target
    written.update(write_notes_file(status, out_dir, stem))
    if "json" in written:
        written["html"] = write_page_file(status, written["json"], source, out_dir, stem)
    return written
