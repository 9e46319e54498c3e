"""Post-call analysis in the background: uploaded recordings, scripted turns, and calls
whose stream was interrupted and are closed from what was persisted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from copilot.analysis import segments_from_turns
from copilot.auth import Principal
from copilot.events import CallStatusEvent, CallSummaryEvent, Event, EventStamper
from copilot.service.pipeline import CallPipeline
from copilot.service.recorder import SqlCallRecorder, load_progress
from copilot.service.state import ServiceState
from copilot.store import repo
from copilot.store.models import Call, utcnow
from speech.errors import SpeechError
from speech.types import Segment, Speaker

logger = logging.getLogger(__name__)

SegmentSource = Callable[[], tuple[list[Segment], float]]


def create_call(
    state: ServiceState,
    principal: Principal,
    source: str,
    customer_name: str,
    call_id: str | None = None,
) -> str:
    with state.sessions.begin() as session:
        call = repo.create_call(
            session,
            org_id=principal.org_id,
            rep_id=principal.user_id,
            source=source,
            call_id=call_id,
            customer_name=customer_name,
            status="live" if source == "stream" else "analysing",
        )
        return call.id


async def analyze_turns(
    state: ServiceState, call_id: str, turns: list[tuple[Speaker, str]]
) -> None:
    segments = segments_from_turns(turns)
    await _run(state, call_id, lambda: (segments, segments[-1].end if segments else 0.0))


async def analyze_recording(state: ServiceState, call_id: str, path: Path) -> None:
    def transcribe() -> tuple[list[Segment], float]:
        try:
            transcript = state.speech().transcribe_file(path, hotwords=state.hotwords())
        finally:
            path.unlink(missing_ok=True)
        return transcript.segments, transcript.duration

    await _run(state, call_id, transcribe)


async def close_interrupted(state: ServiceState, call_id: str) -> None:
    """Summarise a call whose stream stopped, from the segments persisted so far."""
    await _run(state, call_id, None)


async def _run(state: ServiceState, call_id: str, source: SegmentSource | None) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(state.executor, analyze_into_store, state, call_id, source)
    except SpeechError as exc:
        await loop.run_in_executor(None, _fail, state, call_id, str(exc))
    except Exception as exc:  # a failed job must not take the service down
        logger.exception("analysis of call %s failed", call_id)
        await loop.run_in_executor(None, _fail, state, call_id, f"analysis failed: {exc}")


def analyze_into_store(state: ServiceState, call_id: str, source: SegmentSource | None) -> None:
    """Run every segment through the live pipeline and store it exactly as a streamed
    call would be stored (segments, insights, flags with audit records, events), then the
    summary. ``source`` None: the segments are already stored (an interrupted call)."""
    with state.sessions() as session:
        call = session.get(Call, call_id)
        if call is None:
            return
        org_id, rep_id, last_seq, duration = (
            call.org_id,
            call.rep_id,
            call.last_seq,
            call.duration_s,
        )
        stored = load_progress(session, call_id)
    stamper = EventStamper(call_id, first_seq=last_seq + 1)
    recorder = SqlCallRecorder(state.sessions, org_id, rep_id)
    pipeline = CallPipeline(
        state.engines,
        stamper,
        feedback=state.feedback_for(org_id),
        scanner=state.scanner_for(org_id),
    )
    if source is None:
        pipeline.restore(*stored)
    else:
        segments, duration = source()
        for segment in segments:
            final = stamper.final(segment)
            result = pipeline.on_final(segment)
            recorder.record_final(call_id, result, [final, *result.events])
    summary = pipeline.summary(call_id, duration)
    events: list[Event] = [
        CallStatusEvent(status="ended", **stamper.header()),  # type: ignore[arg-type]
        CallSummaryEvent(summary=summary.model_dump(mode="json"), **stamper.header()),  # type: ignore[arg-type]
    ]
    recorder.record_end(call_id, summary, events)
    for event in events:
        state.hub.publish_threadsafe(event.model_dump(mode="json"))


def _fail(state: ServiceState, call_id: str, message: str) -> None:
    with state.sessions.begin() as session:
        call = session.get(Call, call_id)
        if call is not None:
            call.status = "failed"
            call.ended_at = utcnow()
            call.audio_format = {**call.audio_format, "error": message}
