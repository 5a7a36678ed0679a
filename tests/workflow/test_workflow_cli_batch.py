"""Several files or a folder through `mediascribe transcribe`: one workflow, a line per file, a table."""

from __future__ import annotations

import json

from mediascribe.cli import main
from support.media_factory import make_garbage, make_speech_like, make_text


def _speech(path):
    return make_speech_like(path, 4.0, bitrate="64k", channels=1, sample_rate=22050)


def test_a_folder_runs_every_file_and_exits_with_the_worst_outcome(cli_env, tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    _speech(folder / "talk.mp3")
    make_text(folder / "notes.txt")
    make_garbage(folder / "noise.mp3")
    (folder / ".hidden").write_text("not a file to transcribe")

    code = main(["transcribe", str(folder), "--out", str(tmp_path / "out"), "--parallel", "2"])
    captured = capsys.readouterr()

    assert code == 1  # failed is the worst of completed, skipped and failed
    table = captured.out.splitlines()
    assert table[0].split() == ["file", "status", "finished", "after", "detail"]
    rows = {line.split()[0]: line for line in table[2:]}
    assert sorted(rows) == ["noise.mp3", "notes.txt", "talk.mp3"]
    assert " completed " in rows["talk.mp3"] and " skipped " in rows["notes.txt"]
    assert " failed " in rows["noise.mp3"] and "not audio or video that can be read" in rows["noise.mp3"]
    progress = [
        line
        for line in captured.err.splitlines()
        if line.split()[:1] in (["talk.mp3"], ["notes.txt"], ["noise.mp3"])
    ]
    assert sorted(line.split()[0] for line in progress) == ["noise.mp3", "notes.txt", "talk.mp3"]
    assert (tmp_path / "out" / "talk.txt").read_text().strip().startswith("Transcript of chunk-00000.mp3.")
    assert "Traceback" not in captured.err


def test_files_that_complete_or_skip_exit_2_and_json_lists_every_document(cli_env, tmp_path, capsys):
    files = [_speech(tmp_path / "a.mp3"), make_text(tmp_path / "b.txt")]
    code = main(["transcribe", *map(str, files), "--json"])
    documents = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [(d["file_name"], d["status"]) for d in documents] == [
        ("a.mp3", "completed"),
        ("b.txt", "skipped"),
    ]


def test_files_that_all_complete_exit_0(cli_env, tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    files = [_speech(tmp_path / "one.mp3"), _speech(tmp_path / "sub" / "one.mp3")]
    assert main(["transcribe", *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert out.count(" completed ") == 2
    assert str(tmp_path / "sub" / "one.mp3") in out  # names that repeat are shown by their path


def test_a_missing_path_or_an_empty_folder_is_a_usage_error(cli_env, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["transcribe", str(tmp_path / "gone.mp3"), str(empty)]) == 2
    assert main(["transcribe", str(empty)]) == 2
    assert "holds no file" in capsys.readouterr().err
