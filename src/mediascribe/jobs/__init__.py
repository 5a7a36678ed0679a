"""Jobs and their media assets in PostgreSQL, reached over psycopg2 or the RDS Data API: schema, executors,
lifecycle, status document.

Handlers use ``JobRepository`` and ``job_status_document`` (``get_job_status`` reads the job by id first);
no SQL lives outside this package.
"""

from mediascribe.jobs.models import Job, JobStatus, SourceObject

__all__ = ["Job", "JobStatus", "SourceObject"]
