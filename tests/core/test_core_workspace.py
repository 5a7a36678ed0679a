import uuid

import pytest

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
