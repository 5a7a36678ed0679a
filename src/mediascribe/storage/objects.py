"""The S3 operations of the workflow.

Source objects are only ever read (head, download); writes are refused unless the key lies inside a job's
work prefix, so a bug or a hostile key can never overwrite an upload or anything else in the bucket.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from mediascribe.errors import InvalidObjectKeyError, SourceObjectMissingError, StorageError
from mediascribe.ids import validate_bucket, validate_object_key
from mediascribe.storage.keys import JobKeys

logger = logging.getLogger(__name__)

_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
PRESIGNED_UPLOAD_SECONDS = 900
# The largest upload the presigned POST allows: S3 takes at most 5 GB in one request ("With a single
# PUT operation, you can upload a single object up to 5 GB in size",
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html; a POST is "an alternate
# form of PUT", https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html). 5 GB in decimal
# bytes stays within the limit whether S3 counts it in GB or GiB, and within what the media steps can
# stage in their 10,240 MB of /tmp (see the template's sizing notes).
MAX_SOURCE_BYTES = 5 * 1000**3
# A generous ceiling on a media file's bitrate (50 Mbit/s: above what cameras and screen recorders
# deliver), which turns the duration guard into a size cap for uploads.
MAX_SOURCE_BYTES_PER_SECOND = 50_000_000 // 8


def upload_size_limit(max_duration_seconds: float) -> int:
    """The most bytes an upload may have: what the duration guard could accept, and /tmp can hold.

    A larger file would be refused anyway, after it was stored and probed; the cap refuses it at S3.
    """
    return min(int(max_duration_seconds * MAX_SOURCE_BYTES_PER_SECOND), MAX_SOURCE_BYTES)


@dataclass(frozen=True)
class PresignedUpload:
    """An S3 presigned POST: the form ``fields`` go with the file (sent last) to ``url``."""

    url: str
    fields: dict[str, str]
    max_bytes: int


@dataclass(frozen=True)
class ObjectHead:
    bucket: str
    key: str
    size_bytes: int
    etag: str | None
    version_id: str | None


class MediaStore:
    """One bucket's objects, as the workflow steps use them. ``client`` is a boto3 S3 client."""

    def __init__(self, client: Any, bucket: str, work_prefix: str) -> None:
        self._client = client
        self.bucket = validate_bucket(bucket)
        self.work_prefix = work_prefix

    def job_keys(self, job_id: str) -> JobKeys:
        return JobKeys(self.work_prefix, job_id)

    def head(self, key: str, *, bucket: str | None = None) -> ObjectHead:
        bucket = self._source_bucket(bucket)
        validate_object_key(key)
        with _missing_as_source_error(key):
            response = self._client.head_object(Bucket=bucket, Key=key)
        version = response.get("VersionId")
        return ObjectHead(
            bucket=bucket,
            key=key,
            size_bytes=int(response.get("ContentLength", 0)),
            etag=(response.get("ETag") or "").strip('"') or None,
            version_id=None if version in (None, "null") else version,
        )

    def exists(self, keys: JobKeys, key: str) -> bool:
        """Whether this job already wrote ``key`` (lets a retried step reuse finished work)."""
        if not keys.owns(key):
            raise InvalidObjectKeyError(f"{key!r} is outside the job's prefix {keys.prefix!r}")
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise
        return True

    def download(self, key: str, destination: Path, *, bucket: str | None = None) -> Path:
        """Stream an object to disk (multipart, bounded memory) — media can be gigabytes."""
        bucket = self._source_bucket(bucket)
        validate_object_key(key)
        with _missing_as_source_error(key):
            self._client.download_file(bucket, key, str(destination))
        return destination

    def upload_file(self, keys: JobKeys, key: str, path: Path, content_type: str) -> str:
        self._check_writable(keys, key)
        self._client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type})
        return key

    def put_text(self, keys: JobKeys, key: str, text: str, content_type: str) -> str:
        self._check_writable(keys, key)
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type
        )
        return key

    def put_json(self, keys: JobKeys, key: str, document: Any) -> str:
        return self.put_text(
            keys, key, json.dumps(document, ensure_ascii=False), "application/json; charset=utf-8"
        )

    def delete_prefix(self, keys: JobKeys, prefix: str) -> int:
        """Delete this job's objects under ``prefix`` (inside its own prefix only); returns how many."""
        if not keys.owns(prefix):
            raise InvalidObjectKeyError(f"refusing to delete {prefix!r} outside {keys.prefix!r}")
        deleted = 0
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            batch = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if batch:
                response = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
                # A batch delete answers 200 even when objects were refused; they are listed here.
                if errors := response.get("Errors"):
                    first = errors[0]
                    raise StorageError(
                        f"could not delete {len(errors)} object(s) under {prefix!r}: "
                        f"{first.get('Code')} {first.get('Message', '')} ({first.get('Key')})"
                    )
                deleted += len(batch)
        return deleted

    def get_json(self, keys: JobKeys, key: str) -> Any:
        """Read back a document this job wrote; keys from the state input are checked first."""
        if not keys.owns(key):
            raise InvalidObjectKeyError(f"{key!r} is outside the job's prefix {keys.prefix!r}")
        with _missing_as_source_error(key):
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        with body:
            return json.loads(body.read())

    def presigned_upload(
        self, key: str, *, max_bytes: int, expires_seconds: int = PRESIGNED_UPLOAD_SECONDS
    ) -> PresignedUpload:
        """A POST policy for exactly ``key`` that S3 refuses for an empty file or one over ``max_bytes``.

        A presigned PUT cannot bound the size; the POST policy's ``content-length-range`` can.
        """
        validate_object_key(key)
        post = self._client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Conditions=[["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_seconds,
        )
        return PresignedUpload(url=post["url"], fields=dict(post["fields"]), max_bytes=max_bytes)

    def presigned_download(self, key: str, *, expires_seconds: int) -> str:
        """A GET URL for one object of the bucket, signed with this client's credentials.

        Signing is local; S3 checks the signer's s3:GetObject when the URL is used, and a URL signed
        with temporary (role) credentials stops working when they expire, whatever ``expires_seconds``
        says (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html).
        """
        validate_object_key(key)
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds
        )
        return url

    def _source_bucket(self, bucket: str | None) -> str:
        return self.bucket if bucket is None else validate_bucket(bucket)

    def _check_writable(self, keys: JobKeys, key: str) -> None:
        if not keys.owns(key):
            raise InvalidObjectKeyError(f"refusing to write {key!r} outside {keys.prefix!r}")


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _missing_as_source_error(key: str) -> Iterator[None]:
    """A missing object becomes SourceObjectMissingError; any other client error propagates unchanged."""
    try:
        yield
    except ClientError as exc:
        if _error_code(exc) in _MISSING_CODES:
            raise SourceObjectMissingError(
                key, "the object does not exist (deleted before processing?)"
            ) from exc
        raise
