"""The ``mediascribe`` command line: its commands and their arguments."""

from __future__ import annotations

import argparse
from pathlib import Path

from mediascribe.cli.local_commands import run_transcribe
from mediascribe.cli.remote_commands import run_notes, run_retry, run_status, run_submit

# In a checkout (and an editable install) the template sits at the repository root.
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"


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
    add_api_argument(status, required=False)
    status.set_defaults(run=run_status)

    submit = commands.add_parser(
        "submit",
        help="transcribe a file on a deployed stack through its jobs API",
        description="Upload PATH into your folder of the deployed stack and start its job. Requests are "
        "signed (SigV4) with your AWS credentials, as the AWS CLI finds them. Prints the job id, or with "
        "--wait follows the job and prints the transcript like `transcribe`.",
    )
    submit.add_argument("path", type=Path, metavar="PATH", help="audio or video file")
    add_api_argument(submit, required=True)
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
    add_api_argument(retry, required=True)
    retry.set_defaults(run=run_retry)

    notes = commands.add_parser(
        "notes",
        help="write a completed job's notes again (title, summary, chapters, action items)",
        description="With --api (or MEDIASCRIBE_API_URL): ask the deployed stack to write the notes again "
        "and print the accepted document. Otherwise write them here, with NOTES_PROVIDER and its "
        "credentials, for the job in DATABASE_URL whose transcript is in MEDIA_BUCKET, and print them.",
    )
    notes.add_argument("job_id", metavar="JOB_ID")
    add_api_argument(notes, required=False)
    notes.set_defaults(run=run_notes)

    from mediascribe.estimate_cli import add_estimate_command
    from mediascribe.local.open_cli import add_open_command
    from mediascribe.local.search_cli import add_search_commands

    add_search_commands(commands, add_api_argument)
    add_open_command(commands, add_api_argument)
    add_estimate_command(commands)
    return parser


def add_api_argument(parser: argparse.ArgumentParser, *, required: bool) -> None:
    need = "required unless MEDIASCRIBE_API_URL is set" if required else "default MEDIASCRIBE_API_URL"
    parser.add_argument(
        "--api",
        metavar="URL",
        help=f"base URL of the deployed jobs API, the stack's JobsApiUrl output ({need})",
    )
