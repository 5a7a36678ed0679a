"""The template's grants for the transcript page, enforced by moto's IAM: the jobs API may read a
job's page (the GET its presigned URL makes is checked against the API's role) and its source, and
no other work file; the notes step may rewrite the page and no other output."""

from __future__ import annotations

from collections.abc import Callable

from test_template_iam_access import BUCKET, JOB_ID, SOURCE_KEY, denied, store_for

from mediascribe.storage.objects import MediaStore

__all__ = ["store_for"]  # the fixture, shared with the other grant tests


def test_the_jobs_api_reads_pages_and_sources_but_no_other_work_file(
    store_for: Callable[[str], MediaStore],
) -> None:
    finalize = store_for("FinalizeTranscriptFunction")
    keys = finalize.job_keys(JOB_ID)
    finalize.put_text(keys, keys.page, "<!DOCTYPE html>", "text/html; charset=utf-8")
    finalize.put_text(keys, keys.transcript("txt"), "hello", "text/plain")

    api = store_for("JobsApiFunction")
    s3 = api._client
    assert api.exists(keys, keys.page)
    assert s3.get_object(Bucket=BUCKET, Key=keys.page)["Body"].read() == b"<!DOCTYPE html>"
    assert s3.get_object(Bucket=BUCKET, Key=SOURCE_KEY)["Body"].read() == b"ID3 source"
    assert denied(lambda: s3.get_object(Bucket=BUCKET, Key=keys.transcript("txt")))
    assert denied(lambda: api.put_text(keys, keys.page, "<p>replaced</p>", "text/html"))


def test_the_notes_step_rewrites_the_page_and_no_other_output(store_for: Callable[[str], MediaStore]) -> None:
    notes = store_for("WriteNotesFunction")
    keys = notes.job_keys(JOB_ID)
    assert notes.put_text(keys, keys.page, "<!DOCTYPE html>", "text/html; charset=utf-8") == keys.page
    assert denied(lambda: notes.put_text(keys, keys.transcript("txt"), "rewritten", "text/plain"))
    assert denied(lambda: notes._client.get_object(Bucket=BUCKET, Key=SOURCE_KEY))
