"""The Notion page kept with a job, over both executors (psycopg2 and the RDS Data API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mediascribe.errors import IllegalTransitionError
from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.repository import JobRepository, NotionPage
from mediascribe.jobs.status import get_job_status
from support.fake_data_api import FakeDataApi, data_api_executor
from support.job_sources import job_id_for, next_key, source_for

PAGE_ID = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
URL = "https://www.notion.so/1f2e3d4c5b6a49788695a4b3c2d1e0f9"


@pytest.fixture(scope="module")
def data_api(_migrated: str) -> Iterator[FakeDataApi]:
    with FakeDataApi(_migrated) as api:
        yield api


@pytest.fixture(params=("psycopg2", "data-api"))
def repository(
    request: pytest.FixtureRequest, database: Database, postgres_dsn: str
) -> Iterator[JobRepository]:
    executor: Executor
    if request.param == "data-api":
        executor = data_api_executor(request.getfixturevalue("data_api"), resume_backoff_seconds=0.01)
    else:
        executor = Database(postgres_dsn)
    try:
        yield JobRepository(executor)
    finally:
        executor.close()


def new_job(repository: JobRepository, *, complete: bool = True) -> str:
    source = source_for(f"uploads/{next_key()}/talk.mp3")
    job, _ = repository.create_job(job_id_for(source), source, "talk.mp3")
    if complete:
        repository.start(job.id)
        repository.complete(job.id, "the transcript", {"model": "whisper-1"})
    return job.id


def test_the_page_is_stored_updated_and_shown_in_the_status_document(repository: JobRepository) -> None:
    job_id = new_job(repository)
    assert repository.notion_page(job_id) is None
    assert "notion" not in get_job_status(repository, job_id)

    repository.set_notion_page(job_id, NotionPage("delivered", PAGE_ID, URL))
    assert repository.notion_page(job_id) == NotionPage("delivered", PAGE_ID, URL)

    failed = NotionPage("failed", PAGE_ID, URL, "Notion refused the integration token (401 unauthorized)")
    repository.set_notion_page(job_id, failed)
    assert repository.notion_page(job_id) == failed
    assert get_job_status(repository, job_id)["notion"] == {
        "status": "failed",
        "page_id": PAGE_ID,
        "url": URL,
        "last_error": "Notion refused the integration token (401 unauthorized)",
    }


def test_a_job_without_a_transcript_has_no_page(repository: JobRepository) -> None:
    job_id = new_job(repository, complete=False)
    with pytest.raises(IllegalTransitionError, match="it is pending"):
        repository.set_notion_page(job_id, NotionPage("delivered", PAGE_ID, URL))


@pytest.mark.parametrize(
    "page",
    [
        NotionPage("delivered"),  # delivered without a page
        NotionPage("delivered", PAGE_ID, URL, "an error"),  # delivered, yet failed
        NotionPage("failed", PAGE_ID, URL),  # failed without saying why
        NotionPage("failed", error="x" * 1001),
    ],
)
def test_the_database_refuses_a_record_that_contradicts_itself(
    repository: JobRepository, page: NotionPage
) -> None:
    job_id = new_job(repository)
    with pytest.raises(Exception, match=r"check constraint|violates"):
        repository.set_notion_page(job_id, page)
    assert repository.notion_page(job_id) is None
