"""Errors of the notes step. The class names are what the state machine's Retry and Catch match."""

from __future__ import annotations

from mediascribe.errors import MediascribeError


class NotesError(MediascribeError):
    """The notes cannot be written from this transcript with this model; retrying will not help."""


class RetryableNotesError(NotesError):
    """The model's service was busy or unreachable after the SDK's own retries; try again later."""

    retryable = True


class InvalidNotesError(NotesError):
    """The model answered, but not with notes that match the schema and its limits."""
