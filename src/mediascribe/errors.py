"""Typed errors shared by every step.

The class name is what Step Functions sees as the error name of a failed Lambda task, so the state
machine's Retry and Catch rules refer to these names: keep them stable.
"""

from __future__ import annotations


class MediascribeError(Exception):
    """Base of every error mediascribe raises on purpose.

    ``retryable`` tells callers (and the state machine, through the class name) whether trying the
    same work again can succeed without anyone changing the input.
    """

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(MediascribeError):
    """A setting is missing or malformed; fix the deployment, not the input."""


class InvalidInputError(MediascribeError):
    """The media file cannot be processed as it is (empty, truncated, garbage, no audio...)."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


class EmptyMediaError(InvalidInputError):
    """The file has zero bytes."""


class CorruptMediaError(InvalidInputError):
    """ffprobe/ffmpeg cannot read the file: truncated, garbage or a format it does not know."""


class NoAudioStreamError(InvalidInputError):
    """A video (or container) without any audio track: there is nothing to transcribe."""


class MediaTooLongError(InvalidInputError):
    """The file exceeds the configured cost guard (maximum duration or number of chunks)."""


class UnsupportedMediaError(InvalidInputError):
    """The file is a kind mediascribe does not transcribe (text, image)."""

    def __init__(self, filename: str, reason: str, media_type: str) -> None:
        super().__init__(filename, reason)
        self.media_type = media_type


class SourceObjectMissingError(InvalidInputError):
    """The uploaded object is gone (deleted before processing started)."""


class ChunkVerificationError(MediascribeError):
    """Splitting produced chunks that break an invariant (missing, too large, durations off)."""


class FFmpegError(MediascribeError):
    """ffmpeg or ffprobe failed in a way not explained by the input (binary missing, crashed)."""


class StorageError(MediascribeError):
    """S3 reported that part of an operation failed (e.g. some objects of a batch delete)."""


class TranscriptionError(MediascribeError):
    """Base for errors of the transcription engines."""


class RetryableTranscriptionError(TranscriptionError):
    """Rate limits, timeouts, 5xx, connection errors: the same request may succeed later."""

    retryable = True


class PermanentTranscriptionError(TranscriptionError):
    """400/401/403/404/413 and refused inputs: retrying the same request cannot succeed."""


class ChunkTooLargeError(PermanentTranscriptionError):
    """A chunk is over the transcription API's request size limit; refused before uploading."""


class NotesError(MediascribeError):
    """Notes cannot be written from this transcript with this model; retrying will not help."""


class RetryableNotesError(NotesError):
    """The notes model's service was busy or unreachable after the SDK's own retries."""

    retryable = True


class InvalidNotesError(NotesError):
    """The model answered, but not with notes that match the schema and its limits."""


class NotesRequestLimitError(MediascribeError):
    """A job's notes were asked for again too often; ``retry_after_seconds`` says when a place frees."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvalidJobIdError(MediascribeError, ValueError):
    """A job id that is not a canonical UUID; rejected before any I/O."""


class InvalidEventError(MediascribeError, ValueError):
    """A step's event does not match its contract: a state machine out of step with its code, or forged."""


class InvalidObjectKeyError(MediascribeError, ValueError):
    """An S3 key or bucket name that is empty, too long, or carries control characters."""


class JobNotFoundError(MediascribeError, LookupError):
    """No job has that id."""


class AccessDeniedError(MediascribeError):
    """An API caller without an identity, or asking for an object outside what it may use."""


class IllegalTransitionError(MediascribeError):
    """The job's current status does not allow the requested change (e.g. completed -> processing)."""


class DatabaseUnavailableError(MediascribeError):
    """The database could not be reached after bounded retries; the state machine retries later."""

    retryable = True


RETRYABLE_ERROR_NAMES = tuple(cls.__name__ for cls in (RetryableTranscriptionError, DatabaseUnavailableError))
