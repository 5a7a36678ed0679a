"""``mediascribe transcribe`` with notes: printed after the transcript and written as <name>.notes.md."""

from __future__ import annotations

import pytest

from mediascribe.cli import main
from support.aws_profiles import write_profile
from support.media_factory import make_speech_like


@pytest.fixture
def cli_env(cli_env, monkeypatch):
    """The shared command environment, with whisper-1, which answers segment times."""
    monkeypatch.setenv("TRANSCRIPTION_MODEL", "whisper-1")
    return cli_env


def test_transcribe_prints_the_notes_and_writes_them_as_markdown(cli_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NOTES_PROVIDER", "openai")
    media = make_speech_like(tmp_path / "planning.mp3", 3.0)
    out = tmp_path / "out"
    code = main(["transcribe", str(media), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    notes_md = (out / "planning.notes.md").read_text(encoding="utf-8")
    assert notes_md.startswith("# Welcome to the weekly planning meeting.")
    assert "## Chapters\n\n- 00:00:00 " in notes_md
    assert "- [ ] fix the login bug by Friday. (Maria)" in notes_md
    transcript = (out / "planning.txt").read_text(encoding="utf-8").strip()
    assert captured.out == f"{transcript}\n\n{notes_md}"
    assert "notes are off" not in captured.err


def test_transcribe_writes_notes_with_bedrock_through_an_aws_profile(
    cli_env, bedrock_server, monkeypatch, tmp_path, capsys
):
    """The path of a local run against the real Bedrock: no endpoint variable, the profile's keys and
    Region. The profile routes Bedrock to the stand-in, as its ``services`` section allows; the stand-in
    serves an eu. profile only to a request signed for an EU Region."""
    profile = write_profile(
        tmp_path, "notes", region="eu-west-1", endpoints={"bedrock_runtime": bedrock_server.endpoint_url}
    )
    for name, value in {
        **profile,
        "NOTES_PROVIDER": "bedrock",
        "NOTES_MODEL": "eu.amazon.nova-micro-v1:0",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    media = make_speech_like(tmp_path / "planning.mp3", 3.0)
    out = tmp_path / "out"

    code = main(["transcribe", str(media), "--out", str(out), "--aws-profile", "notes"])
    captured = capsys.readouterr()

    assert code == 0, captured.err
    assert "Amazon Bedrock: profile notes, Region eu-west-1" in captured.err
    assert (out / "planning.notes.md").read_text(encoding="utf-8").startswith("# Welcome")
    assert [request.model for request in bedrock_server.script.requests] == ["eu.amazon.nova-micro-v1:0"]


def test_transcribe_without_a_provider_says_how_to_turn_notes_on(cli_env, tmp_path, capsys):
    media = make_speech_like(tmp_path / "plain.mp3", 3.0)
    out = tmp_path / "out"
    code = main(["transcribe", str(media), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0
    assert "notes are off: set NOTES_PROVIDER=openai" in captured.err
    assert not (out / "plain.notes.md").exists()
    assert "## Chapters" not in captured.out


def test_notes_without_a_database_or_api_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MEDIASCRIBE_API_URL", raising=False)
    code = main(["notes", "5e5bf43a-895e-5e60-a69a-c91905330277"])
    assert code == 2
    assert "set DATABASE_URL and MEDIA_BUCKET (or give --api)" in capsys.readouterr().err
