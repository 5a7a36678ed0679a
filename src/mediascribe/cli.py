"""``mediascribe``: transcribe a media file on this machine with the same workflow as the deployment.

    mediascribe transcribe talk.mp4 --out transcripts/
    mediascribe status 5e5bf43a-895e-5e60-a69a-c91905330277
    mediascribe submit talk.mp4 --api https://abc.execute-api.eu-west-1.amazonaws.com/v1/ --wait
    mediascribe notes 5e5bf43a-895e-5e60-a69a-c91905330277 --api https://abc.execute-api.eu-west-1.amazonaws.com/v1/
    mediascribe search '"quarterly budget" -draft'

Exit codes: 0 completed, 1 failed, 2 skipped or a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, InvalidJobIdError, JobNotFoundError, MediascribeError

if TYPE_CHECKING:
    from mediascribe.remote import ApiClient

EXIT_COMPLETED, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 2
EXIT_USAGE = 2
NOTES_HINT = (
    "notes are off: set NOTES_PROVIDER=openai (with OPENAI_API_KEY), or bedrock (with --aws-profile), for "
    "a title, summary, chapters and action items; a deployed stack uses its NotesProvider parameter"
)
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
        help="transcribe audio or video files (or folders of them)",
        description="Transcribe PATH: the transcript goes to stdout, progress to stderr. Several files or "
        "a folder run as one batch: one progress line per file, then a summary table (stdout); the exit "
        "code is that of the worst outcome. Without an OpenAI key (OPENAI_API_KEY) the offline engine "
        "is used; no network is needed.",
    )
    transcribe.add_argument(
        "paths", type=Path, nargs="+", metavar="PATH", help="audio or video files, or folders of them"
    )
    transcribe.add_argument(
        "--parallel",
        type=int,
        default=4,
        metavar="N",
        help="files of a batch transcribed at once (default 4)",
    )
    transcribe.add_argument("--out", type=Path, metavar="DIR", help="write <name>.txt/.json/.srt/.vtt here")
    transcribe.add_argument(
        "--json", action="store_true", help="print the final job status document (JSON) instead of the text"
    )
    transcribe.add_argument(
        "--engine",
        choices=["auto", "openai", "local", "amazon"],
        help="transcription engine (default: auto = OpenAI with a key, else offline; amazon = Amazon "
        "Transcribe with your AWS profile, or at AWS_ENDPOINT_URL_TRANSCRIBE)",
    )
    transcribe.add_argument(
        "--aws-profile",
        metavar="NAME",
        help="with --engine amazon or NOTES_PROVIDER=bedrock: the AWS profile whose credentials call "
        "Amazon Transcribe and Bedrock (default: AWS_PROFILE, else default); the rest of the run stays local",
    )
    transcribe.add_argument(
        "--aws-region",
        metavar="REGION",
        help="the Region Amazon Transcribe and Bedrock are called in (default: the profile's)",
    )
    transcribe.add_argument(
        "--notion-parent",
        metavar="PAGE_ID",
        help="with notes (NOTES_PROVIDER): a page per file under this Notion page (its id or address), "
        "through the real Notion API with the integration's token in NOTION_TOKEN",
    )
    transcribe.add_argument(
        "--webhook",
        metavar="URL",
        help="POST each event to URL, signed (Standard Webhooks) with the secret in WEBHOOK_SECRET; "
        "https://, or http:// to localhost",
    )
    transcribe.add_argument("--model", metavar="M", help="OpenAI model name (default gpt-transcribe)")
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
        help="show a job's status (from the deployed API with --api, else from DATABASE_URL)",
        description="Print the job status document (JSON): from the deployed jobs API with --api (or "
        "MEDIASCRIBE_API_URL), otherwise straight from the database in DATABASE_URL.",
    )
    status.add_argument("job_id", metavar="JOB_ID")
    status.add_argument("--content", action="store_true", help="include the transcript of a completed job")
    _add_api_argument(status, required=False)
    status.set_defaults(run=run_status)

    submit = commands.add_parser(
        "submit",
        help="transcribe a file on a deployed stack through its jobs API",
        description="Upload PATH into your folder of the deployed stack and start its job. Requests are "
        "signed (SigV4) with your AWS credentials, as the AWS CLI finds them. Prints the job id, or with "
        "--wait follows the job and prints the transcript like `transcribe`.",
    )
    submit.add_argument("path", type=Path, metavar="PATH", help="audio or video file")
    _add_api_argument(submit, required=True)
    submit.add_argument(
        "--wait", action="store_true", help="follow the job with a progress bar until it has finished"
    )
    submit.add_argument(
        "--json", action="store_true", help="print the (final, with --wait) job status document as JSON"
    )
    submit.add_argument(
        "--out", type=Path, metavar="DIR", help="with --wait: write <name>.txt and <name>.json (status) here"
    )
    submit.set_defaults(run=run_submit)

    retry = commands.add_parser(
        "retry",
        help="run a failed job again on a deployed stack",
        description="Start a new attempt of a failed job through the deployed jobs API; prints the "
        "accepted job document (JSON). Only failed jobs can be retried.",
    )
    retry.add_argument("job_id", metavar="JOB_ID")
    _add_api_argument(retry, required=True)
    retry.set_defaults(run=run_retry)

    notes = commands.add_parser(
        "notes",
        help="write a completed job's notes again (title, summary, chapters, action items)",
        description="With --api (or MEDIASCRIBE_API_URL): ask the deployed stack to write the notes again "
        "and print the accepted document. Otherwise write them here, with NOTES_PROVIDER and its "
        "credentials, for the job in DATABASE_URL whose transcript is in MEDIA_BUCKET, and print them.",
    )
    notes.add_argument("job_id", metavar="JOB_ID")
    _add_api_argument(notes, required=False)
    notes.set_defaults(run=run_notes)

    from mediascribe.estimate_cli import add_estimate_command
    from mediascribe.local.open_cli import add_open_command
    from mediascribe.local.search_cli import add_search_commands

    add_search_commands(commands, _add_api_argument)
    add_open_command(commands, _add_api_argument)
    add_estimate_command(commands)
    return parser


def _add_api_argument(parser: argparse.ArgumentParser, *, required: bool) -> None:
    need = "required unless MEDIASCRIBE_API_URL is set" if required else "default MEDIASCRIBE_API_URL"
    parser.add_argument(
        "--api",
        metavar="URL",
        help=f"base URL of the deployed jobs API, the stack's JobsApiUrl output ({need})",
    )


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so every ``with`` unwinds: the database stops, temp dirs go."""

    signum = signal.SIGTERM


