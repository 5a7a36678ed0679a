"""``mediascribe estimate`` against what the workflow then really sends, on two speech ratios.

Each recording goes through the template's workflow with the OpenAI stand-in, which measures the
audio of every upload with ffprobe. The estimate, made before from the file alone, must agree with
the stand-in's count of requests and audio seconds, and with the usage the finished job records,
within 5 %; the job's state transitions must be the states its execution entered.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from mediascribe.cli import main
from mediascribe.costs import (
    CHUNK_STATES,
    MEMORY_MB,
    NOTES_STATES,
    STORED_DAYS,
    SUCCESS_STATES,
    billed_seconds,
)
from mediascribe.jobs.database import Database, _CursorTransaction
from mediascribe.jobs.repository import JobRepository
from support.fake_openai import FakeTranscriptionServer
from support.media_factory import run_ffmpeg
from support.paths import ASL
from support.workflow_runs import run_file
from template.template_support import load_template

MODEL = "whisper-1"
CHUNK_TARGET = "120"
TOLERANCE = 0.05
# Tone bursts of 3.5 s with pauses of 0.5 s: the rhythm of speech (as ``make_speech_like``).
BURSTS = "sin(2*PI*(220+60*mod(floor(t/4),5))*t)*0.5*gte(mod(t,4),0.5)"


def _recording(path: Path, seconds: float, expression: str) -> Path:
    run_ffmpeg(
        "-f", "lavfi", "-i", f"aevalsrc=exprs='{expression}':s=22050:d={seconds}",
        "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3", str(path),
    )  # fmt: skip
    return path


RECORDINGS = {
    # Speech almost throughout.
    "mostly speech": (300.0, BURSTS),
    # 40 s of speech in every 150 s: long silences, whole stretches no request should carry.
    "long silences": (450.0, f"{BURSTS}*lt(mod(t,150),40)"),
}


class DataApiCalls:
    """The Data API requests the local run's statements would be: a statement on its own is one
    ExecuteStatement; a transaction is BeginTransaction, one per statement, and CommitTransaction."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._single = threading.local()
        self._lock = threading.Lock()
        execute, run, statement = Database.execute, Database.run, _CursorTransaction.execute

        def single(database: Database, *args: Any, **kwargs: Any) -> Any:
            self._add(1)
            self._single.on = True
            try:
                return execute(database, *args, **kwargs)
            finally:
                self._single.on = False

        def transaction(database: Database, work: Any) -> Any:
            if not self._in_single():
                self._add(2)
            return run(database, work)

        def one_statement(cursor: _CursorTransaction, *args: Any, **kwargs: Any) -> Any:
            if not self._in_single():
                self._add(1)
            return statement(cursor, *args, **kwargs)

        monkeypatch.setattr(Database, "execute", single)
        monkeypatch.setattr(Database, "run", transaction)
        monkeypatch.setattr(_CursorTransaction, "execute", one_statement)

    def _in_single(self) -> bool:
        return getattr(self._single, "on", False)

    def _add(self, calls: int) -> None:
        with self._lock:
            self.count += calls


def _estimate(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["estimate", str(path), "--engine", "openai", "--json"]) == 0
    estimates = json.loads(capsys.readouterr().out)["estimates"]
    return next(estimate for estimate in estimates if estimate["model"] == MODEL)


def _close(estimated: float, counted: float) -> bool:
    return abs(estimated - counted) <= TOLERANCE * counted


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_the_estimate_matches_what_the_finished_job_sent(
    name: str,
    make_workflow,
    jobs: JobRepository,
    fake_api: FakeTranscriptionServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seconds, expression = RECORDINGS[name]
    media = _recording(tmp_path / f"{name}.mp3", seconds, expression)
    monkeypatch.setenv("TRANSCRIPTION_MODEL", MODEL)
    monkeypatch.setenv("CHUNK_TARGET_SECONDS", CHUNK_TARGET)
    estimate = _estimate(media, capsys)

    with make_workflow(TRANSCRIPTION_MODEL=MODEL, CHUNK_TARGET_SECONDS=CHUNK_TARGET) as workflow:
        calls = DataApiCalls(monkeypatch)
        job_id, status = run_file(workflow, media)
        data_api = calls.count
        history = workflow.history(workflow.execution_arn(job_id))
    assert status == "SUCCEEDED"
    usage = jobs.get(job_id).result["usage"]

    sent = sum(request.audio_seconds or 0.0 for request in fake_api.requests)
    assert set(fake_api.statuses) == {200}
    assert _close(estimate["requests"], fake_api.request_count), (
        estimate["requests"],
        fake_api.request_count,
    )
    assert _close(estimate["sent_seconds"], sent), (estimate["sent_seconds"], sent)
    assert _close(usage["requests"], fake_api.request_count)
    assert _close(usage["sent_seconds"], sent)
    assert estimate["chunks"] == usage["chunks"] == jobs.get(job_id).chunks_total
    entered = [event for event in history if event["type"].endswith("StateEntered")]
    assert usage["state_transitions"] == estimate["state_transitions"] == len(entered)
    assert usage["data_api_requests"] == estimate["data_api_requests"] == data_api
    if name == "long silences":
        # The silences are never sent: what is billed is about the speech, not the recording.
        assert sent < 0.5 * seconds


def test_the_cost_model_uses_the_templates_memory_sizes_and_retention() -> None:
    template = load_template()
    default = template["Globals"]["Function"]["MemorySize"]
    resources = template["Resources"]
    shipped = {name: resources[name]["Properties"].get("MemorySize", default) for name in MEMORY_MB}
    assert shipped == MEMORY_MB
    assert template["Parameters"]["WorkRetentionDays"]["Default"] == STORED_DAYS


def test_the_counted_states_are_the_definitions_success_path() -> None:
    definition = json.loads(ASL.read_text())
    states = definition["States"]

    def follows(name: str) -> set[str]:
        state = states[name]
        targets = {choice["Next"] for choice in state.get("Choices", ())} | {state.get("Default")}
        return (targets | {state.get("Next")}) - {None}

    assert SUCCESS_STATES[0] == definition["StartAt"]
    assert all(b in follows(a) for a, b in itertools.pairwise(SUCCESS_STATES))
    assert states[SUCCESS_STATES[-1]]["Type"] == "Succeed"
    assert tuple(states["Transcribe chunks"]["ItemProcessor"]["States"]) == CHUNK_STATES
    # With notes, the Choice leads to them and they lead back to the end.
    assert NOTES_STATES[0] in follows("Notes wanted?")
    assert SUCCESS_STATES[-1] in follows(NOTES_STATES[-1])


def test_amazon_transcribe_bills_at_least_fifteen_seconds_a_request() -> None:
    # Three chunks of 4 s: 12 s sent, 45 s billed.
    assert billed_seconds("amazon", 12.0, 3) == 45.0
    assert billed_seconds("openai", 12.0, 3) == 12.0
    assert billed_seconds("local", 12.0, 3) == 0.0
