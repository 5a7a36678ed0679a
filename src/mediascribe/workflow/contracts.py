"""The input and output of every state, as the state machine's JSON carries them.

Each Lambda task parses its event into one of these models once (``observability.lambda_step``) and
returns one, so the workflow functions never see a raw dict. Field names are the JSON keys the ASL
selects (``Parameters``, ``ItemSelector``, ``ResultSelector``): renaming one is a change of the state
machine too. Unknown keys are ignored, as the ASL and scheduled events may carry more than a step reads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mediascribe.delivery.events import JobStateChange
from mediascribe.media.probe import MediaType


class Contract(BaseModel):
    """A payload that crosses a step boundary: immutable once parsed."""

    model_config = ConfigDict(frozen=True)


class JobStep(Contract):
    """The input of a task that works on one job; its id tags the invocation's log lines."""

    job_id: str


class ProbeRequest(JobStep):
    bucket: str
    key: str
    execution_arn: str | None = None


class ProbeResult(Contract):
    media_type: MediaType
    duration_seconds: float | None


class PrepareRequest(JobStep):
    bucket: str
    key: str
    media_type: MediaType


class ChunkEntry(Contract):
    """One uploaded chunk as the Map receives it: its key and where it sits in the source."""

    key: str
    offset: float
    duration: float
    size: int


class PrepareResult(Contract):
    chunk_count: int
    chunks: list[ChunkEntry]


class ChunkRequest(JobStep):
    """One Map item: the chunk at ``index`` of the job's chunk list."""

    index: int
    chunk: ChunkEntry


class ChunkResult(Contract):
    index: int
    result_key: str


class FinalizeRequest(JobStep):
    results: list[ChunkResult]


class FinalizeResult(Contract):
    status: str
    outputs: dict[str, str]
    chunk_count: int
    audio_seconds: float | None
    # What the state machine puts on EventBridge next.
    event: JobStateChange


class SkipRequest(JobStep):
    media_type: MediaType


class SkipResult(Contract):
    status: str
    reason: str | None
    event: JobStateChange


class FailRequest(JobStep):
    """The Catch's ``Error`` and ``Cause``; a failure without a name still gets one."""

    error: str | None = None
    cause: str | None = None


class FailResult(Contract):
    status: str
    event: JobStateChange


class SweepRequest(Contract):
    """The schedule's event carries nothing the sweep needs."""


class SweepResult(Contract):
    failed: list[str]


class S3ObjectRef(Contract):
    key: str
    size: int | None = None
    e_tag: str | None = Field(default=None, alias="eTag")
    version_id: str | None = Field(default=None, alias="versionId")


class S3BucketRef(Contract):
    name: str


class S3Entity(Contract):
    bucket: S3BucketRef
    object: S3ObjectRef


class S3Record(Contract):
    s3: S3Entity


class UploadNotification(Contract):
    """An S3 ``ObjectCreated`` notification; the test event S3 sends on setup has no records."""

    records: list[S3Record] = Field(default_factory=list, alias="Records")
    event: str | None = Field(default=None, alias="Event")


class StartedJobSummary(Contract):
    job_id: str
    status: str
    created: bool


class RejectedUpload(Contract):
    key: str
    reason: str


class UploadsStarted(Contract):
    jobs: list[StartedJobSummary]
    rejected: list[RejectedUpload]
