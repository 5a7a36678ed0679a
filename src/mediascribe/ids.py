"""Validation and derivation of job ids and S3 object names.

Job ids become directory names under the temp dir, S3 key prefixes and Step Functions execution names,
so they are only ever canonical UUIDs. S3 keys come from users and are never trusted as paths.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

from mediascribe.errors import InvalidJobIdError, InvalidObjectKeyError

# A fixed namespace so the same source object always maps to the same job id, in every region.
_JOB_NAMESPACE = uuid.UUID("7f3b6c1e-2a4d-5e8f-9b0a-6c5d4e3f2a1b")
_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
MAX_KEY_BYTES = 1024
MAX_BASENAME_CHARS = 120


def validate_job_id(value: object) -> str:
    """Return the job id in canonical form, or raise before it reaches SQL, disk or S3."""
    if not isinstance(value, str):
        raise InvalidJobIdError(f"job id must be a string, got {type(value).__name__}")
    candidate = value.strip().lower()
    if not _CANONICAL_UUID.match(candidate):
        raise InvalidJobIdError(f"job id {value[:64]!r} is not a UUID")
    return candidate


def job_id_for_object(bucket: str, key: str, version: str | None) -> str:
    """Derive the job id from the source object, so duplicate events and repeated POSTs converge.

    ``version`` is the S3 version id when the bucket is versioned, else the ETag: a re-upload of new
    content under the same key is a new job, a redelivered event for the same upload is not.
    """
    validate_bucket(bucket)
    validate_object_key(key)
    return str(uuid.uuid5(_JOB_NAMESPACE, f"{bucket}\x00{key}\x00{version or ''}"))


def validate_bucket(bucket: object) -> str:
    if not isinstance(bucket, str) or not _BUCKET_NAME.match(bucket):
        raise InvalidObjectKeyError(f"invalid bucket name {str(bucket)[:70]!r}")
    return bucket


def validate_object_key(key: object) -> str:
    """Accept any key S3 accepts except ones carrying control characters (NUL, newlines...)."""
    if not isinstance(key, str) or not key:
        raise InvalidObjectKeyError("object key must be a non-empty string")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidObjectKeyError("object key is longer than 1024 bytes")
    if any(unicodedata.category(ch) == "Cc" for ch in key):
        raise InvalidObjectKeyError(f"object key {key[:80]!r} contains control characters")
    return key


def safe_basename(name: str) -> str:
    """A file name stem that is safe inside the job directory and readable in chunk names.

    Keeps unicode letters, digits, spaces and ``-_.+#``; drops directory parts, so ``../x`` or an
    absolute path can never point outside the job directory.
    """
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = last.rsplit(".", 1)[0] if "." in last.strip(".") else last
    cleaned = "".join(
        ch if (ch.isalnum() or ch in " -_.+#") else "_" for ch in unicodedata.normalize("NFC", stem)
    ).strip(" .")
    cleaned = re.sub(r"\.{2,}", "_", cleaned)
    return (cleaned[:MAX_BASENAME_CHARS].rstrip(" .")) or "media"
