import threading
import time
import uuid

import pytest

from mediascribe import workspace
from mediascribe.errors import InvalidJobIdError
from mediascribe.workspace import job_workspace, remove_stale_workspaces, workspace_path


def test_workspace_is_removed_on_success_and_on_error(tmp_path):
    job_id = str(uuid.uuid4())
    with job_workspace(tmp_path, job_id) as path:
        (path / "chunk.mp3").write_bytes(b"x")
        assert path == tmp_path / job_id
    assert not path.exists()

    with pytest.raises(RuntimeError), job_workspace(tmp_path, job_id) as path:
        (path / "chunk.mp3").write_bytes(b"x")
        raise RuntimeError("boom")
    assert not path.exists()


def test_only_the_outermost_workspace_removes_the_directory(tmp_path):
    job_id = str(uuid.uuid4())
    with job_workspace(tmp_path, job_id) as outer:
        with job_workspace(tmp_path, job_id) as inner:
            (inner / "kept.mp3").write_bytes(b"x")
        assert (outer / "kept.mp3").exists()
    assert not outer.exists()


def test_leftovers_of_a_killed_invocation_are_cleared_on_entry(tmp_path):
    job_id = str(uuid.uuid4())
    stale = tmp_path / job_id
    stale.mkdir()
    (stale / "old.mp3").write_bytes(b"old")
    with job_workspace(tmp_path, job_id) as path:
        assert list(path.iterdir()) == []


def test_stale_workspaces_are_removed_but_open_ones_and_other_files_are_kept(tmp_path):
    stale, busy = str(uuid.uuid4()), str(uuid.uuid4())
    (tmp_path / stale).mkdir()
    (tmp_path / "not-a-job").mkdir()
    with job_workspace(tmp_path, busy):
        removed = remove_stale_workspaces(tmp_path)
        assert removed == [tmp_path / stale]
        assert (tmp_path / busy).exists()
    assert (tmp_path / "not-a-job").exists()


def test_paths_cannot_escape_the_temp_dir(tmp_path):
    with pytest.raises(InvalidJobIdError):
        workspace_path(tmp_path, "../../etc")


def _slow_first_removal(monkeypatch, removing: threading.Event, entered: threading.Event) -> None:
    """Hold the first directory removal open until another thread has entered (or a short timeout)."""
    real_rmtree = workspace.shutil.rmtree
    first = threading.Lock()

    def rmtree(path, *args, **kwargs):
        if first.acquire(blocking=False):
            removing.set()
            entered.wait(timeout=0.5)
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(workspace.shutil, "rmtree", rmtree)


def _enter_when_removing(tmp_path, job_id, removing, entered, seen: list[bool]) -> None:
    removing.wait(timeout=5)
    with job_workspace(tmp_path, job_id) as path:
        entered.set()
        time.sleep(0.05)
        seen.append(path.is_dir())


@pytest.mark.parametrize("remover", ["leaving", "stale-sweep"])
def test_a_workspace_entered_while_another_is_removed_survives(tmp_path, monkeypatch, remover):
    job_id = str(uuid.uuid4())
    removing, entered = threading.Event(), threading.Event()
    seen: list[bool] = []
    other = threading.Thread(target=_enter_when_removing, args=(tmp_path, job_id, removing, entered, seen))
    other.start()
    if remover == "leaving":
        with job_workspace(tmp_path, job_id):
            _slow_first_removal(monkeypatch, removing, entered)
    else:
        (tmp_path / job_id).mkdir()
        _slow_first_removal(monkeypatch, removing, entered)
        remove_stale_workspaces(tmp_path)
    other.join(timeout=10)
    assert seen == [True]
