"""S3 ObjectCreated → one job and one Step Functions execution per uploaded object version."""

from __future__ import annotations

from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.errors import InvalidInputError, InvalidObjectKeyError
from mediascribe.observability import bind_job, lambda_step, logger
from mediascribe.workflow.contracts import (
    RejectedUpload,
    StartedJobSummary,
    UploadNotification,
    UploadsStarted,
)
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.start import start_job


@lambda_step("start_job", UploadNotification)
def lambda_handler(event: UploadNotification, context: LambdaContext, settings: Settings) -> UploadsStarted:
    """A key that can never be processed is reported and dropped (S3 would redeliver it in vain);
    anything else, such as the database being down, raises so the event is retried."""
    runtime = runtime_for(settings)
    started: list[StartedJobSummary] = []
    rejected: list[RejectedUpload] = []
    if not event.records:
        # S3 sends an "s3:TestEvent" without records when the notification is configured.
        logger.info("event without records ignored", extra={"event_kind": event.event})
    for record in event.records:
        s3_object = record.s3.object
        key = unquote_plus(s3_object.key)  # S3 notifications carry URL-encoded keys
        try:
            job = start_job(
                runtime,
                bucket=record.s3.bucket.name,
                key=key,
                version_id=s3_object.version_id,
                etag=s3_object.e_tag,
                size_bytes=s3_object.size,
            )
        except (InvalidObjectKeyError, InvalidInputError) as exc:
            logger.warning("upload rejected", extra={"key": key[:300], "reason": str(exc)})
            rejected.append(RejectedUpload(key=key, reason=str(exc)))
            continue
        bind_job(job.job_id)
        started.append(job.summary())
    return UploadsStarted(jobs=started, rejected=rejected)
