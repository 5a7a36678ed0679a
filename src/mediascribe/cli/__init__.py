"""``mediascribe``: transcribe a media file on this machine with the same workflow as the deployment.

    mediascribe transcribe talk.mp4 --out transcripts/
    mediascribe status 5e5bf43a-895e-5e60-a69a-c91905330277
    mediascribe submit talk.mp4 --api https://abc.execute-api.eu-west-1.amazonaws.com/v1/ --wait
    mediascribe notes 5e5bf43a-895e-5e60-a69a-c91905330277 --api https://abc.execute-api.eu-west-1.amazonaws.com/v1/
    mediascribe search '"quarterly budget" -draft'

Exit codes: 0 completed, 1 failed, 2 skipped or a usage error.

``main`` is here; the commands and their arguments are in ``parser``, ``transcribe`` in
``local_commands``, the commands on a job that exists (``status``, ``submit``, ``retry``, ``notes``) in
``remote_commands``, and what they print in ``output``. ``search``, ``reindex``, ``open`` and
``estimate`` add themselves from their own modules.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys

from mediascribe.cli.output import EXIT_FAILED, EXIT_USAGE
from mediascribe.cli.parser import build_parser
from mediascribe.errors import ConfigurationError, InvalidJobIdError, MediascribeError

__all__ = ["EXIT_USAGE", "main"]


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


def _configure_logging(verbose: bool) -> None:
    """Logs go to stderr only when asked for: stdout carries the transcript."""
    from mediascribe.observability import logger

    if verbose:
        return
    logger.setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("botocore").setLevel(logging.ERROR)
    logging.getLogger("faster_whisper").setLevel(logging.ERROR)
