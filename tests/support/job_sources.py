"""Source objects and job ids for the jobs tests."""

from __future__ import annotations

import itertools

from mediascribe.ids import job_id_for_object
from mediascribe.jobs import SourceObject

_keys = itertools.count()


def next_key() -> int:
    return next(_keys)


def source_for(key: str, *, etag: str = '"etag-1"', version_id: str | None = None) -> SourceObject:
    return SourceObject(bucket="media-bucket", key=key, version_id=version_id, etag=etag, size_bytes=2048)


def job_id_for(source: SourceObject) -> str:
    return job_id_for_object(source.bucket, source.key, source.version)
