"""Start a job for an uploaded object: one job and one execution per object version, however often
the event arrives.

The job id is derived from the object (bucket, key, version id or ETag) and used as the execution
name. The database's unique key makes concurrent deliveries converge on one row, and Step Functions
refuses a second execution with the same name, so redeliveries and repeated POSTs find the first job.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from botocore.exceptions import ClientError

from mediascribe.errors import ConfigurationError, InvalidObjectKeyError
from mediascribe.ids import job_id_for_object, validate_bucket, validate_object_key
from mediascribe.jobs.models import Job, JobStatus, SourceObject
from mediascribe.workflow.contracts import StartedJobSummary
from mediascribe.workflow.runtime import Runtime
from mediascribe.workflow.source import display_name

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartedJob:
    job_id: str
    status: str
    created: bool
    execution_arn: str | None

    def summary(self) -> StartedJobSummary:
        return StartedJobSummary(job_id=self.job_id, status=self.status, created=self.created)


def start_job(
    runtime: Runtime,
    *,
    bucket: str,
    key: str,
    version_id: str | None = None,
    etag: str | None = None,
    size_bytes: int | None = None,
) -> StartedJob:
    """Create (or find) the job for this object and make sure its execution has been started.

    Without a version id or ETag (an API request naming an object) the object is looked up first;
    a missing object is an input error, reported before any job exists.
    """
    settings = runtime.settings
    if not settings.state_machine_arn:
        raise ConfigurationError("STATE_MACHINE_ARN is not set")
    validate_bucket(bucket)
    validate_object_key(key)
    if bucket != runtime.store.bucket:
        raise InvalidObjectKeyError(f"only objects in {runtime.store.bucket!r} are transcribed")
    if not key.startswith(settings.upload_prefix):
        raise InvalidObjectKeyError(f"only keys under {settings.upload_prefix!r} are transcribed")
    if not (version_id or etag):
        head = runtime.store.head(key, bucket=bucket)
        version_id, etag, size_bytes = head.version_id, head.etag, head.size_bytes

    job_id = job_id_for_object(bucket, key, version_id or etag)
    source = SourceObject(bucket=bucket, key=key, version_id=version_id, etag=etag, size_bytes=size_bytes)
    job, created = runtime.jobs.create_job(job_id, source, display_name(key))
    if job.status is not JobStatus.PENDING:
        logger.info("job already under way", extra={"status": str(job.status)})
        return StartedJob(job.id, str(job.status), created, job.execution_arn)

    return _start_execution(runtime, job, created)


def retry_job(runtime: Runtime, job_id: str) -> StartedJob:
    """Run a failed job again: a new attempt, a new execution (names cannot be reused)."""
    job = runtime.jobs.retry(job_id)
    return _start_execution(runtime, job, created=False)


def execution_name(job_id: str, attempt: int) -> str:
    """The first attempt's execution is named after the job; later attempts get a suffix."""
    return job_id if attempt <= 1 else f"{job_id}-{attempt}"


def _start_execution(runtime: Runtime, job: Job, created: bool) -> StartedJob:
    source = job.source
    execution_input = json.dumps(
        {"job_id": job.id, "bucket": source.bucket, "key": source.key}, sort_keys=True
    )
    try:
        response = runtime.sfn.start_execution(
            stateMachineArn=runtime.settings.state_machine_arn,
            name=execution_name(job.id, job.attempt),
            input=execution_input,
        )
        execution_arn = response["executionArn"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
            raise
        logger.info("execution already exists")
        execution_arn = job.execution_arn
    else:
        logger.info("execution started", extra={"new_job": created, "attempt": job.attempt})
    return StartedJob(job.id, str(runtime.jobs.get(job.id).status), created, execution_arn)
