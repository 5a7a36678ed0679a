"""Reads do not change the schema, and each job outcome is logged once (by the workflow, not here)."""

from __future__ import annotations

import logging

import pytest

from mediascribe import cli
from mediascribe.jobs.connect import clear_executor_cache
from mediascribe.jobs.repository import JobRepository
from support.job_rows import public_tables


def test_status_reads_without_migrating(empty_dsn: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_dsn)
    monkeypatch.delenv("MEDIASCRIBE_API_URL", raising=False)
    try:
        code = cli.main(["status", "00000000-0000-4000-8000-000000000000"])
    finally:
        clear_executor_cache()
    assert code != 0
    assert "assets_processing_jobs" in capsys.readouterr().err
    assert public_tables(empty_dsn) == []


@pytest.mark.parametrize("adapter", ["psycopg2"])
def test_the_repository_does_not_log_outcomes(job_repository: JobRepository, make_job, caplog) -> None:
    job, stale = make_job(started=True), make_job()
    with caplog.at_level(logging.DEBUG, logger="mediascribe"):
        job_repository.fail(job.id, "boom", cause="States.TaskFailed")
        assert job_repository.fail_stale_jobs(0) == [stale.id]
    messages = [record.getMessage() for record in caplog.records]
    assert "job failed" not in messages
    assert "failed stale jobs" not in messages
