"""``mediascribe transcribe --notion-parent``: the local run writes the file's page to Notion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mediascribe.cli import main
from support.fake_notion import TOKEN, FakeNotionServer
from support.media_factory import make_speech_like


@pytest.fixture
def notion(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNotionServer]:
    """The stand-in where the real API would be: only its address differs from a real local run."""
    with FakeNotionServer() as server:
        monkeypatch.setenv("NOTION_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTION_TOKEN", TOKEN)
        yield server


@pytest.fixture
def cli_env(cli_env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TRANSCRIPTION_MODEL", "whisper-1")
    monkeypatch.setenv("NOTES_PROVIDER", "openai")
    return cli_env


def test_a_local_run_puts_the_notes_on_a_page_under_the_given_parent(
    cli_env: Any, notion: FakeNotionServer, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    parent = notion.share_page("Recordings")
    media = make_speech_like(tmp_path / "planning.mp3", 3.0)
    address = f"https://www.notion.so/team/Recordings-{parent.replace('-', '')}"

    code = main(["transcribe", str(media), "--json", "--notion-parent", address])

    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    [page] = notion.pages()
    assert document["notion"] == {"status": "delivered", "page_id": page.id, "url": document["notion"]["url"]}
    assert page.parent == {"type": "page_id", "page_id": parent}
    assert notion.page_title(page.id) == document["title"]


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"NOTES_PROVIDER": "off"}, "--notion-parent needs notes"),
        ({"NOTION_TOKEN": ""}, "--notion-parent needs the integration's token in NOTION_TOKEN"),
        ({}, "is not a Notion page or database id"),
    ],
)
def test_a_run_that_could_not_write_the_page_is_refused_before_it_starts(
    cli_env: Any,
    notion: FakeNotionServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    message: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    media = make_speech_like(tmp_path / "planning.mp3", 3.0)
    parent = "Recordings" if not environment else notion.share_page()
    code = main(["transcribe", str(media), "--notion-parent", parent])
    assert code == 2
    assert message in capsys.readouterr().err
    assert notion.requests == []
