"""``mediascribe``: transcribe a media file on this machine with the same workflow as the deployment.

    mediascribe transcribe talk.mp4 --out transcripts/
    mediascribe status 5e5bf43a-895e-5e60-a69a-c91905330277

Exit codes: 0 completed, 1 failed, 2 skipped or a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, InvalidJobIdError, JobNotFoundError, MediascribeError

EXIT_COMPLETED, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 2
EXIT_USAGE = 2
# In a checkout (and an editable install) the template sits at the repository root.
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mediascribe",
        description="Speech-to-text for media files. Runs the Step Functions workflow of the AWS "
        "deployment locally (moto, in-process Lambdas, a throwaway PostgreSQL).",
        epilog="Exit codes: 0 completed, 1 failed, 2 skipped or usage error.",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show the workflow's JSON logs on stderr"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    transcribe = commands.add_parser(
        "transcribe",
        help="transcribe one audio or video file",
        description="Transcribe PATH: the transcript goes to stdout, progress to stderr. Without an "
        "OpenAI key (OPENAI_API_KEY) the offline engine is used; no network is needed.",
    )
    transcribe.add_argument("path", type=Path, metavar="PATH", help="audio or video file")
    transcribe.add_argument("--out", type=Path, metavar="DIR", help="write <name>.txt/.json/.srt/.vtt here")
    transcribe.add_argument(
        "--json", action="store_true", help="print the final job status document (JSON) instead of the text"
    )
    transcribe.add_argument(
        "--engine",
        choices=["auto", "openai", "local"],
        help="transcription engine (default: auto = OpenAI with a key, else offline)",
    )
    transcribe.add_argument("--model", metavar="M", help="OpenAI model name (default whisper-1)")
    transcribe.add_argument(
        "--max-chunk-size", type=int, metavar="BYTES", help="largest audio chunk sent to the engine"
    )
    transcribe.add_argument(
        "--map-concurrency",
        type=int,
        metavar="N",
        help="chunks transcribed at once (the Map's MaxConcurrency)",
    )
    transcribe.add_argument(
        "--keep-database",
        action="store_true",
        help="keep the throwaway PostgreSQL running after the job (until Ctrl-C) to inspect it",
    )
    transcribe.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help=argparse.SUPPRESS)
    transcribe.set_defaults(run=run_transcribe)

    status = commands.add_parser(
        "status",
        help="show a job's status from the database in DATABASE_URL",
        description="Print the job status document (JSON). Needs DATABASE_URL.",
    )
    status.add_argument("job_id", metavar="JOB_ID")
    status.add_argument("--content", action="store_true", help="include the transcript of a completed job")
    status.set_defaults(run=run_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return args.run(args)
    except (MediascribeError, ValueError) as exc:
        print(f"mediascribe: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigurationError | InvalidJobIdError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("mediascribe: interrupted", file=sys.stderr)
        return 130


def run_transcribe(args: argparse.Namespace) -> int:
    if not args.path.is_file():
        print(f"mediascribe: {args.path}: no such file", file=sys.stderr)
        return EXIT_USAGE
    if not args.template.is_file():
        print(f"mediascribe: template {args.template} not found", file=sys.stderr)
        return EXIT_USAGE
    from mediascribe.local.job import transcribe_file
    from mediascribe.local.progress import ProgressBar

    progress = ProgressBar()
    with _database() as database_url:
        try:
            result = transcribe_file(
                args.path,
                template=args.template,
                database_url=database_url,
                environment=_environment(args),
                out_dir=args.out,
                on_progress=progress.update,
                map_max_concurrency=args.map_concurrency,
            )
        finally:
            progress.close()
        code = _report(result.status, result.written, as_json=args.json)
        if args.keep_database:
            _hold_database(database_url, result.job_id)
    return code


def run_status(args: argparse.Namespace) -> int:
    from mediascribe.jobs.database import database_from_settings
    from mediascribe.jobs.repository import JobRepository
    from mediascribe.jobs.status import get_job_status

    settings = Settings.from_env()
    if not settings.database_url:
        print("mediascribe: set DATABASE_URL to the jobs database", file=sys.stderr)
        return EXIT_USAGE
    try:
        document = get_job_status(
            JobRepository(database_from_settings(settings)), args.job_id, include_content=args.content
        )
    except JobNotFoundError as exc:
        print(f"mediascribe: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_COMPLETED


def _report(status: dict[str, Any], written: dict[str, Path], *, as_json: bool) -> int:
    state = status["status"]
    if as_json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    elif state == "completed":
        print(status.get("content") or "")
    if state == "completed":
        for path in written.values():
            print(f"wrote {path}", file=sys.stderr)
        return EXIT_COMPLETED
    if state == "skipped":
        print(f"mediascribe: skipped: {status.get('reason')}", file=sys.stderr)
        return EXIT_SKIPPED
    print(f"mediascribe: failed: {status.get('error') or state}", file=sys.stderr)
    return EXIT_FAILED


def _environment(args: argparse.Namespace) -> dict[str, str]:
    environment = {}
    if args.engine:
        environment["TRANSCRIPTION_ENGINE"] = args.engine
    if args.model:
        environment["TRANSCRIPTION_MODEL"] = args.model
    if args.max_chunk_size:
        environment["MAX_CHUNK_SIZE_BYTES"] = str(args.max_chunk_size)
    return environment


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


def _configure_logging(verbose: bool) -> None:
    """Logs go to stderr only when asked for: stdout carries the transcript."""
    from mediascribe.observability import logger

    if verbose:
        return
    logger.setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("botocore").setLevel(logging.ERROR)
    logging.getLogger("faster_whisper").setLevel(logging.ERROR)


if __name__ == "__main__":
    sys.exit(main())
