"""A local stand-in for Amazon Transcribe's synchronous ``TranscribeAudio``, on 127.0.0.1.

The real boto3 ``transcribe`` client reaches it through ``endpoint_url`` (or
``AWS_ENDPOINT_URL_TRANSCRIBE``) and speaks the service's JSON protocol to it: ``POST /`` with
``X-Amz-Target: Transcribe.TranscribeAudio``, ``application/x-amz-json-1.1`` and a SigV4 signature.
Answers are shaped like the botocore model's ``TranscribeAudioResponse``; errors carry ``__type``,
``Message`` and, for audio problems, ``Reason``, with the model's status codes. Every request is first
checked against the whole ``TranscribeAudio`` input shape of botocore's model (at most 5
``VocabularySettings``, a ``Language`` from the model's enum, lengths, ranges and patterns), as the
service checks it, and refused in its words (``support.service_model``).

The transcript is real: the chunk is read from the S3 the test uses (moto, in-process) or from the
inline bytes, decoded, checked against the service's limits (0.5 s to 1 hour, 25 MB inline, 500 MB
from S3, the listed formats), and transcribed by the offline faster-whisper model with word times.
Speaker labels come from a small diarisation by voice pitch, PII is replaced with ``[PII]`` as the
service documents, and faults (``LimitExceededException``, ``BadRequestException``, 5xx, slow
answers) can be scripted per request.

    with FakeTranscribeServer() as server:
        client = boto3.client("transcribe", endpoint_url=server.endpoint_url, region_name="us-east-1")
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import tempfile
import threading
import time
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

from mediascribe.local.service_model import ErrorAnswer, refusal, service_model, validate

TARGET = "Transcribe.TranscribeAudio"
CREDENTIAL_SCOPE = re.compile(r"Credential=(?P<key>[^/]+)/\d{8}/(?P<region>[^/]+)/transcribe/aws4_request")
CONTENT_TYPE = "application/x-amz-json-1.1"
S3_LIMIT_BYTES = 500 * 1000 * 1000
MIN_SECONDS = 0.5
MAX_SECONDS = 3600.0
SAMPLE_RATE = 16_000
REDACTION_LANGUAGES = frozenset({"en", "es", "fr", "it", "de", "pt"})
# ffmpeg's container names for the formats the service lists.
MEDIA_FORMATS = {
    "mp3": "mp3",
    "wav": "wav",
    "flac": "flac",
    "ogg": "ogg",
    "amr": "amr",
    "matroska,webm": "webm",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
}
LOCALES = {
    "en": "en-US",
    "es": "es-US",
    "fr": "fr-FR",
    "it": "it-IT",
    "de": "de-DE",
    "ja": "ja-JP",
    "pt": "pt-BR",
    "ko": "ko-KR",
    "zh": "zh-CN",
}
STATUS = {
    "BadRequestException": 400,
    "LimitExceededException": 429,
    "InternalFailureException": 500,
    "ServiceUnavailableException": 503,
}
_OPERATION = service_model("transcribe").operation_model("TranscribeAudio")
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
_DIGITS = re.compile(r"^[\d()+-]*\d[\d()+-]*$")


class ServiceError(Exception):
    """An error answer: its ``__type``, message and optional ``Reason``."""

    def __init__(self, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


def bad_request(message: str, reason: str | None = None) -> ServiceError:
    return ServiceError("BadRequestException", message, reason)


@dataclass(frozen=True)
class Reply:
    """How to answer one request: a scripted error, a canned body, or (default) a real transcript."""

    error: str | None = None
    message: str = "scripted failure"
    reason: str | None = None
    status: int | None = None
    body: Mapping[str, Any] | None = None
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    number: int
    target: str | None
    params: dict[str, Any]
    signed_for_transcribe: bool
    received_at: float
    # From the signature's credential scope: whose keys signed, and for which Region.
    access_key: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class SpokenWord:
    start: float
    end: float
    text: str


@dataclass
class Transcription:
    """What the recogniser found in one audio file."""

    words: list[SpokenWord]
    segment_ends: list[float]
    language: str


Recogniser = Callable[[np.ndarray, str | None, str | None], Transcription]


@dataclass
class FakeTranscribeServer:
    """The stand-in. ``vocabularies`` maps custom vocabulary names to (language, phrases)."""

    replies: Iterable[Reply] = ()
    s3_client: Any = None
    vocabularies: Mapping[str, tuple[str, Sequence[str]]] = field(default_factory=dict)
    recogniser: Recogniser | None = None
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._replies: deque[Reply] = deque(self.replies)
        self._recognised: dict[tuple[str, str | None, str | None], Transcription] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeTranscribeServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTranscribeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget recorded requests and replies still scripted."""
        with self._lock:
            self.requests.clear()
            self._replies.clear()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def _record(self, target: str | None, params: dict[str, Any], authorization: str) -> RecordedRequest:
        scope = CREDENTIAL_SCOPE.search(authorization)
        with self._lock:
            request = RecordedRequest(
                number=len(self.requests) + 1,
                target=target,
                params=params,
                signed_for_transcribe="/transcribe/aws4_request" in authorization,
                received_at=time.monotonic(),
                access_key=scope["key"] if scope else None,
                region=scope["region"] if scope else None,
            )
            self.requests.append(request)
            return request

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._replies.popleft() if self._replies else Reply()

    # --- the operation ---------------------------------------------------------------------------

    def transcribe_audio(self, params: Mapping[str, Any], region: str | None = None) -> dict[str, Any]:
        """Answer one request signed for ``region`` (the Region whose endpoint was called)."""
        check_request(params)
        data = self._media_bytes(params["Media"], region)
        with tempfile.TemporaryDirectory(prefix="fake-transcribe-") as tmp:
            path = Path(tmp) / "media"
            path.write_bytes(data)
            media_format, rate, declared = _container(path)
            # An hour and more is refused from the container's duration, before decoding it all.
            if declared > MAX_SECONDS:
                raise bad_request("The audio is longer than the maximum duration of 1 hour.", "audioTooLong")
            samples = _decode(path)
        seconds = len(samples) / SAMPLE_RATE
        if seconds < MIN_SECONDS:
            raise bad_request("The audio is shorter than 0.5 seconds.", "audioTooShort")
        if seconds > MAX_SECONDS:
            raise bad_request("The audio is longer than the maximum duration of 1 hour.", "audioTooLong")
        detect = params.get("LanguageDetectionMode") == "IDENTIFY_LANGUAGE"
        prompt = self._prompt(params.get("VocabularySettings") or ())
        found = self._recognise(data, samples, params.get("Language"), prompt)
        language = _language(found.language, params)
        items = _items(found.words, language if detect else None)
        metadata: dict[str, Any] = {"MediaFormat": media_format, "MediaSampleRateHertz": rate}
        if detect:
            metadata["LanguageCode"] = language
            metadata["LanguageCodes"] = [{"LanguageCode": language, "DurationInSeconds": round(seconds, 3)}]
        if params.get("ShowSpeakerLabels"):
            labels = diarise(samples, found, int(params["MaxSpeakerLabels"]))
            for item, label in zip(items, _item_labels(items, found.words, labels), strict=True):
                item["SpeakerLabel"] = label
            metadata["SpeakersCount"] = len(set(labels))
        response: dict[str, Any] = {"Metadata": metadata}
        redaction = params.get("ContentRedaction")
        if redaction:
            response["RedactedResults"] = _results(redact(items, redaction.get("PiiEntityTypes")))
            if redaction["RedactionOutput"] == "redacted_and_unredacted":
                response["Results"] = _results(items)
        else:
            response["Results"] = _results(items)
        output = params.get("OutputConfiguration")
        if output:
            return {"OutputConfiguration": self._write_output(output["OutputMediaFileUri"], response)}
        return {"TranscriptResponse": response}

    def _recognise(
        self, data: bytes, samples: np.ndarray, language: str | None, prompt: str | None
    ) -> Transcription:
        """The recogniser is deterministic, so the same audio and options are transcribed once."""
        key = (hashlib.sha256(data).hexdigest(), language, prompt)
        with self._lock:
            known = self._recognised.get(key)
        if known is None:
            known = (self.recogniser or whisper_recogniser)(samples, language, prompt)
            with self._lock:
                self._recognised[key] = known
        return known

    def _media_bytes(self, media: Mapping[str, Any], region: str | None) -> bytes:
        if "MediaBytes" in media:
            # The model's length constraint on MediaBytes (25 MB) is checked with the rest of the request.
            return base64.b64decode(media["MediaBytes"])
        bucket, key = _s3_location(media["MediaFileUri"])
        s3 = self._s3()
        try:
            # The service reads only buckets in the Region it is called in.
            location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
            if region is not None and location != region:
                raise bad_request(
                    f"The S3 bucket {bucket} is in {location}; it must be in {region}, "
                    "the Region of the request.",
                    "mediaDownloadFailed",
                )
            size = int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])
            if size > S3_LIMIT_BYTES:
                raise bad_request("The audio is larger than the maximum size of 500 MB.", "audioFileTooLarge")
            return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except ServiceError:
            raise
        except Exception as exc:
            raise bad_request(
                f"Amazon Transcribe couldn't download the audio at {media['MediaFileUri']}.",
                "mediaDownloadFailed",
            ) from exc

    def _s3(self) -> Any:
        """The given client, else a new one per request: it then reads the S3 of whatever moto world
        (or account) is current when the request arrives."""
        if self.s3_client is not None:
            return self.s3_client
        import boto3

        return boto3.client("s3", region_name="us-east-1")

    def _prompt(self, entries: Sequence[Mapping[str, Any]]) -> str | None:
        phrases: list[str] = []
        for entry in entries:
            name = entry.get("VocabularyName")
            if name is not None:
                if name not in self.vocabularies:
                    raise bad_request(
                        "The requested vocabulary couldn't be found. Check the vocabulary name and try again."
                    )
                language, listed = self.vocabularies[name]
                if language != entry["Language"]:
                    raise bad_request(f"The vocabulary {name} is not for language {entry['Language']}.")
                phrases.extend(listed)
            phrases.extend(p.get("DisplayAs") or p["Text"] for p in entry.get("Phrases") or ())
        return ", ".join(phrases) or None

    def _write_output(self, uri: str, response: Mapping[str, Any]) -> dict[str, str]:
        bucket, key = _s3_location(uri)
        if not key or key.endswith("/"):
            key = f"{key}{uuid.uuid4()}.json"
        body = {"TranscriptResponse": response}
        self._s3().put_object(Bucket=bucket, Key=key, Body=json.dumps(body).encode())
        return {"OutputMediaFileUri": f"s3://{bucket}/{key}"}


