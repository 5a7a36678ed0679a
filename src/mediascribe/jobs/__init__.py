"""Jobs and their media assets in PostgreSQL: schema, connection handling, lifecycle, status document.

Handlers use ``JobRepository`` and ``get_job_status``; no SQL lives outside this package.
"""

from mediascribe.jobs.models import Job, JobStatus, SourceObject

__all__ = ["Job", "JobStatus", "SourceObject"]
