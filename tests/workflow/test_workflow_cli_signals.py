"""Stopping ``mediascribe transcribe`` leaves no PostgreSQL server and no directories behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediascribe.local.postgres import LocalPostgres
from support.media_factory import make_text

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A TMPDIR the server's system user can traverse (pytest's own tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="mediascribe-signals-"))
    path.chmod(0o755)
    yield path
    for pid in _postmaster_pids(path):  # only after a failure: never leave a server running
        os.kill(pid, signal.SIGQUIT)
    shutil.rmtree(path, ignore_errors=True)


def _postmaster_pids(root: Path) -> list[int]:
    pids = []
    for pid_file in root.glob("mediascribe-pg-*/data/postmaster.pid"):
        pid = int(pid_file.read_text().split()[0])
        if _alive(pid):
            pids.append(pid)
    return pids


def _exits(pid: int, within: float = 30.0) -> bool:
    """Whether the process is gone within ``within`` seconds (a stopping server takes a moment)."""
    deadline = time.monotonic() + within
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_transcribe(media: Path, tmp: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "OPENAI_API_KEY")}
    env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-m", "mediascribe.cli", "transcribe", str(media), "--keep-database"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str) -> None:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never appeared: {''.join(seen)}")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_and_removes_its_directories(shared_tmp, tmp_path, signum):
    media = make_text(tmp_path / "notes.txt")
    process = _start_transcribe(media, shared_tmp)
    try:
        _wait_for_line(process, "database kept running")
        servers = _postmaster_pids(shared_tmp)
        assert len(servers) == 1
        process.send_signal(signum)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert all(_exits(pid) for pid in servers)
    assert list(shared_tmp.iterdir()) == []


def test_a_run_clears_what_a_killed_run_left_behind(shared_tmp):
    killed = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from mediascribe.local.postgres import LocalPostgres\n"
            "with LocalPostgres():\n    print('up', flush=True); time.sleep(600)",
        ],
        env={**os.environ, "TMPDIR": str(shared_tmp)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert killed.stdout is not None and killed.stdout.readline().strip() == "up"
    orphans = _postmaster_pids(shared_tmp)
    killed.kill()
    killed.wait()
    assert len(orphans) == 1 and _alive(orphans[0])

    with LocalPostgres(base_dir=shared_tmp) as server:
        assert [p.name for p in shared_tmp.iterdir()] == [server.directory.name]
    assert _exits(orphans[0])
    assert list(shared_tmp.iterdir()) == []
