"""What a file would cost before it is sent: the workflow's own planning, without transcribing.

The file is split exactly as the prepare step splits it for the engine and model (the same planner,
limits and duration caps), and each chunk's speech is found with the detector the chunk step runs
and grouped into the pieces it would send. So the chunks, requests and seconds of audio sent are the
ones a run would count, and ``costs`` turns them into dollars. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mediascribe.config import Settings
from mediascribe.costs import OPENAI_MINUTE, Quantities
from mediascribe.media.chunks import AudioChunk
from mediascribe.media.split import split_audio_file
from mediascribe.transcription.catalog import chunk_byte_limit, model_spec
from mediascribe.transcription.runner import planned_sent, speech_timing
from mediascribe.transcription.speakers import planning_settings
from mediascribe.transcription.speech import SpeechRegion, detect_speech, speech_seconds
from mediascribe.workspace import job_workspace

ENGINES = ("openai", "amazon", "local")


@dataclass(frozen=True)
class EngineChoice:
    """One engine (and OpenAI model) to estimate for."""

    engine: str
    model: str

    def settings(self, base: Settings) -> Settings:
        if self.engine == "openai":
            return base.with_overrides(transcription_engine="openai", openai_model=self.model)
        return base.with_overrides(transcription_engine=self.engine)


def engine_choices(base: Settings, engine: str | None) -> list[EngineChoice]:
    """Every priced OpenAI model, Amazon Transcribe and the offline engine; or one engine's."""
    choices = [EngineChoice("openai", model) for model in OPENAI_MINUTE]
    choices += [EngineChoice(name, model_spec(base.with_overrides(transcription_engine=name)).name)
                for name in ("amazon", "local")]  # fmt: skip
    return [choice for choice in choices if engine is None or choice.engine == engine]


def estimate_file(path: Path, base: Settings, choices: Sequence[EngineChoice]) -> list[Quantities]:
    """The quantities a run of ``path`` would count, per engine choice.

    Plans that come out the same (most models share one) are analysed once.
    """
    analysed: dict[tuple[tuple[float, float], ...], list[tuple[float, tuple[SpeechRegion, ...]]]] = {}
    estimates = []
    for choice in choices:
        settings = choice.settings(base)
        with tempfile.TemporaryDirectory(prefix="estimate-") as work:
            job_id = str(uuid.uuid4())
            # The enclosing workspace keeps the chunk files until their speech is found.
            with job_workspace(Path(work), job_id):
                chunks = _split(path, settings.with_overrides(temp_dir=Path(work)), job_id)
                plan = tuple((chunk.start_seconds, chunk.duration_seconds) for chunk in chunks)
                if plan not in analysed:
                    ffmpeg = speech_timing(settings).ffmpeg
                    analysed[plan] = [(c.duration_seconds, detect_speech(c.path, ffmpeg)) for c in chunks]
        estimates.append(_quantities(choice, settings, analysed[plan]))
    return estimates


def _split(path: Path, settings: Settings, job_id: str) -> list[AudioChunk]:
    """The prepare step's split."""
    spec = model_spec(settings)
    return asyncio.run(
        split_audio_file(
            path,
            chunk_byte_limit(settings, spec),
            path.name,
            job_id,
            settings=planning_settings(settings, spec),
            model_max_seconds=spec.max_audio_seconds,
        )
    )


def _quantities(
    choice: EngineChoice, settings: Settings, chunks: list[tuple[float, tuple[SpeechRegion, ...]]]
) -> Quantities:
    """Requests and audio sent per chunk, as the chunk step decides them for the engine."""
    timing = speech_timing(settings)
    reads_s3 = choice.engine == "amazon" and settings.transcription_audio_delivery == "s3"
    requests, sent, speech = 0, 0.0, 0.0
    for duration, regions in chunks:
        speech += speech_seconds(regions)
        if reads_s3:
            # The service reads every chunk itself; no speech is looked for first.
            requests, sent = requests + 1, sent + duration
        else:
            planned = planned_sent(regions, duration, timing)
            requests, sent = requests + planned.requests, sent + planned.seconds
    return Quantities(
        engine=choice.engine,
        model=choice.model,
        duration_seconds=sum(duration for duration, _ in chunks),
        chunks=len(chunks),
        requests=requests,
        sent_seconds=round(sent, 3),
        speech_seconds=round(speech, 3),
        notes=settings.notes_provider != "off",
    )
