"""The EventBridge events of a local run: held to the service model, as EventBridge holds them, and kept.

In a local run moto's EventBridge takes the events the state machine (and the sweeper, and a notes
rewrite) put. moto's Step Functions builds its client without parameter validation and moto's
EventBridge checks little, so an entry the real service would refuse would pass here. Every
``PutEvents`` is therefore checked before it is sent: against the operation's whole input shape in
botocore's model (``service_model``), and against the entry size EventBridge documents (256 KB, counted
as the PutEvents documentation says). A refused request fails as the service would fail it
(``ValidationException``); an accepted entry is kept for the run's report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
from botocore.exceptions import ClientError

from mediascribe.local.service_model import validate, validation_message

# "The total entry size must be less than 256KB": Source, DetailType, Detail and each Resources entry
# in UTF-8, 14 bytes for a Time (https://docs.aws.amazon.com/eventbridge/latest/userguide/
# eb-putevent-size.html).
MAX_ENTRY_BYTES = 256 * 1024
_TIME_BYTES = 14


@dataclass
class EventLog:
    """Every entry a run's PutEvents calls sent, with its detail parsed."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: Mapping[str, Any]) -> None:
        with self._lock:
            self.entries.append(
                {
                    "source": entry["Source"],
                    "detail_type": entry["DetailType"],
                    "event_bus": entry.get("EventBusName", "default"),
                    "detail": json.loads(entry["Detail"]),
                }
            )

    def of_job(self, job_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [entry for entry in self.entries if entry["detail"].get("job_id") == job_id]


def entry_size(entry: Mapping[str, Any]) -> int:
    size = _TIME_BYTES if entry.get("Time") else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name, "")).encode("utf-8"))
    return size + sum(len(resource.encode("utf-8")) for resource in entry.get("Resources", []))


@contextmanager
def checked_events(log: EventLog) -> Iterator[None]:
    """Check and keep every PutEvents sent by a botocore client made while this is active."""

    def check(params: Mapping[str, Any], model: Any, **_: Any) -> None:
        if model.service_model.service_name != "events" or model.name != "PutEvents":
            return
        problems = validate(model, params)
        if problems:
            _refuse(validation_message(problems))
        oversized = [i for i, entry in enumerate(params["Entries"], 1) if entry_size(entry) > MAX_ENTRY_BYTES]
        if oversized:
            _refuse(f"Total size of the entries in the request is over the limit (entries {oversized})")
        for entry in params["Entries"]:
            log.add(entry)

    handler = ("before-parameter-build", check)
    botocore.handlers.BUILTIN_HANDLERS.append(handler)
    # boto3's default session copied the built-in handlers when it was made: start a new one.
    saved, boto3.DEFAULT_SESSION = boto3.DEFAULT_SESSION, None
    try:
        yield
    finally:
        boto3.DEFAULT_SESSION = saved
        botocore.handlers.BUILTIN_HANDLERS.remove(handler)


def _refuse(message: str) -> None:
    raise ClientError({"Error": {"Code": "ValidationException", "Message": message}}, "PutEvents")
