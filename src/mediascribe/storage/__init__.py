"""S3 access for the workflow: the per-job key layout and the object operations the steps need."""

from mediascribe.storage.keys import TRANSCRIPT_FORMATS, JobKeys, upload_key
from mediascribe.storage.objects import MediaStore, ObjectHead

__all__ = ["TRANSCRIPT_FORMATS", "JobKeys", "MediaStore", "ObjectHead", "upload_key"]
