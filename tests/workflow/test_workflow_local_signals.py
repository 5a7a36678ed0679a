"""A signal ends a local run in the middle of offline decoding at once, leaving nothing behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.process_tree import descendants, process_info, tree
from support.speech_factory import conversation, make_speech

REPO = Path(__file__).resolve().parents[2]
# Container runtimes kill a process this long after SIGTERM (docker stop's default grace period).
GRACE_SECONDS = 10
pytestmark = pytest.mark.slow


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A TMPDIR the server's system user can traverse (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="mediascribe-local-signals-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _postmasters(root: Path) -> list[int]:
    return [int(f.read_text().split()[0]) for f in root.glob("mediascribe-pg-*/data/postmaster.pid")]


def _gone(pid: int) -> bool:
    return process_info(pid) is None


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"]
)
def test_a_signal_mid_decode_ends_the_run_within_the_grace_period(shared_tmp, tmp_path, signum, code):
    media = tmp_path / "talk.mp3"
    make_speech(media, conversation(60), gap_seconds=0.6)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OPENAI_API_KEY")}
    # One thread, one piece at a time: the chunk's decoding takes far longer than the grace period.
    env.update(TMPDIR=str(shared_tmp), LOCAL_THREADS="1", LOCAL_BATCH_SIZE="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "mediascribe.cli", "transcribe", str(media), "--engine", "local"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    decoding = threading.Event()
    threading.Thread(target=_watch_for_decoding, args=(process, decoding), daemon=True).start()
    try:
        assert decoding.wait(300), "the run never started decoding"
        servers, started = _postmasters(shared_tmp), descendants(process.pid)
        process.send_signal(signum)
        returncode = process.wait(timeout=GRACE_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert returncode == code
    assert started and all(_gone(pid) for pid in started)
    deadline = time.monotonic() + 30  # PostgreSQL's processes are not ours to wait for
    while not all(_gone(pid) for pid in servers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers and all(_gone(pid) for pid in servers)
    assert list(shared_tmp.iterdir()) == []


def _watch_for_decoding(process: subprocess.Popen[str], decoding: threading.Event) -> None:
    """Set ``decoding`` once chunks are being transcribed and the run has spent 3 s of CPU on it."""
    assert process.stderr is not None
    for line in process.stderr:
        if "transcribing chunks" in line:
            break
    base = _cpu(process.pid)
    while process.poll() is None and _cpu(process.pid) < base + 3.0:
        time.sleep(0.1)
    decoding.set()
    for _ in process.stderr:  # keep the pipe drained
        pass


def _cpu(pid: int) -> float:
    return sum(p.cpu_seconds for p in tree(pid))
