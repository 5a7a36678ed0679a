"""Transcript segments as the rows ``JobRepository.store_segments`` writes, in request-sized batches.

A batch travels as one JSON parameter of one multi-row INSERT (``jsonb_to_recordset``), so a long
transcript takes a few statements instead of one per segment. Over the RDS Data API a request is at
most 4 MiB, headers and JSON notation included
(https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_BatchExecuteStatement.html: "the
maximum size of the HTTP request submitted through the Data API is 4 MiB"), and the SQL text at most
64 KB, which a parameter keeps constant. A batch is measured as it appears in the request body (the
document as a JSON string inside botocore's JSON, every escape counted) and kept to
``BATCH_REQUEST_BYTES``, a quarter of the limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

BATCH_REQUEST_BYTES = 1 << 20


class TimedText(Protocol):
    """What a segment row is made of (``transcription.models.Segment`` is one), so the jobs package
    stores segments without depending on the transcription package."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...

    @property
    def speaker(self) -> str | None: ...


def segment_row(index: int, segment: TimedText) -> dict[str, Any]:
    """One row of the batch document; keys match the column list of the INSERT."""
    return {
        "idx": index,
        "start_seconds": max(0.0, segment.start),
        "end_seconds": max(0.0, segment.start, segment.end),
        "speaker": segment.speaker,
        "text": segment.text,
    }


def request_bytes(document: Any) -> int:
    """How many bytes ``document`` takes in a Data API request: JSON text, sent as a JSON string."""
    return len(json.dumps(json.dumps(document, ensure_ascii=False)))


def segment_batches(
    segments: Sequence[TimedText], limit: int = BATCH_REQUEST_BYTES
) -> Iterator[list[dict[str, Any]]]:
    """The segments' rows in order, in batches of at most ``limit`` request bytes (a single row
    larger than that is a batch of its own)."""
    empty = request_bytes([])
    batch: list[dict[str, Any]] = []
    size = empty
    for index, segment in enumerate(segments):
        row = segment_row(index, segment)
        # A row adds its own bytes less the quotes of a string of its own, plus a comma.
        cost = request_bytes(row) - 1
        if batch and size + cost > limit:
            yield batch
            batch, size = [], empty
        batch.append(row)
        size += cost
    if batch:
        yield batch