def check_request(params: Mapping[str, Any]) -> None:
    """The combination rules the service documents, beyond the model's constraints (checked first)."""
    media = params.get("Media") or {}
    if ("MediaBytes" in media) == ("MediaFileUri" in media):
        raise bad_request("Specify exactly one of MediaBytes or MediaFileUri.")
    detect = params.get("LanguageDetectionMode")
    if (params.get("Language") is None) == (detect is None):
        raise bad_request("Include either Language or LanguageDetectionMode in your request, but not both.")
    options = params.get("LanguageOptions")
    if options is not None:
        if detect is None:
            raise bad_request("You can use LanguageOptions only with LanguageDetectionMode.")
        if len(options) < 2 or len(set(options)) != len(options):
            raise bad_request("LanguageOptions must list two or more different languages.")
    if params.get("ShowSpeakerLabels") and "MaxSpeakerLabels" not in params:
        raise bad_request("If you set ShowSpeakerLabels to true, you must also include MaxSpeakerLabels.")
    if "MaxSpeakerLabels" in params and not params.get("ShowSpeakerLabels"):
        raise bad_request("You can set MaxSpeakerLabels only if ShowSpeakerLabels is true.")
    _check_vocabulary(params.get("VocabularySettings"), params.get("Language"), options)
    if params.get("ContentRedaction"):
        languages = [params["Language"]] if params.get("Language") else list(options or ())
        if not languages:
            raise bad_request("Content redaction with LanguageDetectionMode requires LanguageOptions.")
        unsupported = [code for code in languages if code not in REDACTION_LANGUAGES]
        if unsupported:
            raise bad_request(f"Content redaction isn't supported for {', '.join(unsupported)}.")


