"""The work a batch worker does: recognise one recording. The same function runs in a local
worker process and as a Ray task; it never touches the database (the driver stores what it
returns), so a worker on another machine needs only the package and the model.

Recognition is nearly all of the cost of analysing a recording; the text analysis of its
segments (milliseconds each) is done by the driver, with the org's engines, as for an upload.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from copilot.settings import Settings
from speech.correction import Term
from speech.engine import SpeechEngine
from speech.types import Segment

# One engine per worker process and settings: the Whisper weights load once, on the first job.
_ENGINES: dict[str, SpeechEngine] = {}


@dataclass(frozen=True)
class TranscribeJob:
    item_id: int
    path: str
    hotwords: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    # The file's bytes, when workers do not share the driver's filesystem (a Ray cluster).
    audio: bytes | None = None


@dataclass(frozen=True)
class TranscribeResult:
    item_id: int
    segments: list[Segment] | None  # None: the recording could not be recognised
    duration_s: float = 0.0
    error: str | None = None
    # True when the worker itself went away (killed, out of memory): the job may be retried.
    lost: bool = False
    seconds: float = 0.0
    worker: str = ""


def transcribe(job: TranscribeJob, settings: Settings) -> TranscribeResult:
    """Recognise one recording; a recording that cannot be read is a result, not a raise."""
    return transcribe_with(_engine(settings), job)


def transcribe_with(engine: SpeechEngine, job: TranscribeJob) -> TranscribeResult:
    from copilot.roles import TextRoleResolver
    from speech.errors import SpeechError

    started = time.perf_counter()
    worker = f"{os.getpid()}@{socket.gethostname()}"
    copy = _local_copy(job)
    try:
        with copy as path:
            transcript = engine.transcribe_file(
                path,
                hotwords=list(job.hotwords),
                terms=job.terms,
                roles=TextRoleResolver(),  # a mono recording: who is the rep
            )
    except (SpeechError, OSError) as exc:
        # The reason is for the user: the worker's own path of the file means nothing to them.
        reason = str(exc).replace(f"{copy.path}: ", "").replace(str(copy.path), job.path)
        return TranscribeResult(job.item_id, None, error=reason, worker=worker)
    return TranscribeResult(
        job.item_id,
        transcript.segments,
        transcript.duration,
        seconds=time.perf_counter() - started,
        worker=worker,
    )


class _local_copy:  # noqa: N801 - a context manager, reads like one
    """The recording as a local path: its own, or the shipped bytes in a temporary file."""

    def __init__(self, job: TranscribeJob) -> None:
        self._job = job
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.path = Path(job.path)

    def __enter__(self) -> Path:
        if self._job.audio is not None:
            self._tmp = tempfile.TemporaryDirectory(prefix="copilot-batch-")
            self.path = Path(self._tmp.name) / Path(self._job.path).name
            self.path.write_bytes(self._job.audio)
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def _engine(settings: Settings) -> SpeechEngine:
    from copilot.engines import build_speech_engine

    key = settings.model_dump_json(include={"speech", "vocabulary"})
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = build_speech_engine(settings)
    return engine


def worker_settings(settings: Settings, threads: int) -> Settings:
    """The settings a worker recognises with: ``threads`` CPU threads for its one model."""
    model = settings.speech.model.model_copy(update={"cpu_threads": threads, "num_workers": 1})
    speech = settings.speech.model_copy(update={"model": model})
    return settings.model_copy(update={"speech": speech})