def _raise_stopped(signum: int, frame: object) -> None:
    _end_offline_decoding()
    raise Stopped


def _raise_interrupted(signum: int, frame: object) -> None:
    _end_offline_decoding()
    raise KeyboardInterrupt


def _end_offline_decoding() -> None:
    """A batch being decoded cannot be interrupted, so its decoder process is ended instead."""
    from mediascribe.transcription.local_decoder import stop_decoding

    stop_decoding()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    previous_interrupt = signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        code: int = args.run(args)
        return code
    except (MediascribeError, ValueError) as exc:
        print(f"mediascribe: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigurationError | InvalidJobIdError) else EXIT_FAILED
    except KeyboardInterrupt as exc:
        print("mediascribe: interrupted", file=sys.stderr)
        return 128 + (exc.signum if isinstance(exc, Stopped) else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_interrupt)
        # The interpreter's final garbage collection walks every object moto and the SDKs created
        # (seconds); frozen objects are left to the process exit instead.
        gc.freeze()


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
        code = _report(result.status, result.written, as_json=args.json)
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
        print(_table(("file", "status", "finished after", "detail"), rows))
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


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, tuple("-" * width for width in widths), *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


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
    return _report(document, written, as_json=args.json)


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
    _print_notes(get_job_status(runtime.jobs, args.job_id))
    return EXIT_COMPLETED


def _print_notes(status: dict[str, Any]) -> None:
    """The notes as Markdown on stdout, after the transcript; why there are none on stderr."""
    from mediascribe.notes.markdown import to_markdown
    from mediascribe.notes.models import Notes

    notes = Notes.from_document(status.get("notes"))
    if notes is not None:
        print(f"\n{to_markdown(notes)}", end="")
    elif (status.get("notes") or {}).get("status") == "failed":
        print(f"mediascribe: notes failed: {status['notes'].get('reason')}", file=sys.stderr)


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


def _report(status: dict[str, Any], written: dict[str, Path], *, as_json: bool) -> int:
    state = status["status"]
    if as_json:
        print(json.dumps(status, indent=2, ensure_ascii=False))
    elif state == "completed":
        print(status.get("content") or "")
        _print_notes(status)
    if state == "completed":
        for path in written.values():
            print(f"wrote {path}", file=sys.stderr)
        return EXIT_COMPLETED
    if state == "skipped":
        print(f"mediascribe: skipped: {status.get('reason')}", file=sys.stderr)
        return EXIT_SKIPPED
    print(f"mediascribe: failed: {status.get('error') or state}", file=sys.stderr)
    return EXIT_FAILED


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
