"""S3 ObjectCreated → one job and one Step Functions execution per uploaded object version."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from mediascribe.config import Settings
from mediascribe.errors import InvalidInputError, InvalidObjectKeyError
from mediascribe.observability import bind_job, lambda_step, logger
from mediascribe.workflow.runtime import runtime_for
from mediascribe.workflow.start import start_job


@lambda_step("start_job")
def lambda_handler(event: dict[str, Any], context: Any, settings: Settings) -> dict[str, Any]:
    """A key that can never be processed is reported and dropped (S3 would redeliver it in vain);
    anything else, such as the database being down, raises so the event is retried."""
    runtime = runtime_for(settings)
    started, rejected = [], []
    if "Records" not in event:
        # S3 sends an "s3:TestEvent" without records when the notification is configured.
        logger.info("event without records ignored", extra={"event_kind": event.get("Event")})
        return {"jobs": started, "rejected": rejected}
    for record in S3Event(event).records:
        s3_object = record.s3.get_object
        key = unquote_plus(s3_object.key)  # S3 notifications carry URL-encoded keys
        try:
            job = start_job(
                runtime,
                runtime.sfn,
                bucket=record.s3.bucket.name,
                key=key,
                version_id=s3_object.version_id,
                etag=s3_object.etag,
                size_bytes=s3_object.size,
            )
        except (InvalidObjectKeyError, InvalidInputError) as exc:
            logger.warning("upload rejected", extra={"key": key[:300], "reason": str(exc)})
            rejected.append({"key": key, "reason": str(exc)})
            continue
        bind_job(job.job_id)
        started.append(job.to_dict())
    return {"jobs": started, "rejected": rejected}
