"""Helpers of the hardening suite: running one upload through the local workflow and checking that
it left nothing behind, wrote nothing outside its job prefix and never touched the source object."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from mediascribe.config import Settings
from mediascribe.jobs.models import Job
from mediascribe.jobs.repository import JobRepository
from mediascribe.local.workflow import ExecutionOutcome, LocalWorkflow
from mediascribe.observability import SERVICE
from support.fake_openai import RecordedRequest
from support.media_factory import ffmpeg_path

# The smallest chunk limit settings accept: a few seconds of 64 kbit/s mp3 per chunk.
SMALL_CHUNK_BYTES = 65536
WORK_PREFIX = Settings().work_prefix
# Recognisable, so a test can search every output for it.
DUMMY_API_KEY = "sk-hardening-dummy-key-0123456789"
# The S3 operations that read or change an object, and the request parameter naming it.
_READS = {"GetObject", "HeadObject"}
_WRITES = {
    "PutObject",
    "CreateMultipartUpload",
    "UploadPart",
    "CompleteMultipartUpload",
    "DeleteObject",
    "CopyObject",
}


def chunk_text(index: int) -> str:
    """What the fake API answers for chunk ``index``: the workflow uploads chunks as chunk-<i>.mp3."""
    return f"Transcript of chunk-{index:05d}.mp3."


def expected_text(chunk_count: int) -> str:
    return " ".join(chunk_text(index) for index in range(chunk_count))


def is_silent(audio: bytes) -> bool:
    """Whether ffmpeg's volumedetect finds nothing above the noise floor in ``audio`` (read from a pipe,
    so the fake server never writes to the disk the workflow is checked on)."""
    argv = [
        ffmpeg_path(),
        "-hide_banner",
        "-nostats",
        "-i",
        "pipe:0",
        "-af",
        "volumedetect",
        "-f",
        "null",
        "-",
    ]
    report = subprocess.run(argv, input=audio, capture_output=True, check=True).stderr.decode()
    peak = next(line for line in report.splitlines() if "max_volume:" in line)
    return float(peak.split("max_volume:")[1].split()[0]) < -80.0


def text_unless_silent(request: RecordedRequest) -> str:
    """Like the real API: no words for a chunk of pure silence, else text naming the chunk."""
    return "" if is_silent(request.file_bytes) else f"Transcript of {request.filename}."


class LogCapture(logging.Handler):
    """Records logged while active, and each as the JSON line the handlers' logger printed for it
    (formatted at emit time, so it carries the correlation id and Lambda context of that moment)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        service_handlers = logging.getLogger(SERVICE).handlers
        self._json = service_handlers[0].formatter if service_handlers else None

    def emit(self, record: logging.LogRecord) -> None:
        if any(seen is record for seen in self.records):  # propagated copies reach us twice
            return
        self.records.append(record)
        self.lines.append(self._json.format(record) if self._json else record.getMessage())


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    """Every record logged while active, from our loggers and, via the root logger, everyone else's."""
    capture = LogCapture()
    targets = [logging.getLogger(SERVICE), logging.getLogger()]
    for target in targets:
        target.addHandler(capture)
    try:
        yield capture
    finally:
        for target in targets:
            target.removeHandler(capture)


@dataclass
class FileAudit:
    """Paths this process opened for writing and argument lists of programs it ran, while active.

    Uses the interpreter's audit events, so it sees boto3's downloads, our own files and the
    ffmpeg/ffprobe command lines without patching any of them.
    """

    written: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    active: bool = False

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "open" and isinstance(args[0], str | Path) and _writes(args[1], args[2]):
            self.written.append(str(args[0]))
        elif event == "subprocess.Popen":
            self.commands.append([str(arg) for arg in args[1]])


def _writes(mode: object, flags: object) -> bool:
    if isinstance(mode, str):
        return any(ch in mode for ch in "wax+")
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))


