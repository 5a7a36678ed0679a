"""Speech to text for audio chunks: engines, parallel ordered transcription, assembly and captions."""

from mediascribe.transcription.assembly import assemble_transcript
from mediascribe.transcription.engine import TranscriptionEngine
from mediascribe.transcription.factory import create_engine
from mediascribe.transcription.models import ChunkTranscript, EngineResult, Segment, Transcript
from mediascribe.transcription.runner import transcribe_chunk, transcribe_chunks

__all__ = [
    "ChunkTranscript",
    "EngineResult",
    "Segment",
    "Transcript",
    "TranscriptionEngine",
    "assemble_transcript",
    "create_engine",
    "transcribe_chunk",
    "transcribe_chunks",
]
