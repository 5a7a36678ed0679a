"""Direct reads of the jobs table, for tests that count what the workflow created."""

from __future__ import annotations

from mediascribe.jobs.database import Database


def job_count(database: Database) -> int:
    return database.run(
        lambda transaction: transaction.execute("SELECT count(*) AS n FROM assets_processing_jobs")[0]["n"]
    )
