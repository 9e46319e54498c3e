"""One live call on the server: audio in, events out, with ASR off the event loop.

Frames are validated on arrival (a bad frame is answered at once and dropped) and queued;
one consumer per call hands them, in order, to a bounded worker pool shared by all calls,
where recognition, analysis and persistence run. Everything a call emits is stamped,
persisted and published from that single consumer, so ``seq`` order, storage order and
publish order are the same and a resuming client can never miss an event.

Back-pressure: when the audio waiting for recognition exceeds ``max_lag_s``, partials are
switched off (finals never are) until the call has caught up to half of that; past
``max_queued_audio_s`` the socket stops reading (:meth:`LiveCall.wait_for_room`).

Failures follow the one policy of copilot/service/errors.py: a store outage queues the
writes (copilot/service/write_buffer.py) and the call goes on; an analysis failure sends
the final without analysis; a recogniser failure ends the call as ``failed``. Each becomes
an ``error`` event; nothing escapes to the socket handler.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol, TypeVar

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
from copilot.insights import Insights
from copilot.service.audio_writer import WavRecording
from copilot.service.errors import (
    ANALYSIS_ATTEMPTS,
    CallFailed,
    Fault,
    FaultReporter,
    Stage,
    classify,
)
from copilot.service.logs import bind_log_context
from copilot.service.metrics import CallMetrics
from copilot.service.pipeline import CallPipeline, FinalResult, RelabelResult, StageTimes
from copilot.service.write_buffer import WriteBuffer
from speech.audio import SAMPLE_RATE
from speech.streaming import CallTranscriber
from speech.types import FinalSegment, PartialSegment, Segment, SpeechEvent

logger = logging.getLogger(__name__)

EventJson = dict[str, object]
_T = TypeVar("_T")
_SUSPEND = "suspend"


class CallRecorder(Protocol):
    """Durable storage of what a call produced (implemented over the SQL store). Each
    method is one transaction, so a write retried after an outage is stored once."""

    def record_final(self, call_id: str, result: FinalResult, events: list[Event]) -> None:
        """The final segment, its insights and flags and the events, in one transaction."""

    def record_events(self, call_id: str, events: list[Event]) -> None:
        """Events that are not partials and belong to no final (early suggestions…)."""

    def record_relabel(self, call_id: str, result: RelabelResult, events: list[Event]) -> None:
        """Revised speakers of a mono call's segments, with the insights and flags they
        changed, and the events, in one transaction."""

    def record_end(self, call_id: str, summary: CallSummary, events: list[Event]) -> None:
        """The call ended: status, duration, summary and the closing events."""

    def record_failure(self, call_id: str, reason: str, events: list[Event]) -> None:
        """The call failed: status ``failed``, the reason and the closing events."""

    def record_progress(self, call_id: str, audio_s: float) -> None:
        """How much audio the call has had, so an interrupted call resumes at that time."""


class CallPublisher(Protocol):
    """Where a call's events go (the EventHub)."""

    def publish(self, event: EventJson, *, stored: bool = True) -> None: ...

    def close_call(self, call_id: str) -> None: ...


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
        publisher: CallPublisher,
        executor: Executor,
        *,
        writes: WriteBuffer | None = None,
        max_lag_s: float = 2.0,
        max_queued_audio_s: float = 20.0,
        offset_s: float = 0.0,
        on_final: Callable[[FinalTiming], None] | None = None,
        audio: WavRecording | None = None,
    ) -> None:
        self.call_id = call_id
        self.transcriber = transcriber
        self.pipeline = pipeline
        self.stamper: EventStamper = pipeline.stamper
        self._recorder = recorder
        self._publisher = publisher
        self._writes = writes or WriteBuffer()
        self._executor = executor
        self._max_lag_s = max_lag_s
        self._max_queued = int(max_queued_audio_s * SAMPLE_RATE)
        self._offset_s = offset_s
        self._on_final = on_final
        # The org keeps recordings: the audio is written here, on the worker thread.
        self._audio = audio
        self._reporter = FaultReporter()
        # Latency, partial gaps, lag and flags for /metrics (copilot/service/metrics.py).
        self.metrics = CallMetrics(offset_s)
        # None ends the call with a summary; _SUSPEND flushes speech in progress and stops
        # without one (the client went away; the call may resume).
        self._queue: asyncio.Queue[np.ndarray | None | str] = asyncio.Queue()
        self._lag = LagState()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[CallSummary | None] | None = None
        self._closing = False
        # Closed by suspend(): a later finish() builds no summary (see suspended).
        self._suspended = False
        self._room = asyncio.Event()
        self._room.set()
        self.ended = asyncio.Event()
        self.summary: CallSummary | None = None
        # Set when the call ended on a fatal fault.
        self.fault: Fault | None = None

    # -- on the event loop -------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._consume(), name=f"call-{self.call_id}")
        self.metrics.started()

    @property
    def lag_s(self) -> float:
        return self._lag.lag_s

    @property
    def queued_chunks(self) -> int:
        return self._queue.qsize()

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def suspended(self) -> bool:
        """The stream dropped without ``stop`` and the call kept what it had, unsummarised:
        an end asked for now must close it as an interrupted call."""
        return self._suspended

    def accept(self, frame: bytes) -> float:
        """Queue one binary frame; the seconds of audio it held. Raises
        ``StreamFormatError`` for a bad one (nothing is queued, the call goes on)."""
        return self.accept_samples(self.transcriber.decode(frame))

    def accept_samples(self, samples: np.ndarray) -> float:
        if self._closing:
            raise RuntimeError("the call is ending; no more audio is accepted")
        if samples.shape[1] == 0:
            return 0.0
        self._lag.queued_samples += samples.shape[1]
        self._queue.put_nowait(samples)
        self._adjust_partials()
        if self._lag.queued_samples > self._max_queued:
            self._room.clear()
        seconds = float(samples.shape[1] / SAMPLE_RATE)
        self.metrics.audio_received(seconds)
        return seconds

    async def wait_for_room(self) -> None:
        """Until the audio waiting for recognition is back under its bound (or the call
        ended): the socket does not read meanwhile."""
        if self._room.is_set() or self.ended.is_set():
            return
        room = asyncio.ensure_future(self._room.wait())
        ended = asyncio.ensure_future(self.ended.wait())
        try:
            await asyncio.wait({room, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            room.cancel()
            ended.cancel()

    async def finish(self) -> CallSummary | None:
        """No more audio: flush the speech in progress, build and store the summary. None
        when the call failed instead (``fault`` says why). Safe to call more than once."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(None)
        assert self._task is not None
        return await asyncio.shield(self._task)

    async def suspend(self) -> None:
        """The stream stopped without ``stop``: recognise what was received (the words being
        spoken are committed), keep it all, build no summary; the call can resume."""
        if not self._closing:
            self._closing = True
            self._suspended = True
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
        # Log lines of this call, here and on its worker threads, carry its id.
        bind_log_context(call_id=self.call_id)
        try:
            return await self._run_call()
        finally:
            if self._audio is not None:
                self._audio.close()
            self._room.set()
            self.ended.set()

    async def _run_call(self) -> CallSummary | None:
        def run(fn: Callable[..., _T], *args: object) -> asyncio.Future[_T]:
            # run_in_executor does not carry context variables (the log context) over.
            context = contextvars.copy_context()
            return self._loop.run_in_executor(self._executor, context.run, fn, *args)

        try:
            while isinstance(samples := await self._queue.get(), np.ndarray):
                await run(self._process, samples)
                self._lag.queued_samples -= samples.shape[1]
                self.metrics.chunk_done(self._lag.lag_s)
                self._adjust_partials()
                if self._lag.queued_samples <= self._max_queued:
                    self._room.set()
            if samples == _SUSPEND:
                await run(self._flush)
                self.metrics.closed("suspended")
                return None
            summary: CallSummary = await run(self._end)
            self.summary = summary
            self.metrics.closed("ended")
            return summary
        except CallFailed as exc:
            fault = exc.fault
        except Exception as exc:  # a bug in the call's own code still ends it cleanly
            logger.exception("call %s failed", self.call_id)
            fault = classify(Stage.INTERNAL, exc)
        self.fault = fault
        self._closing = True
        await run(self._fail, fault)
        self.metrics.closed("failed")
        return None

    # -- on a worker thread, one at a time per call -----------------------------------

    def _process(self, samples: np.ndarray) -> None:
        if self._audio is not None:
            self._audio.write(samples)
        self._handle(self._recognise(lambda: self.transcriber.feed_samples(samples)))

    def _flush(self) -> None:
        self._handle(self._recognise(self.transcriber.finish))
        self._commit(
            functools.partial(
                self._recorder.record_progress,
                self.call_id,
                self._offset_s + self.transcriber.position_s,
            ),
            [],
        )

    def _end(self) -> CallSummary:
        self._handle(self._recognise(self.transcriber.finish))
        self._relabel()
        duration = self._offset_s + self.transcriber.position_s
        summary = self._summary(duration)
        events: list[Event] = [
            CallStatusEvent(status="ended", **self.stamper.header()),  # type: ignore[arg-type]
            CallSummaryEvent(
                summary=summary.model_dump(mode="json"),
                **self.stamper.header(),  # type: ignore[arg-type]
            ),
        ]
        self._commit(
            functools.partial(self._recorder.record_end, self.call_id, summary, events), events
        )
        self._close_events()
        return summary

    def _relabel(self) -> None:
        """A mono call's speakers with the whole call's evidence, as a file gets them: the
        transcript, insights, flags and summary follow the revised labels."""
        pipeline = self.pipeline
        mark = self.stamper.last_seq
        saved = (list(pipeline.segments), list(pipeline.records), list(pipeline.flags))
        try:
            result = pipeline.relabel(self.transcriber.relabel(pipeline.segments))
        except Exception as exc:  # the labels given live still stand
            self.stamper.rewind(mark)
            pipeline.segments, pipeline.records, pipeline.flags = saved
            self._report(classify(Stage.ANALYSIS, exc))
            return
        if not result.is_empty():
            self._commit(
                functools.partial(
                    self._recorder.record_relabel, self.call_id, result, result.events
                ),
                result.events,
            )

    def _fail(self, fault: Fault) -> None:
        """End the call on a fatal fault; never raises (the socket handler waits on it)."""
        logger.error("call %s failed: %s", self.call_id, fault.message)
        events: list[Event] = [
            self.stamper.error(fault.code, fault.message, fatal=True),
            CallStatusEvent(status="failed", reason=fault.message, **self.stamper.header()),  # type: ignore[arg-type]
        ]
        stored = False
        try:
            stored = self._writes.write(
                self.call_id,
                functools.partial(
                    self._recorder.record_failure, self.call_id, fault.message, events
                ),
                events[-1].seq,
            )
        except Exception:  # the store is broken beyond an outage; the events still go out
            logger.exception("call %s: could not record the failure", self.call_id)
        if not stored:
            self._loop.call_soon_threadsafe(self._writes.ensure_draining)
        for event in events:
            self._emit(event, stored=stored)
        self._close_events()

    def _close_events(self) -> None:
        # After the events already handed to the loop (call_soon_threadsafe is FIFO).
        self._loop.call_soon_threadsafe(self._publisher.close_call, self.call_id)

    def _recognise(self, step: Callable[[], list[SpeechEvent]]) -> list[SpeechEvent]:
        try:
            return step()
        except Exception as exc:
            raise CallFailed(classify(Stage.RECOGNITION, exc)) from exc

    def _handle(self, speech_events: list[SpeechEvent]) -> None:
        for speech_event in speech_events:
            event = self.stamper.transcript(speech_event)
            if isinstance(speech_event, PartialSegment):
                assert isinstance(event, TranscriptPartial)
                self._emit(event)
                self.metrics.partial()
                early = self._early_suggestions(speech_event.segment)
                if early:
                    self._commit(
                        functools.partial(self._recorder.record_events, self.call_id, early),
                        early,
                    )
            else:
                assert isinstance(speech_event, FinalSegment) and isinstance(event, TranscriptFinal)
                result, fault = self._analyse(speech_event.segment)
                events = [event, *result.events]
                self._commit(
                    functools.partial(self._recorder.record_final, self.call_id, result, events),
                    events,
                )
                self._commit(
                    functools.partial(
                        self._recorder.record_progress,
                        self.call_id,
                        self._offset_s + self.transcriber.position_s,
                    ),
                    [],
                )
                self.metrics.final(speech_event.segment.end, result.flags)
                if fault is not None:
                    self._report(fault)
                if self._on_final is not None:
                    self._on_final(FinalTiming(speech_event.segment.end, result.times))

    def _early_suggestions(self, segment: Segment) -> list[Event]:
        mark = self.stamper.last_seq
        try:
            return self.pipeline.on_partial(segment)
        except Exception as exc:  # early suggestions are a bonus: skip this one
            self.stamper.rewind(mark)
            self._report(classify(Stage.ANALYSIS, exc))
            return []

    def _analyse(self, segment: Segment) -> tuple[FinalResult, Fault | None]:
        """The final's analysis, tried again once; without it when it keeps failing."""
        mark = self.stamper.last_seq
        pipeline = self.pipeline
        sizes = (len(pipeline.segments), len(pipeline.records), len(pipeline.flags))
        error: Exception | None = None
        for _attempt in range(ANALYSIS_ATTEMPTS):
            try:
                result = pipeline.on_final(segment)
            except Exception as exc:
                error = exc
                # Undo what the failed attempt did, so a retry neither doubles the
                # segment nor leaves a hole in seq.
                self.stamper.rewind(mark)
                del pipeline.segments[sizes[0] :]
                del pipeline.records[sizes[1] :]
                del pipeline.flags[sizes[2] :]
                continue
            self._reporter.recovered("analysis_failed")
            return result, None
        assert error is not None
        # The error's type only: its message may quote the segment's text.
        logger.warning(
            "call %s: analysis of %s failed: %s", self.call_id, segment.id, type(error).__name__
        )
        pipeline.segments.append(segment)  # the transcript and summary still have it
        empty = FinalResult(segment, [], Insights(), [], StageTimes())
        return empty, classify(Stage.ANALYSIS, error)

    def _summary(self, duration_s: float) -> CallSummary:
        # An LLM summary writer that fails is reported; the template still writes the text.
        return self.pipeline.summary(
            self.call_id, duration_s, lambda exc: self._report(classify(Stage.ANALYSIS, exc))
        )

    def _commit(self, write: Callable[[], None], events: list[Event]) -> None:
        """Store (or queue) one write, then publish its events; a store outage is reported
        and the call goes on."""
        stored_events = [e for e in events if not isinstance(e, TranscriptPartial)]
        last_seq = max((e.seq for e in stored_events), default=0)
        try:
            stored = self._writes.write(self.call_id, write, last_seq)
        except Exception as exc:
            raise CallFailed(classify(Stage.STORE, exc)) from exc
        for event in events:
            self._emit(event, stored=stored)
        if stored:
            self._reporter.recovered("store_unavailable")
            return
        self._loop.call_soon_threadsafe(self._writes.ensure_draining)
        error = self._writes.last_exception
        if error is not None:
            self._report(classify(Stage.STORE, error))

    def _report(self, fault: Fault) -> None:
        """A non-fatal fault: tell the client (once while it lasts) and carry on."""
        if not self._reporter.should_report(fault):
            return
        logger.warning("call %s: %s", self.call_id, fault.message)
        event = self.stamper.error(fault.code, fault.message, fatal=False)
        self._commit(
            functools.partial(self._recorder.record_events, self.call_id, [event]), [event]
        )

    def _emit(self, event: Event, *, stored: bool = True) -> None:
        # call_soon_threadsafe keeps FIFO order, and only this thread emits for the call.
        payload = event.model_dump(mode="json")
        keep = stored or isinstance(event, TranscriptPartial)
        self._loop.call_soon_threadsafe(
            functools.partial(self._publisher.publish, payload, stored=keep)
        )
