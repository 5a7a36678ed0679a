"""Task "Write notes": title, summary, chapters and action items of the completed transcript."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.config import Settings
from mediascribe.observability import lambda_step
from mediascribe.workflow.events import publish
from mediascribe.workflow.notes import (
    WriteNotesRequest,
    WriteNotesResult,
    failure_reason,
    record_notes_failure,
    write_job_notes,
)
from mediascribe.workflow.runtime import runtime_for


@lambda_step("write_notes", WriteNotesRequest)
def lambda_handler(event: WriteNotesRequest, context: LambdaContext, settings: Settings) -> WriteNotesResult:
    runtime = runtime_for(settings)
    if event.failure is not None:
        return record_notes_failure(runtime, event.job_id, failure_reason(event.failure))
    result = write_job_notes(runtime, event.job_id, final=event.final)
    if event.final:
        # Requested through the API: no state machine follows to announce the notes.
        publish(runtime, [result.event])
    return result
