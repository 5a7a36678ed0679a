"""Direct reads of the jobs table, for tests that count what the workflow created."""

from __future__ import annotations

from mediascribe.jobs.database import Database


def job_count(database: Database) -> int:
    def count(cursor):
        cursor.execute("SELECT count(*) AS n FROM assets_processing_jobs")
        return cursor.fetchone()["n"]

    return database.run(count)
