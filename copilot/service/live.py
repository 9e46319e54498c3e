"""One live call on the server: audio in, events out, with ASR off the event loop.

Frames are validated on arrival (a bad frame is answered at once and dropped) and queued;
one consumer per call hands them, in order, to a bounded worker pool shared by all calls,
where recognition, analysis and persistence run. Everything a call emits is stamped,
persisted and published from that single consumer, so ``seq`` order, storage order and
publish order are the same and a resuming client can never miss an event.

Back-pressure: when the audio waiting for recognition exceeds ``max_lag_s``, partials are
switched off (finals never are) until the call has caught up to half of that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from copilot.analysis import CallSummary
from copilot.events import (
    CallStatusEvent,
    CallSummaryEvent,
    Event,
    EventStamper,
    TranscriptFinal,
    TranscriptPartial,
)
from copilot.service.pipeline import CallPipeline, FinalResult, StageTimes
from speech.audio import SAMPLE_RATE
from speech.streaming import CallTranscriber
from speech.types import FinalSegment, PartialSegment, SpeechEvent

logger = logging.getLogger(__name__)

EventJson = dict[str, object]
_SUSPEND = "suspend"


class CallRecorder(Protocol):
    """Durable storage of what a call produced (implemented over the SQL store)."""

    def record_final(self, call_id: str, result: FinalResult, events: list[Event]) -> None:
        """The final segment, its insights and flags and the events, in one transaction."""

    def record_events(self, call_id: str, events: list[Event]) -> None:
        """Events that are not partials and belong to no final (early suggestions…)."""

    def record_end(self, call_id: str, summary: CallSummary, events: list[Event]) -> None:
        """The call ended: status, duration, summary and the closing events."""

    def record_progress(self, call_id: str, audio_s: float) -> None:
        """How much audio the call has had, so an interrupted call resumes at that time."""


@dataclass
class LagState:
    queued_samples: int = 0
    partials_paused: bool = False

    @property
    def lag_s(self) -> float:
        return self.queued_samples / SAMPLE_RATE


@dataclass
class FinalTiming:
    """For the benchmark: how long each final took to analyse, and when it was ready."""

    segment_end_s: float
    analysis: StageTimes


class LiveCall:
    def __init__(
        self,
        call_id: str,
        transcriber: CallTranscriber,
        pipeline: CallPipeline,
        recorder: CallRecorder,
        publish: Callable[[EventJson], None],
        executor: Executor,
        *,
        max_lag_s: float = 2.0,
        offset_s: float = 0.0,
        on_final: Callable[[FinalTiming], None] | None = None,
    ) -> None:
        self.call_id = call_id
        self.transcriber = transcriber
        self.pipeline = pipeline
        self.stamper: EventStamper = pipeline.stamper
        self._recorder = recorder
        self._publish = publish
        self._executor = executor
        self._max_lag_s = max_lag_s
        self._offset_s = offset_s
        self._on_final = on_final
        # None ends the call with a summary; _SUSPEND flushes speech in progress and stops
        # without one (the client went away; the call may resume).
        self._queue: asyncio.Queue[np.ndarray | None | str] = asyncio.Queue()
        self._lag = LagState()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[CallSummary | None] | None = None
        self._closing = False
        self.summary: CallSummary | None = None

    # -- on the event loop -------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._consume(), name=f"call-{self.call_id}")

    @property
    def lag_s(self) -> float:
        return self._lag.lag_s

    @property
    def closing(self) -> bool:
        return self._closing

    def accept(self, frame: bytes) -> None:
        """Queue one binary frame; raises ``StreamFormatError`` for a bad one (nothing is
        queued, the call goes on)."""
        self.accept_samples(self.transcriber.decode(frame))

    def accept_samples(self, samples: np.ndarray) -> None:
        if self._closing:
            raise RuntimeError("the call is ending; no more audio is accepted")
        if samples.shape[1] == 0:
            return
        self._lag.queued_samples += samples.shape[1]
        self._queue.put_nowait(samples)
        self._adjust_partials()

    async def finish(self) -> CallSummary:
        """No more audio: flush the speech in progress, build and store the summary."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)
        assert self._task is not None
        summary = await asyncio.shield(self._task)
        assert summary is not None
        return summary

    async def suspend(self) -> None:
        """The stream stopped without ``stop``: recognise what was received (the words being
        spoken are committed), keep it all, build no summary; the call can resume."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(_SUSPEND)
        assert self._task is not None
        await asyncio.shield(self._task)

    async def abandon(self) -> None:
        """The server is shutting down mid-call: stop without a summary. Finals already
        persisted stay; the call is marked interrupted at the next start."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass

    def _adjust_partials(self) -> None:
        lag = self._lag.lag_s
        if not self._lag.partials_paused and lag > self._max_lag_s:
            self._lag.partials_paused = True
            self.transcriber.emit_partials = False
            logger.warning("call %s: recognition %.1f s behind, partials paused", self.call_id, lag)
        elif self._lag.partials_paused and lag < self._max_lag_s / 2:
            self._lag.partials_paused = False
            self.transcriber.emit_partials = True
            logger.info("call %s caught up, partials resumed", self.call_id)

    async def _consume(self) -> CallSummary | None:
        while isinstance(samples := await self._queue.get(), np.ndarray):
            await self._loop.run_in_executor(self._executor, self._process, samples)
            self._lag.queued_samples -= samples.shape[1]
            self._adjust_partials()
        if samples == _SUSPEND:
            await self._loop.run_in_executor(self._executor, self._flush)
            return None
        summary = await self._loop.run_in_executor(self._executor, self._end)
        self.summary = summary
        return summary

    # -- on a worker thread, one at a time per call -----------------------------------

    def _process(self, samples: np.ndarray) -> None:
        self._handle(self.transcriber.feed_samples(samples))

    def _flush(self) -> None:
        self._handle(self.transcriber.finish())
        self._recorder.record_progress(self.call_id, self._offset_s + self.transcriber.position_s)

    def _end(self) -> CallSummary:
        self._handle(self.transcriber.finish())
        duration = self._offset_s + self.transcriber.position_s
        summary = self.pipeline.summary(self.call_id, duration)
        events: list[Event] = [
            CallStatusEvent(status="ended", **self.stamper.header()),  # type: ignore[arg-type]
            CallSummaryEvent(
                summary=summary.model_dump(mode="json"),
                **self.stamper.header(),  # type: ignore[arg-type]
            ),
        ]
        self._recorder.record_end(self.call_id, summary, events)
        for event in events:
            self._emit(event)
        return summary

    def _handle(self, speech_events: list[SpeechEvent]) -> None:
        for speech_event in speech_events:
            event = self.stamper.transcript(speech_event)
            if isinstance(speech_event, PartialSegment):
                assert isinstance(event, TranscriptPartial)
                self._emit(event)
                early = self.pipeline.on_partial(speech_event.segment)
                if early:
                    self._recorder.record_events(self.call_id, early)
                    for extra in early:
                        self._emit(extra)
            else:
                assert isinstance(speech_event, FinalSegment) and isinstance(event, TranscriptFinal)
                result = self.pipeline.on_final(speech_event.segment)
                events = [event, *result.events]
                self._recorder.record_final(self.call_id, result, events)
                self._recorder.record_progress(
                    self.call_id, self._offset_s + self.transcriber.position_s
                )
                for item in events:
                    self._emit(item)
                if self._on_final is not None:
                    self._on_final(FinalTiming(speech_event.segment.end, result.times))

    def _emit(self, event: Event) -> None:
        # call_soon_threadsafe keeps FIFO order, and only this thread emits for the call.
        self._loop.call_soon_threadsafe(self._publish, event.model_dump(mode="json"))