def _check_vocabulary(entries: Any, language: str | None, options: Sequence[str] | None) -> None:
    if not entries:
        return
    kinds = {"VocabularyName" in e for e in entries}
    if len(kinds) != 1 or any(("VocabularyName" in e) == ("Phrases" in e) for e in entries):
        raise bad_request(
            "All vocabulary entries must use either VocabularyName or Phrases, and each only one."
        )
    codes = [e["Language"] for e in entries]
    if len(set(codes)) != len(codes):
        raise bad_request("Each language can appear in only one vocabulary entry.")
    if language is not None and codes != [language]:
        raise bad_request("With Language, include exactly one vocabulary entry, for that language.")
    if language is None and not set(codes) <= set(options or ()):
        raise bad_request("Each vocabulary entry must be for a language in LanguageOptions.")


def _s3_location(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise bad_request(f"Amazon Transcribe couldn't download the audio at {uri}.", "mediaDownloadFailed")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _container(path: Path) -> tuple[str, int, float]:
    """The media format, sample rate and declared duration (seconds; 0 when the container has none)."""
    import av

    try:
        with av.open(str(path)) as container:
            name = container.format.name
            streams = container.streams.audio
            rate = int(streams[0].sample_rate) if streams else 0
            declared = (container.duration or 0) / 1_000_000
    except Exception as exc:
        raise bad_request("Amazon Transcribe couldn't decode the audio.", "invalidAudio") from exc
    if name not in MEDIA_FORMATS or not rate:
        raise bad_request("The media format isn't supported.", "unsupportedAudioFormat")
    return MEDIA_FORMATS[name], rate, declared


def _decode(path: Path) -> np.ndarray:
    from faster_whisper import decode_audio

    try:
        samples: np.ndarray = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
        return samples
    except Exception as exc:
        raise bad_request("Amazon Transcribe couldn't decode the audio.", "invalidAudio") from exc


def _language(found: str, params: Mapping[str, Any]) -> str:
    """The locale reported: the requested language, else the detected one (within the options)."""
    base = params.get("Language") or found
    options = params.get("LanguageOptions")
    if params.get("Language") is None and options and base not in options:
        base = options[0]
    return LOCALES.get(base, base)


# --- recognition ---------------------------------------------------------------------------------

_model_lock = threading.Lock()


def whisper_recogniser(samples: np.ndarray, language: str | None, prompt: str | None) -> Transcription:
    """The offline faster-whisper model, with word timestamps, as the engine the stand-in imitates."""
    from mediascribe.transcription.local_model import load_model, packaged_model

    model = load_model(packaged_model()[0])
    with _model_lock:
        multilingual = bool(model.model.is_multilingual)
        segments, info = model.transcribe(
            samples,
            language=language if multilingual else None,
            initial_prompt=prompt,
            word_timestamps=True,
            beam_size=5,
            temperature=0.0,
            condition_on_previous_text=False,
        )
        segments = list(segments)
    words = [
        SpokenWord(float(w.start), float(w.end), w.word.strip())
        for s in segments
        for w in s.words or ()
        if w.word.strip()
    ]
    return Transcription(words, [float(s.end) for s in segments], info.language if multilingual else "en")


def _split_punctuation(text: str) -> tuple[str, str]:
    """A word and the punctuation after it (the service returns punctuation as items of its own)."""
    end = len(text)
    while end > 0 and unicodedata.category(text[end - 1]).startswith("P"):
        end -= 1
    return text[:end], text[end:]


def _items(words: Sequence[SpokenWord], locale: str | None) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for word in words:
        core, punctuation = _split_punctuation(word.text.lstrip("\"'(["))
        parts = [(core, word.start, word.end)] if core else []
        parts += [(p, word.end, word.end) for p in punctuation]
        for content, start, end in parts:
            item: dict[str, Any] = {
                "Id": len(items),
                "Content": content,
                "StartTime": round(start, 3),
                "EndTime": round(end, 3),
            }
            if locale:
                item["LanguageCode"] = locale
            items.append(item)
    return items


def _item_labels(
    items: Sequence[Mapping[str, Any]], words: Sequence[SpokenWord], labels: Sequence[str]
) -> list[str]:
    """Each item gets the label of the word it came from (items are words split at punctuation)."""
    out: list[str] = []
    position = 0
    for item in items:
        while position + 1 < len(words) and item["StartTime"] >= round(words[position + 1].start, 3):
            position += 1
        out.append(labels[position] if labels else "spk_0")
    return out


# --- diarisation by voice pitch -------------------------------------------------------------------

PAUSE_SECONDS = 0.3
# Two voices whose median pitch differs by less than this (in octaves) count as one speaker.
SAME_VOICE_OCTAVES = 0.3


def diarise(samples: np.ndarray, found: Transcription, max_speakers: int) -> list[str]:
    """One label per word: words are grouped into runs (split at pauses and sentence ends), each run's
    median pitch is measured, and runs are clustered by pitch into at most ``max_speakers`` voices,
    numbered ``spk_0``, ``spk_1``... in order of first appearance."""
    runs = _runs(found)
    pitches = [_median_pitch(samples, found.words[a].start, found.words[b - 1].end) for a, b in runs]
    clusters = _clusters([p for p in pitches if p is not None], max_speakers)
    labels: list[str] = []
    names: dict[int, str] = {}
    previous = 0
    for (a, b), pitch in zip(runs, pitches, strict=True):
        cluster = previous if pitch is None else _nearest(clusters, pitch)
        previous = cluster
        name = names.setdefault(cluster, f"spk_{len(names)}")
        labels.extend([name] * (b - a))
    return labels


def _runs(found: Transcription) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = 0
    ends = set(found.segment_ends)
    for i in range(1, len(found.words) + 1):
        last = i == len(found.words)
        if last or (
            found.words[i].start - found.words[i - 1].end >= PAUSE_SECONDS or found.words[i - 1].end in ends
        ):
            runs.append((start, i))
            start = i
    return runs


def _median_pitch(samples: np.ndarray, start: float, end: float) -> float | None:
    """Median fundamental frequency (log2 Hz) of the voiced 40 ms frames, by autocorrelation."""
    frame = int(0.04 * SAMPLE_RATE)
    lo, hi = int(SAMPLE_RATE / 400), int(SAMPLE_RATE / 60)
    span = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    found = []
    for offset in range(0, len(span) - frame, frame // 2):
        x = span[offset : offset + frame].astype(np.float64)
        x = x - x.mean()
        energy = float(np.dot(x, x))
        if energy < 1e-4:
            continue
        corr = np.correlate(x, x, mode="full")[frame - 1 :]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[lag] / energy > 0.5:
            found.append(math.log2(SAMPLE_RATE / lag))
    return float(np.median(found)) if found else None


def _clusters(pitches: Sequence[float], max_speakers: int) -> list[float]:
    """Centres of pitch groups: split the sorted pitches at gaps wider than one voice, then merge the
    closest groups until at most ``max_speakers`` remain."""
    if not pitches:
        return [0.0]
    ordered = sorted(pitches)
    groups: list[list[float]] = [[ordered[0]]]
    for value in ordered[1:]:
        if value - groups[-1][-1] > SAME_VOICE_OCTAVES:
            groups.append([value])
        else:
            groups[-1].append(value)
    while len(groups) > max_speakers:
        gaps = [float(np.median(groups[i + 1])) - float(np.median(groups[i])) for i in range(len(groups) - 1)]
        i = int(np.argmin(gaps))
        groups[i : i + 2] = [groups[i] + groups[i + 1]]
    return [float(np.median(g)) for g in groups]


def _nearest(centres: Sequence[float], pitch: float) -> int:
    return min(range(len(centres)), key=lambda i: abs(centres[i] - pitch))


# --- redaction ------------------------------------------------------------------------------------

_NUMBER_WORDS = {"zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}


def redact(items: Sequence[Mapping[str, Any]], types: Sequence[str] | None) -> list[dict[str, Any]]:
    """The items with PII words replaced by ``[PII]`` and tagged with their type.

    Found: e-mail addresses (written, or spoken as "name at domain dot com") and phone-like runs of
    seven or more digits. ``types`` limits redaction to those entity types (all when absent or ALL).
    """
    wanted = None if not types or "ALL" in types else set(types)
    kinds: dict[int, str] = {}
    words = [i for i, item in enumerate(items) if not _is_punctuation(item["Content"])]
    _mark_emails(items, words, kinds)
    _mark_phones(items, words, kinds)
    out = []
    for i, item in enumerate(items):
        kind = kinds.get(i)
        if kind is None or (wanted is not None and kind not in wanted):
            out.append(dict(item))
        else:
            out.append({**item, "Content": "[PII]", "Redactions": [{"Type": kind}]})
    return out


def _is_punctuation(content: str) -> bool:
    return all(unicodedata.category(c).startswith("P") for c in content)


_DOMAIN_ENDINGS = {"com", "org", "net", "edu", "io"}
_DOMAIN = re.compile(r"^([\w-]+)?(\.[\w-]+)*\.(com|org|net|edu|io)$")


def _mark_emails(items: Sequence[Mapping[str, Any]], words: Sequence[int], kinds: dict[int, str]) -> None:
    """Written addresses, and spoken ones ("john dot smith at example dot com", or "... example .com"):
    from the domain ending back over the domain, "at" and the name before it."""
    texts = _texts(items, words)
    for n, text in enumerate(texts):
        if _EMAIL.match(text):
            kinds[words[n]] = "EMAIL"
            continue
        spoken = text in _DOMAIN_ENDINGS and n >= 2 and texts[n - 1] == "dot"
        if not (spoken or _DOMAIN.match(text)):
            continue
        # "example dot com" and "example .com" start at the domain's name; "example.com" is one word.
        start = max(n - (2 if spoken else 1 if text.startswith(".") else 0), 0)
        while start >= 2 and texts[start - 1] == "dot":
            start -= 2
        at = next((k for k in range(start - 1, max(start - 4, -1), -1) if texts[k] == "at"), None)
        if at is not None:
            start = max(at - 1, 0)
            while start >= 2 and texts[start - 1] == "dot":
                start -= 2
        for j in words[start : n + 1]:
            kinds[j] = "EMAIL"


def _texts(items: Sequence[Mapping[str, Any]], indexes: Sequence[int]) -> list[str]:
    return [items[i]["Content"].lower() for i in indexes]


def _mark_phones(items: Sequence[Mapping[str, Any]], words: Sequence[int], kinds: dict[int, str]) -> None:
    run: list[int] = []
    digits = 0
    for i in [*words, -1]:
        text = items[i]["Content"].lower() if i >= 0 else ""
        if i >= 0 and (_DIGITS.match(text) or text in _NUMBER_WORDS):
            run.append(i)
            digits += sum(c.isdigit() for c in text) or 1
            continue
        if digits >= 7:
            for j in run:
                kinds.setdefault(j, "PHONE")
        run, digits = [], 0


def _results(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    text = ""
    for item in items:
        content = item["Content"]
        text += content if (not text or _is_punctuation(content)) else f" {content}"
    return {"Transcript": text, "Items": list(items)}


# --- HTTP ---------------------------------------------------------------------------------------------


def _handler_for(server: FakeTranscribeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = self.headers.get("X-Amz-Target")
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
            recorded = server._record(target, params, self.headers.get("Authorization") or "")
            reply = server._next_reply()
            if reply.delay_seconds:
                time.sleep(reply.delay_seconds)
            try:
                self._check_envelope(target)
                refused = refusal(_OPERATION, validate(_OPERATION, params))
                if refused is not None:
                    self._refuse(refused)
                    return
                if reply.error or reply.status:
                    code = reply.error or "InternalFailureException"
                    raise ServiceError(code, reply.message, reply.reason)
                answer = (
                    dict(reply.body)
                    if reply.body is not None
                    else server.transcribe_audio(params, recorded.region)
                )
            except ServiceError as error:
                self._error(error, reply.status)
                return
            self._send(200, answer)

        def _check_envelope(self, target: str | None) -> None:
            if target != TARGET:
                raise ServiceError("UnknownOperationException", f"unknown operation {target}")
            if not (self.headers.get("Content-Type") or "").startswith(CONTENT_TYPE):
                raise ServiceError("SerializationException", "expected application/x-amz-json-1.1")
            if "/transcribe/aws4_request" not in (self.headers.get("Authorization") or ""):
                raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token")

        def _error(self, error: ServiceError, status: int | None) -> None:
            body: dict[str, Any] = {"__type": error.code, "Message": error.message}
            if error.reason:
                body["Reason"] = error.reason
            self._send(status or STATUS.get(error.code, 400), body, {"x-amzn-ErrorType": error.code})

        def _refuse(self, answer: ErrorAnswer) -> None:
            self._send_bytes(answer.status, answer.body, answer.headers)

        def _send(
            self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
        ) -> None:
            self._send_bytes(status, json.dumps(body).encode(), headers)

        def _send_bytes(self, status: int, data: bytes, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
