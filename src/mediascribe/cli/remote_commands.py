"""``status``, ``submit``, ``retry`` and ``notes``: jobs of a deployed stack through its API (SigV4
signed), or, for ``status`` and ``notes`` without ``--api``, the jobs in DATABASE_URL."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediascribe.cli.output import EXIT_COMPLETED, EXIT_FAILED, EXIT_USAGE, NOTES_HINT, print_notes, report
from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, JobNotFoundError

if TYPE_CHECKING:
    from mediascribe.remote import ApiClient


def run_status(args: argparse.Namespace) -> int:
    from mediascribe.jobs.connect import executor_from_settings
    from mediascribe.jobs.repository import JobRepository
    from mediascribe.jobs.status import get_job_status

    settings = Settings.from_env()
    api_url = args.api or settings.api_url
    if api_url:
        document = _api_client(api_url).status(args.job_id, include_content=args.content)
        print(json.dumps(document, indent=2, ensure_ascii=False))
        return EXIT_COMPLETED
    if not settings.database_url:
        print("mediascribe: set DATABASE_URL to the jobs database (or give --api)", file=sys.stderr)
        return EXIT_USAGE
    try:
        document = get_job_status(
            JobRepository(executor_from_settings(settings)), args.job_id, include_content=args.content
        )
    except JobNotFoundError as exc:
        print(f"mediascribe: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_COMPLETED


def run_submit(args: argparse.Namespace) -> int:
    if not args.path.is_file():
        print(f"mediascribe: {args.path}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if args.out and not args.wait:
        print("mediascribe: --out needs --wait", file=sys.stderr)
        return EXIT_USAGE
    client = _api_client(_required_api_url(args))
    accepted = client.submit(args.path)
    if not args.wait:
        print(json.dumps(accepted, indent=2, ensure_ascii=False) if args.json else accepted["job_id"])
        return EXIT_COMPLETED
    print(f"job {accepted['job_id']}", file=sys.stderr)
    from mediascribe.local.progress import ProgressBar

    progress = ProgressBar()
    try:
        document = client.wait(accepted["job_id"], on_progress=progress.update)
    finally:
        progress.close()
    written = _write_remote_outputs(document, args.path, args.out) if args.out else {}
    return report(document, written, as_json=args.json)


def run_retry(args: argparse.Namespace) -> int:
    accepted = _api_client(_required_api_url(args)).retry(args.job_id)
    print(json.dumps(accepted, indent=2, ensure_ascii=False))
    return EXIT_COMPLETED


def run_notes(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    api_url = args.api or settings.api_url
    if api_url:
        print(json.dumps(_api_client(api_url).notes(args.job_id), indent=2, ensure_ascii=False))
        return EXIT_COMPLETED
    from mediascribe.jobs.status import get_job_status
    from mediascribe.workflow.notes import write_job_notes
    from mediascribe.workflow.runtime import runtime_for

    if not settings.database_url:
        raise ConfigurationError("set DATABASE_URL and MEDIA_BUCKET (or give --api)")
    if settings.notes_provider == "off":
        raise ConfigurationError(NOTES_HINT)
    runtime = runtime_for(settings)
    result = write_job_notes(runtime, args.job_id)
    if result.status != "completed":
        print(f"mediascribe: notes failed: {result.reason}", file=sys.stderr)
        return EXIT_FAILED
    print_notes(get_job_status(runtime.jobs, args.job_id))
    return EXIT_COMPLETED


def _required_api_url(args: argparse.Namespace) -> str:
    url = args.api or Settings.from_env().api_url
    if not url:
        raise ConfigurationError("give --api URL or set MEDIASCRIBE_API_URL (the stack's JobsApiUrl output)")
    return url


def _api_client(api_url: str) -> ApiClient:
    from mediascribe.remote import ApiClient

    return ApiClient.from_default_session(api_url)


def _write_remote_outputs(document: dict[str, Any], source: Path, out_dir: Path) -> dict[str, Path]:
    """The API returns the text and the status document; the subtitle files stay in the stack's bucket."""
    if document["status"] != "completed":
        return {}
    out_dir.mkdir(parents=True, exist_ok=True)
    text = out_dir / f"{source.stem}.txt"
    text.write_text((document.get("content") or "") + "\n", encoding="utf-8")
    status = out_dir / f"{source.stem}.json"
    status.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    from mediascribe.notes.markdown import write_notes_file

    return {"txt": text, "json": status, **write_notes_file(document, out_dir, source.stem)}