@functools.cache
def _file_audit() -> FileAudit:
    """The process's one audit hook, installed by the first test that asks for it (never at import)."""
    audit = FileAudit()
    sys.addaudithook(audit.hook)
    return audit


@contextmanager
def auditing_files() -> Iterator[FileAudit]:
    """Audit hooks cannot be removed, so one hook serves every test and is switched on and off."""
    audit = _file_audit()
    audit.written.clear()
    audit.commands.clear()
    audit.active = True
    try:
        yield audit
    finally:
        audit.active = False


@dataclass
class S3Calls:
    """Every S3 object operation the handlers made while recording: (operation, bucket, key)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reads(self) -> list[str]:
        return [key for operation, _, key in self.calls if operation in _READS]

    def writes(self) -> list[str]:
        return [key for operation, _, key in self.calls if operation in _WRITES]

    def record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in _READS | _WRITES:
            with self._lock:
                self.calls.append((model.name, str(params.get("Bucket")), str(params.get("Key"))))


@contextmanager
def recording_s3(workflow: LocalWorkflow) -> Iterator[S3Calls]:
    """Record the S3 calls of every client made from boto3's default session (the handlers' clients).

    The workflow's own test client is built before recording starts and is not affected.
    """
    workflow.client("s3")
    calls = S3Calls()
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("provide-client-params.s3", calls.record)
    try:
        yield calls
    finally:
        session.events.unregister("provide-client-params.s3", calls.record)


@dataclass(frozen=True)
class Run:
    """One upload through the workflow: what S3 reported, what the job became, what was touched."""

    key: str
    job_id: str | None
    start_reply: dict[str, Any]
    outcome: ExecutionOutcome | None
    s3: S3Calls


def deliver_and_wait(workflow: LocalWorkflow, event: dict[str, Any], key: str) -> Run:
    with recording_s3(workflow) as calls:
        payload, error = workflow.invoke("StartJobFunction", event)
        assert error is None, payload
        job_id = payload["jobs"][0]["job_id"] if payload["jobs"] else None
        outcome = workflow.wait(workflow.execution_arn(job_id), timeout_seconds=600) if job_id else None
    return Run(key=key, job_id=job_id, start_reply=payload, outcome=outcome, s3=calls)


def run_upload(workflow: LocalWorkflow, path: Path, key: str) -> Run:
    workflow.upload(path, key)
    return deliver_and_wait(workflow, workflow.s3_event(key), key)


def object_digest(workflow: LocalWorkflow, key: str) -> tuple[str, str]:
    """(ETag, sha256) of an object, to show a source survived processing unchanged."""
    response = workflow.client("s3").get_object(Bucket=workflow.options.bucket, Key=key)
    return response["ETag"], hashlib.sha256(response["Body"].read()).hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def assert_contained(workflow: LocalWorkflow, run: Run, *, work_dir: Path) -> None:
    """The run read only its source and its own prefix, wrote only its own prefix, left no temp files."""
    prefix = f"{WORK_PREFIX}{run.job_id}/"
    assert run.key in run.s3.reads(), "no S3 calls were recorded"
    assert all(key == run.key or key.startswith(prefix) for key in run.s3.reads()), run.s3.reads()
    assert all(key.startswith(prefix) for key in run.s3.writes()), run.s3.writes()
    stored = workflow.keys()
    assert sorted(key for key in stored if not key.startswith(prefix)) == [run.key]
    assert tree(work_dir) == []


def settled(jobs: JobRepository, run: Run) -> Job:
    assert run.job_id is not None, run.start_reply
    return jobs.get(run.job_id)


class TcpProxy:
    """A TCP relay in front of PostgreSQL that the test can take down and bring back.

    ``down()`` closes the listening socket and every relayed connection, so handlers see exactly what
    an unreachable database looks like (dropped connections, then refused connects); ``up()`` listens
    on the same port again.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0

    def __enter__(self) -> TcpProxy:
        self.up()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()

    def up(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for sock in [listener, *sockets]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
