"""The events of a step's outcome: built from the job as stored, put on the bus by whoever announces it.

Inside the workflow the state machine announces a terminal change itself (its EventBridge task puts
the ``event`` a step returns); the sweeper and a notes rewrite requested through the API have no state
machine behind them, so they put their events here. Putting an event never fails the job: a refused or
unreachable bus is logged, and the job's own record stays the truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from mediascribe.delivery.events import (
    JOB_DETAIL_TYPE,
    NOTES_DETAIL_TYPE,
    SOURCE,
    JobStateChange,
    NotesStateChange,
    job_state_change,
)
from mediascribe.jobs.models import Job
from mediascribe.transcription.catalog import configured_engine
from mediascribe.workflow.runtime import Runtime

logger = logging.getLogger(__name__)

# PutEvents takes at most 10 entries a request (PutEventsRequestEntryList, max 10, in botocore's model).
MAX_ENTRIES_PER_REQUEST = 10


def job_event(runtime: Runtime, job: Job) -> JobStateChange:
    title, _ = runtime.jobs.notes(job.id)
    return job_state_change(
        job, engine=configured_engine(runtime.settings), title=title or job.original_filename
    )


def publish(runtime: Runtime, changes: Sequence[JobStateChange | NotesStateChange]) -> None:
    """Put ``changes`` on the deployment's bus; failures are logged, never raised."""
    entries = [
        {
            "Source": SOURCE,
            "DetailType": NOTES_DETAIL_TYPE if isinstance(change, NotesStateChange) else JOB_DETAIL_TYPE,
            "Detail": json.dumps(change.model_dump(mode="json"), ensure_ascii=False),
            "EventBusName": runtime.settings.event_bus_name,
        }
        for change in changes
    ]
    for start in range(0, len(entries), MAX_ENTRIES_PER_REQUEST):
        batch = entries[start : start + MAX_ENTRIES_PER_REQUEST]
        try:
            response = runtime.events().put_events(Entries=batch)
        except (BotoCoreError, ClientError) as exc:
            logger.error("events not put", extra={"count": len(batch), "error": str(exc)})
            continue
        if response.get("FailedEntryCount"):
            codes = sorted(
                {entry.get("ErrorCode", "") for entry in response["Entries"] if entry.get("ErrorCode")}
            )
            logger.error("events refused", extra={"count": response["FailedEntryCount"], "codes": codes})
