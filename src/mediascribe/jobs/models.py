"""The job as the rest of mediascribe sees it; rows are turned into these by the repository only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.SKIPPED)


@dataclass(frozen=True)
class SourceObject:
    """The uploaded object a job transcribes; ``version_id`` or else ``etag`` tells re-uploads apart."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size_bytes: int | None = None

    @property
    def version(self) -> str:
        return self.version_id or self.etag or ""


@dataclass(frozen=True)
class Job:
    id: str
    asset_id: str
    status: JobStatus
    progress: int
    stage: str
    original_filename: str
    source: SourceObject
    media_type: str | None
    duration_seconds: float | None
    error: str | None
    cause: str | None
    reason: str | None
    result: dict[str, Any] | None
    execution_arn: str | None
    attempt: int
    chunks_total: int | None
    chunks_done: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        return cls(
            id=str(row["id"]),
            asset_id=str(row["asset_id"]),
            status=JobStatus(row["status"]),
            progress=row["progress"],
            stage=row["stage"],
            original_filename=row["original_filename"],
            source=SourceObject(
                bucket=row["source_bucket"],
                key=row["source_key"],
                version_id=_version_id(row["source_version"], row["source_etag"]),
                etag=row["source_etag"],
                size_bytes=row["size_bytes"],
            ),
            media_type=row["media_type"],
            duration_seconds=row["duration_seconds"],
            error=row["error"],
            cause=row["cause"],
            reason=row["reason"],
            result=row["result"],
            execution_arn=row["execution_arn"],
            attempt=row["attempt"],
            chunks_total=row["chunks_total"],
            chunks_done=row["chunks_done"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            updated_at=row["updated_at"],
        )


def _version_id(stored_version: str, etag: str | None) -> str | None:
    """``source_version`` holds the version id, else the ETag, else ''; recover the version id alone."""
    return stored_version if stored_version and stored_version != etag else None
