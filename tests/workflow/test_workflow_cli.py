"""The ``mediascribe`` command: output, files, JSON status and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mediascribe.cli import main
from support.media_factory import make_garbage, make_speech_like, make_text
from support.paths import REPO


def test_transcribe_prints_the_transcript_and_writes_every_format(cli_env, tmp_path, capsys):
    media = make_speech_like(tmp_path / "meeting.mp3", 20.0, bitrate="64k", channels=1, sample_rate=22050)
    out = tmp_path / "out"
    code = main(["transcribe", str(media), "--out", str(out), "--max-chunk-size", "65536"])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("Transcript of chunk-00000.mp3. Transcript of chunk-00001.mp3.")
    assert sorted(path.name for path in out.iterdir()) == [
        "meeting.html",
        "meeting.json",
        "meeting.srt",
        "meeting.txt",
        "meeting.vtt",
    ]
    assert (out / "meeting.txt").read_text().strip() == captured.out.strip()
    assert "100%" in captured.err
    assert "Traceback" not in captured.err


def test_json_prints_the_status_document_with_the_text(cli_env, tmp_path, capsys):
    media = make_speech_like(tmp_path / "short.mp3", 3.0)
    code = main(["transcribe", str(media), "--json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["status"] == "completed"
    assert document["progress"] == 100
    assert document["content"] == "Transcript of chunk-00000.mp3."
    assert document["result"]["chunk_count"] == 1


def test_a_failed_job_exits_1_with_the_reason_and_no_traceback(cli_env, tmp_path, capsys):
    media = make_garbage(tmp_path / "noise.mp3")
    code = main(["transcribe", str(media), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out)["status"] == "failed"
    assert "failed: noise.mp3" in captured.err
    assert "Traceback" not in captured.err
    assert cli_env.request_count == 0


def test_a_skipped_job_exits_2_with_the_reason(cli_env, tmp_path, capsys):
    code = main(["transcribe", str(make_text(tmp_path / "readme.txt"))])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "skipped: text file" in captured.err


def test_a_missing_file_is_a_usage_error(cli_env, tmp_path, capsys):
    assert main(["transcribe", str(tmp_path / "nope.mp3")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_status_reads_a_job_from_the_database(cli_env, tmp_path, capsys):
    media = make_speech_like(tmp_path / "again.mp3", 3.0)
    assert main(["transcribe", str(media), "--json"]) == 0
    job_id = json.loads(capsys.readouterr().out)["job_id"]
    assert main(["status", job_id, "--content"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["job_id"] == job_id
    assert document["content"] == "Transcript of chunk-00000.mp3."
    assert main(["status", "not-a-uuid"]) == 2
    assert main(["status", "00000000-0000-4000-8000-000000000000"]) == 1


def test_help_describes_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "mediascribe.cli", "transcribe", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for option in ("--out", "--json", "--engine", "--model", "--max-chunk-size", "--keep-database"):
        assert option in result.stdout


@pytest.mark.slow
def test_demo_transcribes_the_sample_offline_without_a_key(postgres_dsn, database, tmp_path):
    """What ``make demo`` runs: no key, no network, the offline engine, the shipped sample."""
    import jiwer

    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "AWS_")) and name != "TRANSCRIPTION_ENGINE"
    }
    env["DATABASE_URL"] = postgres_dsn
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediascribe.cli",
            "transcribe",
            "samples/speech-sample.mp3",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    reference = (REPO / "samples/speech-sample.txt").read_text()
    assert jiwer.wer(reference.lower(), result.stdout.lower()) < 0.15
    assert (tmp_path / "speech-sample.srt").read_text().startswith("1\n")


def test_transcribing_the_same_file_again_returns_the_existing_job(cli_env, tmp_path, capsys):
    media = make_speech_like(tmp_path / "repeat.mp3", 3.0)
    assert main(["transcribe", str(media), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["transcribe", str(media), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["job_id"] == first["job_id"]
    assert second["content"] == first["content"]
    assert cli_env.request_count == 1
