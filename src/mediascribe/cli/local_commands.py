"""``mediascribe transcribe``: files on this machine through the local workflow (moto, in-process
Lambdas, a throwaway PostgreSQL unless DATABASE_URL is set)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from mediascribe.cli.output import (
    EXIT_COMPLETED,
    EXIT_FAILED,
    EXIT_SKIPPED,
    EXIT_USAGE,
    NOTES_HINT,
    report,
    table,
)
from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError


def run_transcribe(args: argparse.Namespace) -> int:
    files = _media_files(args.paths)
    if isinstance(files, str):
        print(f"mediascribe: {files}", file=sys.stderr)
        return EXIT_USAGE
    if not args.template.is_file():
        print(f"mediascribe: template {args.template} not found", file=sys.stderr)
        return EXIT_USAGE
    try:
        environment = _environment(args)
        _warn_about_the_model(environment)
    except ConfigurationError as exc:
        print(f"mediascribe: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if len(files) > 1 or any(path.is_dir() for path in args.paths):
        return _transcribe_batch(args, files, environment)
    from mediascribe.local.job import transcribe_file
    from mediascribe.local.progress import ProgressBar

    progress = ProgressBar()
    with _database() as database_url:
        try:
            result = transcribe_file(
                files[0],
                template=args.template,
                database_url=database_url,
                environment=environment,
                out_dir=args.out,
                on_progress=progress.update,
                map_max_concurrency=args.map_concurrency,
            )
        finally:
            progress.close()
        code = report(result.status, result.written, as_json=args.json)
        if code == EXIT_COMPLETED and "notes" not in result.status:
            print(f"mediascribe: {NOTES_HINT}", file=sys.stderr)
        if args.keep_database:
            _hold_database(database_url, result.job_id)
    return code


def _media_files(paths: list[Path]) -> list[Path] | str:
    """The files named, and the files directly inside folders named (sorted, hidden ones left out);
    a message instead when a path does not exist or a folder holds no file."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inside:
                return f"{path}: the folder holds no file"
            files.extend(inside)
        elif path.is_file():
            files.append(path)
        else:
            return f"{path}: no such file"
    return list(dict.fromkeys(files))


def _transcribe_batch(args: argparse.Namespace, files: list[Path], environment: dict[str, str]) -> int:
    """Every file through one local workflow; a line per file while they run, then a summary table."""
    import time

    from mediascribe.local.job import LocalJobResult, transcribe_files
    from mediascribe.local.progress import FileLines

    labels = _labels(files)
    lines = FileLines(list(labels.values()))
    started = time.monotonic()
    seconds: dict[Path, float] = {}

    def finished(path: Path, result: LocalJobResult | ValueError) -> None:
        seconds[path] = time.monotonic() - started
        lines.finish(labels[path], f"{_outcome(result)[0]}  {seconds[path]:.1f} s")

    with _database() as database_url:
        results = transcribe_files(
            files,
            template=args.template,
            database_url=database_url,
            environment=environment,
            out_dir=args.out,
            on_progress=lambda path, progress, stage: lines.update(labels[path], progress, stage),
            on_finished=finished,
            map_max_concurrency=args.map_concurrency,
            max_parallel=args.parallel,
        )
    outcomes = {path: _outcome(result) for path, result in zip(files, results, strict=True)}
    if args.json:
        documents = [
            result.status if isinstance(result, LocalJobResult) else {"file": str(path), "error": str(result)}
            for path, result in zip(files, results, strict=True)
        ]
        print(json.dumps(documents, indent=2, ensure_ascii=False))
    else:
        rows = [
            (labels[path], state, f"{seconds[path]:.1f} s", detail)
            for path, (state, detail) in outcomes.items()
        ]
        print(table(("file", "status", "finished after", "detail"), rows))
    states = {state for state, _ in outcomes.values()}
    if states & {"failed", "rejected"}:
        return EXIT_FAILED
    return EXIT_SKIPPED if "skipped" in states else EXIT_COMPLETED


def _labels(files: list[Path]) -> dict[Path, str]:
    """How each file is named in the lines and the table: its name, or its path where names repeat."""
    names = [path.name for path in files]
    return {path: path.name if names.count(path.name) == 1 else str(path) for path in files}


def _outcome(result: Any) -> tuple[str, str]:
    """(status, detail) of one file of a batch: the reason when it did not complete."""
    if isinstance(result, ValueError):
        return "rejected", str(result)
    status = result.status
    state = str(status["status"])
    if state == "completed":
        words = len((status.get("content") or "").split())
        return state, f"{words} words" + (f", wrote {len(result.written)} files" if result.written else "")
    return state, str(status.get("reason") or status.get("error") or "")


def _warn_about_the_model(environment: dict[str, str]) -> None:
    """Refuse a shut-down model before the run starts; say so when the model ends within 90 days."""
    from mediascribe.transcription.catalog import model_notice, model_spec

    settings = Settings.from_env({**os.environ, **environment})
    notice = model_notice(model_spec(settings), today=date.today())
    if notice:
        print(f"mediascribe: warning: {notice}", file=sys.stderr)


def _environment(args: argparse.Namespace) -> dict[str, str]:
    environment = {}
    if args.engine:
        environment["TRANSCRIPTION_ENGINE"] = args.engine
    if args.model:
        environment["TRANSCRIPTION_MODEL"] = args.model
    if args.max_chunk_size:
        environment["MAX_CHUNK_SIZE_BYTES"] = str(args.max_chunk_size)
    environment.update(_aws_access(args, {**os.environ, **environment}))
    from mediascribe.delivery.notion_delivery import local_notion_environment

    environment.update(local_notion_environment(args.notion_parent, os.environ))
    from mediascribe.local.webhook_queue import local_webhook_environment

    environment.update(local_webhook_environment(args.webhook, os.environ))
    return environment


def _aws_access(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, str]:
    """For the real Amazon Transcribe or Bedrock: the profile and Region their clients use, checked
    before the run."""
    from mediascribe.local.aws_access import SERVICE_NAMES, real_services, resolve_access

    asked = {
        name: value
        for name, value in (
            ("MEDIASCRIBE_AWS_PROFILE", args.aws_profile),
            ("MEDIASCRIBE_AWS_REGION", args.aws_region),
        )
        if value
    }
    on_aws = environ.get("TRANSCRIPTION_ENGINE") == "amazon" or environ.get("NOTES_PROVIDER") == "bedrock"
    if asked and not on_aws:
        raise ConfigurationError(
            "--aws-profile and --aws-region are for --engine amazon or NOTES_PROVIDER=bedrock"
        )
    services = real_services(environ)
    if not services:
        return asked
    access = resolve_access(environ, profile=args.aws_profile, region=args.aws_region)
    names = " and ".join(SERVICE_NAMES[service] for service in services)
    print(f"{names}: profile {access.profile}, Region {access.region}", file=sys.stderr)
    return access.environment()


@contextlib.contextmanager
def _database() -> Iterator[str]:
    """DATABASE_URL when set, else a throwaway local cluster for this run."""
    url = Settings.from_env().database_url
    if url:
        yield url
        return
    from mediascribe.local.postgres import LocalPostgres

    print("starting a throwaway PostgreSQL...", file=sys.stderr)
    with LocalPostgres() as server:
        yield server.dsn


def _hold_database(database_url: str, job_id: str) -> None:
    print(
        f"database kept running: DATABASE_URL={database_url}\n"
        f"  try: DATABASE_URL={database_url} mediascribe status {job_id}\n"
        "press Ctrl-C to stop it",
        file=sys.stderr,
    )
    with contextlib.suppress(KeyboardInterrupt):
        signal.pause()
