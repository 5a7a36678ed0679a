"""A shut-down model is refused before any work, naming its successor; one ending soon is announced.

The date is injected: the modules' clocks are replaced, so these tests do not depend on today.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from mediascribe import cli
from mediascribe.cli import local_commands
from mediascribe.jobs.models import JobStatus
from mediascribe.workflow import probe as probe_step
from support.media_factory import make_speech_like
from support.workflow_runs import run_file

AFTER_SHUTDOWN = date(2027, 3, 1)
BEFORE_SHUTDOWN = date(2026, 12, 1)


def frozen_date(day: date) -> type[date]:
    class Today(date):
        @classmethod
        def today(cls) -> date:
            return day

    return Today


def frozen_datetime(day: date) -> type[datetime]:
    class Now(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:
            return datetime(day.year, day.month, day.day, 12, tzinfo=tz)

    return Now


def test_the_cli_refuses_a_shut_down_model_before_any_work(cli_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(local_commands, "date", frozen_date(AFTER_SHUTDOWN))
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    code = cli.main(["transcribe", str(media), "--engine", "openai", "--model", "whisper-1"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert "whisper-1 was shut down on 2027-02-26; use gpt-transcribe" in err
    assert cli_env.request_count == 0


def test_the_cli_warns_about_a_model_ending_soon_and_runs(cli_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(local_commands, "date", frozen_date(BEFORE_SHUTDOWN))
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    code = cli.main(["transcribe", str(media), "--engine", "openai", "--model", "gpt-4o-transcribe"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: transcription model gpt-4o-transcribe shuts down on 2027-02-26 (in 87 days)" in err
    quiet = cli.main(["transcribe", str(media), "--engine", "openai", "--model", "gpt-transcribe"])
    assert quiet == 0
    assert "warning" not in capsys.readouterr().err


def test_a_deployed_workflow_fails_the_job_with_the_successor_named(
    make_workflow, jobs, fake_api, monkeypatch, tmp_path
):
    monkeypatch.setattr(probe_step, "datetime", frozen_datetime(AFTER_SHUTDOWN))
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_workflow(TRANSCRIPTION_MODEL="gpt-4o-mini-transcribe") as workflow:
        job_id, status = run_file(workflow, media)
    job = jobs.get(job_id)
    assert status == "FAILED"
    assert job.status is JobStatus.FAILED
    assert "gpt-4o-mini-transcribe was shut down on 2027-02-26; use gpt-transcribe" in (job.error or "")
    assert fake_api.request_count == 0
