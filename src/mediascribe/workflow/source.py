"""Reading the uploaded object into the job's workspace, shared by the probe and prepare steps."""

from __future__ import annotations

from pathlib import Path

from mediascribe.storage import MediaStore


def display_name(key: str) -> str:
    """The file name users recognise in messages: the last segment of the key."""
    return key.rsplit("/", 1)[-1] or key


def download_source(store: MediaStore, bucket: str, key: str, workspace: Path) -> Path:
    """Download the source next to nothing else in the workspace; its name never derives from the key."""
    return store.download(key, workspace / "source.media", bucket=bucket)
