"""The offline engine's decoder: a child process holding the Whisper model, one request at a time.

CTranslate2 decodes a batch in C++ and cannot be interrupted from Python, and a batch takes seconds.
In a child process the decoding can be ended at once: ``stop_decoding`` (the CLI calls it on SIGTERM
and SIGINT) kills every decoder, so a stopping run neither waits for the batch nor leaves a process
behind. A decoder also ends when its parent goes: it reads requests from a pipe (end of file is the
parent's exit) and watches its parent process id (a killed parent's children are re-parented).

The protocol is a JSON line each way. The child first answers ``{"ready": true}`` once the model is
loaded; then each request ``{"path", "spans", "clips", "language", "prompt", "batch_size"}`` is
answered with ``{"texts": [...], "duration": seconds}`` (a text per clip) or ``{"error": message}``.

Run as ``python -m mediascribe.transcription.local_decoder MODEL_PATH COMPUTE_TYPE THREADS``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mediascribe.errors import PermanentTranscriptionError

if TYPE_CHECKING:
    from faster_whisper import BatchedInferencePipeline

SAMPLE_RATE = 16000
BEAM_SIZE = 5
# Whisper's rule for a window without speech: likely silent and decoded with low confidence.
NO_SPEECH_PROBABILITY = 0.6
LOW_LOG_PROBABILITY = -1.0
_PARENT_POLL_SECONDS = 0.5

_stopped = threading.Event()
_running: set[DecoderProcess] = set()
_running_lock = threading.Lock()


class DecodingStoppedError(PermanentTranscriptionError):
    """The run is stopping: decoding was ended and no more is started."""


def stop_decoding() -> None:
    """End every decoder of this process now and refuse new requests (the process is stopping)."""
    _stopped.set()
    with _running_lock:
        running = list(_running)
    for decoder in running:
        decoder.kill()


class DecoderProcess:
    """A decoder child for one model; ``transcribe`` sends it one request and waits for the answer."""

    def __init__(self, model_path: Path, compute_type: str, threads: int) -> None:
        self._argv = [
            sys.executable, "-m", __name__, str(model_path), compute_type, str(threads),
        ]  # fmt: skip
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._loaded = False

    def transcribe(
        self,
        path: Path,
        spans: Sequence[tuple[float, float]],
        clips: Sequence[tuple[float, float]],
        *,
        language: str | None,
        prompt: str | None,
        batch_size: int,
    ) -> tuple[list[str], float]:
        """The text of each clip of the shortened audio (``spans`` of ``path`` joined) and the file's
        duration."""
        request = {
            "path": str(path),
            "spans": [list(span) for span in spans],
            "clips": [list(clip) for clip in clips],
            "language": language,
            "prompt": prompt,
            "batch_size": batch_size,
        }
        with self._lock:
            answer = self._ask(request)
        if "error" in answer:
            reason = answer["error"]
            raise PermanentTranscriptionError(f"offline engine could not transcribe {path.name}: {reason}")
        return [str(text) for text in answer["texts"]], float(answer["duration"])

    def start(self) -> None:
        """Start the child and wait until its model is loaded (a cold start can pay for it early)."""
        with self._lock:
            self._ready()

    def spawn(self) -> None:
        """Start the child without waiting: its model loads while the caller prepares the request.

        A running child is left alone without taking the lock, which a request holds while it decodes.
        """
        if self._process is not None and self._process.poll() is None:
            return
        with self._lock:
            self._spawned()

    def kill(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        process = self._ready()
        assert process.stdin is not None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            pass  # the child is gone; reading says why
        return self._answer(process)

    def _ready(self) -> subprocess.Popen[str]:
        """The running child, its model loaded."""
        process = self._spawned()
        if not self._loaded:
            loaded = self._answer(process)
            if "error" in loaded:
                raise PermanentTranscriptionError(
                    f"offline engine could not load its model: {loaded['error']}"
                )
            self._loaded = True
        return process

    def _spawned(self) -> subprocess.Popen[str]:
        if _stopped.is_set():
            raise DecodingStoppedError("offline decoding was stopped")
        if self._process is not None and self._process.poll() is None:
            return self._process
        # A session of its own: a terminal's Ctrl-C reaches the CLI, which then ends the decoder.
        process = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        self._process, self._loaded = process, False
        with _running_lock:
            _running.add(self)
        if _stopped.is_set():  # stopped while it started
            self.kill()
        return process

    def _answer(self, process: subprocess.Popen[str]) -> dict[str, Any]:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line:
            answer: dict[str, Any] = json.loads(line)
            return answer
        code = process.wait()
        if _stopped.is_set():
            raise DecodingStoppedError("offline decoding was stopped")
        raise PermanentTranscriptionError(f"the offline decoder exited with code {code}")


def main(argv: Sequence[str]) -> int:
    """Serve requests from stdin until the parent closes it (or goes away)."""
    model_path, compute_type, threads = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when decoding stops
    _watch_parent(os.getppid())
    try:
        pipeline = _pipeline(Path(model_path), compute_type, int(threads))
    except Exception as exc:  # any load failure is reported, as the parent cannot see our stderr's meaning
        _send(sys.stdout, {"error": str(exc)})
        return 1
    _send(sys.stdout, {"ready": True})
    for line in sys.stdin:
        try:
            answer = _decode(pipeline, json.loads(line))
        except Exception as exc:  # decoding errors surface as many types (av, ctranslate2, numpy)
            answer = {"error": str(exc)}
        _send(sys.stdout, answer)
    return 0


def _pipeline(model_path: Path, compute_type: str, threads: int) -> BatchedInferencePipeline:
    from faster_whisper import BatchedInferencePipeline

    from mediascribe.transcription.local_model import load_model

    return BatchedInferencePipeline(load_model(model_path, compute_type, threads))


def _decode(pipeline: BatchedInferencePipeline, request: dict[str, Any]) -> dict[str, Any]:
    """Decode the clips of the shortened audio in batches, text only, one text per clip."""
    import numpy as np
    from faster_whisper import decode_audio

    audio = decode_audio(request["path"], sampling_rate=SAMPLE_RATE)
    duration = len(audio) / SAMPLE_RATE
    clips = request["clips"]
    if not clips:
        return {"texts": [], "duration": duration}
    shortened = np.concatenate(
        [audio[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)] for start, end in request["spans"]]
    )
    del audio
    # The plan's times come from ffmpeg's frames, which can reach a little past the decoded samples.
    length = len(shortened) / SAMPLE_RATE
    clips = [(min(start, length), min(end, length)) for start, end in clips]
    segments, _ = pipeline.transcribe(
        shortened,
        language=request["language"],
        initial_prompt=request["prompt"],
        beam_size=BEAM_SIZE,
        batch_size=int(request["batch_size"]),
        without_timestamps=True,
        vad_filter=False,
        clip_timestamps=[{"start": start, "end": end} for start, end in clips],
    )
    # A clip's segments carry its start as ``seek`` (in 10 ms frames), computed as faster-whisper does.
    texts: dict[int, list[str]] = {}
    for segment in segments:
        if segment.no_speech_prob > NO_SPEECH_PROBABILITY and segment.avg_logprob < LOW_LOG_PROBABILITY:
            continue
        texts.setdefault(segment.seek, []).append(segment.text.strip())
    per_second = pipeline.model.frames_per_second
    seeks = [int(int(start * SAMPLE_RATE) / SAMPLE_RATE * per_second) for start, _ in clips]
    return {"texts": [" ".join(texts.get(seek, [])) for seek in seeks], "duration": duration}


def _send(stream: IO[str], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message) + "\n")
    stream.flush()


def _watch_parent(parent: int) -> None:
    """Exit at once, even mid-batch, when the parent has gone (this process was re-parented)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
