"""``mediascribe reindex``: jobs transcribed before segments were stored become searchable."""

from __future__ import annotations

import json

from mediascribe.cli import main
from mediascribe.storage import JobKeys
from support.media_factory import make_speech_like


def _segments(database) -> list[dict]:
    return database.execute(
        "SELECT CAST(job_id AS text) AS job_id, idx, start_seconds, end_seconds, text,"
        " CAST(config AS text) AS config, xmin::text AS version FROM transcript_segments ORDER BY 1, 2"
    )


def test_reindex_backfills_from_the_stored_json_and_lists_what_it_could_not(
    make_workflow, database, postgres_dsn, monkeypatch, tmp_path, capsys
) -> None:
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_workflow() as workflow:
        job_ids = []
        for name in ("one", "two", "three"):
            key = workflow.upload(media, f"uploads/{name}/talk.mp3")
            job_ids.append(workflow.deliver_upload_event(key)["jobs"][0]["job_id"])
        for job_id in job_ids:
            assert workflow.wait(workflow.execution_arn(job_id)).status == "SUCCEEDED"
        stored = _segments(database)
        assert {row["job_id"] for row in stored} == set(job_ids)
        # As before search existed: no segments, and one job's JSON gone from the bucket.
        database.execute("DELETE FROM transcript_segments")
        work_prefix = workflow.settings_for("FinalizeTranscriptFunction").work_prefix
        lost = JobKeys(work_prefix, job_ids[2]).transcript("json")
        workflow.client("s3").delete_object(Bucket=workflow.options.bucket, Key=lost)
        monkeypatch.setenv("DATABASE_URL", postgres_dsn)
        monkeypatch.setenv("MEDIA_BUCKET", workflow.options.bucket)

        code = main(["reindex", "--language", "en"])
        captured = capsys.readouterr()
        assert code == 1
        assert captured.out.strip() == "reindexed 2 jobs, 2 segments, 1 failed"
        assert f"{job_ids[2]} not reindexed: SourceObjectMissingError" in captured.err
        rebuilt = _segments(database)
        expected = [dict(row, config="english") for row in stored if row["job_id"] != job_ids[2]]
        strip = [{k: v for k, v in row.items() if k != "version"} for row in rebuilt]
        assert strip == [{k: v for k, v in row.items() if k != "version"} for row in expected]

        # Again: nothing changes, not even a row version.
        assert main(["reindex", "--language", "en"]) == 1
        capsys.readouterr()
        assert _segments(database) == rebuilt

        assert main(["search", "chunk", "--json"]) == 0
        hits = json.loads(capsys.readouterr().out)
        assert sorted(hit["job_id"] for hit in hits) == sorted(job_ids[:2])
