"""Replaying a recording through the live path on a real-time clock.

Used by ``copilot transcribe --stream``, the demo and the latency benchmark: audio is cut
into frames and each frame is handed over only once its last sample "has been spoken", so
the measured latencies are the ones a rep would see on a live call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from copilot.events import EventStamper, TranscriptFinal, TranscriptPartial
from copilot.roles import TextRoleResolver
from speech.audio import SAMPLE_RATE, DecodedAudio, PcmFormat, to_pcm_s16le
from speech.engine import SpeechEngine
from speech.types import SpeechEvent


@dataclass(frozen=True)
class TimedEvent:
    event: TranscriptPartial | TranscriptFinal
    audio_s: float  # seconds of call audio received when the event was emitted
    wall_s: float  # seconds since the replay started
    # Wall seconds from the moment the segment's last voiced sample was received to the
    # event (finals only).
    latency_s: float | None
    decode_s: float


@dataclass
class ReplayReport:
    events: list[TimedEvent] = field(default_factory=list)
    audio_s: float = 0.0
    wall_s: float = 0.0

    @property
    def finals(self) -> list[TimedEvent]:
        return [e for e in self.events if isinstance(e.event, TranscriptFinal)]


def replay(
    engine: SpeechEngine,
    audio: DecodedAudio,
    *,
    call_id: str = "replay",
    speed: float = 1.0,
    frame_ms: int = 100,
    hotwords: Sequence[str] = (),
    on_event: Callable[[TimedEvent], None] | None = None,
) -> ReplayReport:
    """Stream ``audio`` through a new live call at ``speed`` × real time."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    call = engine.new_call(
        PcmFormat(SAMPLE_RATE, audio.channels), hotwords=hotwords, roles=TextRoleResolver()
    )
    stamper = EventStamper(call_id)
    pcm = to_pcm_s16le(audio.samples)
    frame_samples = SAMPLE_RATE * frame_ms // 1000
    frame_bytes = frame_samples * 2 * audio.channels
    report = ReplayReport(audio_s=audio.duration)
    started = time.perf_counter()

    def wall_at(audio_s: float) -> float:
        return started + audio_s / speed

    def emit(speech_events: list[SpeechEvent], audio_s: float) -> None:
        now = time.perf_counter()
        for speech_event in speech_events:
            event = stamper.transcript(speech_event)
            latency = None
            if isinstance(event, TranscriptFinal):
                latency = now - wall_at(event.segment.end)
            timed = TimedEvent(event, audio_s, now - started, latency, speech_event.decode_s)
            report.events.append(timed)
            if on_event is not None:
                on_event(timed)

    for offset in range(0, len(pcm), frame_bytes):
        frame = pcm[offset : offset + frame_bytes]
        received_s = (offset + len(frame)) / (2 * audio.channels) / SAMPLE_RATE
        delay = wall_at(received_s) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        emit(call.feed(frame), received_s)
    emit(call.finish(), audio.duration)
    report.wall_s = time.perf_counter() - started
    return report
