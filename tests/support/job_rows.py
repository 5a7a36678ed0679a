"""Direct reads of the database, for tests that check what the workflow or a migration created."""

from __future__ import annotations

from mediascribe.jobs.database import Database


def job_count(database: Database) -> int:
    count: int = database.run(
        lambda transaction: transaction.execute("SELECT count(*) AS n FROM assets_processing_jobs")[0]["n"]
    )
    return count


def public_tables(dsn: str) -> list[str]:
    """The tables in the public schema, sorted, read over a connection of their own."""
    database = Database(dsn)
    try:
        rows = database.run(
            lambda transaction: transaction.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            )
        )
    finally:
        database.close()
    return [row["table_name"] for row in rows]
