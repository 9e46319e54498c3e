"""Post-call analysis in the background: uploaded recordings, scripted turns, and calls
whose stream was interrupted and are closed from what was persisted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from copilot.analysis import segments_from_turns
from copilot.auth import Principal
from copilot.crm.filing import CrmIdentity
from copilot.events import CallStatusEvent, CallSummaryEvent, Event, EventStamper
from copilot.roles import TextRoleResolver
from copilot.service.pipeline import CallPipeline
from copilot.service.recorder import SqlCallRecorder, load_progress
from copilot.service.state import ServiceState
from copilot.service.uploads import UploadStore, upload_dir
from copilot.store import filing, recordings, repo, tenants
from copilot.store.models import Call, Org, utcnow
from copilot.store.scorecards import live_checklist
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
    crm: CrmIdentity | None = None,
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
        if crm is not None and not crm.is_empty():
            filing.link_crm(session, call, principal, crm)
        return call.id


async def analyze_turns(
    state: ServiceState, call_id: str, turns: list[tuple[Speaker, str]]
) -> None:
    segments = segments_from_turns(turns)
    await _run(state, call_id, lambda: (segments, segments[-1].end if segments else 0.0))


def upload_limit_s(state: ServiceState, org_id: str) -> float:
    """The longest recording the org may have analysed (its policy, else the setting)."""
    with state.sessions() as session:
        minutes = tenants.max_upload_minutes(
            session, org_id, float(state.settings.service.max_upload_minutes)
        )
    return minutes * 60


async def analyze_recording(state: ServiceState, call_id: str, path: Path) -> None:
    """Transcribe an upload in chunks and analyse it; the file is deleted once the call is
    analysed or failed (a crash leaves it for :func:`recover_uploads`)."""

    def transcribe() -> tuple[list[Segment], float]:
        with state.sessions() as session:
            call = session.get(Call, call_id)
            org_id = call.org_id if call is not None else ""
        try:
            transcript = state.speech().transcribe_file(
                path,
                hotwords=state.hotwords(list(state.engines_for(org_id).hotwords)),
                max_duration_s=upload_limit_s(state, org_id),
                terms=state.terms_for(org_id),  # the org's vocabulary
                roles=TextRoleResolver(),  # a mono recording: who is the rep
            )
        except SpeechError as exc:
            # The reason is shown to the user: not the server's path.
            raise type(exc)(str(exc).replace(f"{path}: ", "")) from exc
        return transcript.segments, transcript.duration

    await _run(state, call_id, transcribe)
    # Analysed or failed. Not on cancellation (shutdown): the file stays for the restart.
    await asyncio.to_thread(_keep_or_delete, state, call_id, path)


def _keep_or_delete(state: ServiceState, call_id: str, path: Path) -> None:
    """An analysed upload is kept when its org keeps recordings; otherwise deleted."""
    with state.sessions.begin() as session:
        call = session.get(Call, call_id)
        org = session.get(Org, call.org_id) if call is not None else None
        if call is not None and org is not None and call.status == "ended":
            if recordings.keeps_recordings(org.policy):
                root = recordings.recordings_root(upload_dir(state.settings.service.upload_dir))
                call.recording_path = recordings.keep_upload(root, call_id, path)
                return
    path.unlink(missing_ok=True)


def recover_uploads(state: ServiceState) -> list[tuple[str, Path]]:
    """At start-up, after a crash: the uploads whose analysis can start again (their
    call is ``analysing`` and the file is complete); other ``analysing`` calls fail with
    the reason, and files that belong to no such call are deleted."""
    store = UploadStore(upload_dir(state.settings.service.upload_dir))
    store.ensure()
    resumable: list[tuple[str, Path]] = []
    with state.sessions.begin() as session:
        for call in session.scalars(select(Call).where(Call.status == "analysing")):
            path = store.find(call.id) if call.source == "upload" else None
            if path is not None:
                resumable.append((call.id, path))
                continue
            reason = (
                "the service stopped before the recording was stored; upload it again"
                if call.source == "upload"
                else "the service stopped during the analysis; send the turns again"
            )
            _mark_failed(call, reason)
    keep = {path for _, path in resumable}
    for orphan in set(store.files()) - keep:
        orphan.unlink(missing_ok=True)
    if resumable:
        logger.warning("resuming the analysis of %d upload(s)", len(resumable))
    return resumable


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
    # One read of the org (its engines carry its scanner), not one per engine.
    pipeline = CallPipeline(
        state.engines_for(org_id),
        stamper,
        feedback=state.feedback_for(org_id),
        checklist=live_checklist(state.sessions, org_id),
    )
    # Restored in both cases: an upload resumed after a crash continues after the
    # segments it had stored (recognition is deterministic, so their ids repeat).
    pipeline.restore(*stored)
    if source is not None:
        segments, duration = source()
        done = {segment.id for segment in stored[0]}
        for segment in segments:
            if segment.id in done:
                continue
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
            _mark_failed(call, message)


def _mark_failed(call: Call, message: str) -> None:
    call.status = "failed"
    call.ended_at = utcnow()
    call.audio_format = {**call.audio_format, "error": message}


def failure_reason(call: Call) -> str | None:
    """Why the analysis of a ``failed`` call failed."""
    reason = call.audio_format.get("error") if call.status == "failed" else None
    return str(reason) if reason is not None else None
