"""Persisting a live call as it happens, so a restart loses nothing already recognised."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copilot.analysis import CallSummary
from copilot.events import Event, FlagPayload, TranscriptPartial
from copilot.insights import Evidence, Insights
from copilot.service.pipeline import FinalResult, RelabelResult
from copilot.store import recordings, repo
from copilot.store.models import CallEvent, Flag, utcnow
from copilot.store.models import Segment as SegmentRow
from speech.types import Segment

# Why the service resolves a flag it raised on a mono call, once the whole call showed that
# the customer said the words.
WITHDRAWN = "withdrawn: the whole call's voices put these words on the customer's side"


class SqlCallRecorder:
    """:class:`~copilot.service.live.CallRecorder` over the SQL store; one short
    transaction per final segment, run on the call's worker thread."""

    def __init__(self, sessions: sessionmaker[Session], org_id: str, rep_id: str) -> None:
        self._sessions = sessions
        self._org_id = org_id
        self._rep_id = rep_id

    def record_final(self, call_id: str, result: FinalResult, events: list[Event]) -> None:
        segment = result.segment
        with self._sessions.begin() as session:
            if self._has_segment(session, call_id, segment.id):
                # Written before (a retry after an ambiguous commit): the transaction was
                # all or nothing, so only make sure of the events.
                self._add_events(session, call_id, events)
                return
            repo.add_segment(
                session,
                call_id,
                segment_id=segment.id,
                speaker=segment.speaker,
                start=segment.start,
                end=segment.end,
                text=segment.text,
                raw_text=segment.raw_text,
                speaker_source=segment.speaker_source,
                speaker_confidence=segment.speaker_confidence,
            )
            if segment.speaker == "rep" and recordings.is_notice(segment.text):
                _note_recording_notice(session, call_id, segment.start)
            if not result.insights.is_empty():
                repo.add_insight(
                    session, call_id, segment.id, result.insights.model_dump(mode="json")
                )
            self._add_flags(session, call_id, segment, result.flags)
            self._add_events(session, call_id, events)

    def record_relabel(self, call_id: str, result: RelabelResult, events: list[Event]) -> None:
        """Revised speakers at the end of a mono call, with what they changed, in one
        transaction (written again after an ambiguous commit, it changes nothing more)."""
        with self._sessions.begin() as session:
            for segment in result.segments:
                repo.relabel_segment(
                    session,
                    call_id,
                    segment.id,
                    speaker=segment.speaker,
                    speaker_source=segment.speaker_source,
                    speaker_confidence=segment.speaker_confidence,
                )
            for segment_id, insights in result.insights.items():
                payload = None if insights.is_empty() else insights.model_dump(mode="json")
                repo.replace_insight(session, call_id, segment_id, payload)
            for flag_id in result.withdrawn:
                repo.withdraw_flag(session, flag_id, WITHDRAWN)
            present = set(
                session.scalars(
                    select(Flag.id).where(Flag.id.in_([f.flag_id for f in result.flags]))
                )
            )
            new: dict[str, list[FlagPayload]] = {}
            for flag in result.flags:
                if flag.flag_id not in present:
                    new.setdefault(flag.evidence.utterance_id or "", []).append(flag)
            for segment in result.segments:
                self._add_flags(session, call_id, segment, new.get(segment.id, []))
            self._add_events(session, call_id, events)

    def _add_flags(
        self, session: Session, call_id: str, segment: Segment, flags: list[FlagPayload]
    ) -> None:
        store_spoken_flags(
            session,
            org_id=self._org_id,
            rep_id=self._rep_id,
            call_id=call_id,
            segment=segment,
            flags=flags,
        )

    def record_events(self, call_id: str, events: list[Event]) -> None:
        with self._sessions.begin() as session:
            self._add_events(session, call_id, events)

    def record_progress(self, call_id: str, audio_s: float) -> None:
        with self._sessions.begin() as session:
            call = repo.get_call(session, call_id)
            if call is not None and audio_s > call.duration_s:
                repo.update_call(session, call, duration_s=audio_s)

    def record_end(self, call_id: str, summary: CallSummary, events: list[Event]) -> None:
        with self._sessions.begin() as session:
            repo.update_call(
                session,
                call_id,
                status="ended",
                ended_at=utcnow(),
                duration_s=summary.duration_s,
                summary=summary.model_dump(mode="json"),
            )
            self._add_events(session, call_id, events)

    def record_failure(self, call_id: str, reason: str, events: list[Event]) -> None:
        with self._sessions.begin() as session:
            call = repo.get_call(session, call_id)
            if call is not None:
                repo.update_call(session, call, status="failed", ended_at=utcnow())
                # The reason sits with the audio format, as for a failed upload (jobs._fail).
                call.audio_format = {**call.audio_format, "error": reason}
            self._add_events(session, call_id, events)

    @staticmethod
    def _has_segment(session: Session, call_id: str, segment_id: str) -> bool:
        found = session.scalar(
            select(SegmentRow.id).where(
                SegmentRow.call_id == call_id, SegmentRow.segment_id == segment_id
            )
        )
        return found is not None

    def _add_events(self, session: Session, call_id: str, events: list[Event]) -> None:
        stored = [e for e in events if not isinstance(e, TranscriptPartial)]
        if not stored:
            return
        # A write retried after an ambiguous commit must not add its events twice.
        present = set(
            session.scalars(
                select(CallEvent.seq).where(
                    CallEvent.call_id == call_id, CallEvent.seq.in_([e.seq for e in stored])
                )
            )
        )
        for event in stored:
            if event.seq not in present:
                repo.append_event(
                    session, call_id, event.seq, event.type, event.model_dump(mode="json")
                )


def store_spoken_flags(
    session: Session,
    *,
    org_id: str,
    rep_id: str,
    call_id: str,
    segment: Segment,
    flags: list[FlagPayload],
) -> None:
    """Flags raised by what was said in one segment of a call, stored with their ids."""
    for flag in flags:
        repo.add_scanned_flag(
            session,
            flag,
            org_id=org_id,
            rep_id=rep_id,
            source="speech",
            text=segment.text,
            call_id=call_id,
            segment_id=segment.id,
            flag_id=flag.flag_id,
        )


def _note_recording_notice(session: Session, call_id: str, at_s: float) -> None:
    """The rep's first line giving the 录音告知 marks when the customer was told."""
    call = repo.get_call(session, call_id)
    if call is not None and call.recording_notice_at is None:
        call.recording_notice_at = call.started_at + timedelta(seconds=at_s)


def stored_segment(row: SegmentRow) -> Segment:
    """A stored segment row as the transcript segment it was."""
    return Segment(
        id=row.segment_id,
        start=row.start,
        end=row.end,
        speaker=row.speaker,  # type: ignore[arg-type]
        text=row.text,
        raw_text=row.raw_text,
        speaker_source=row.speaker_source,  # type: ignore[arg-type]
        speaker_confidence=row.speaker_confidence,
    )


def load_progress(
    session: Session, call_id: str
) -> tuple[list[Segment], list[Insights], list[FlagPayload]]:
    """What a call had recognised before it was interrupted, to continue from there."""
    segments = [stored_segment(r) for r in repo.list_segments(session, call_id)]
    insight_rows = repo.list_insights(session, call_id)
    texts = {s.id: s.text for s in segments}
    flag_rows = session.scalars(
        select(Flag)
        .where(Flag.call_id == call_id, Flag.source == "speech", repo.STANDING)
        .order_by(Flag.created_at)
    ).all()
    flags = [
        FlagPayload(
            rule_id=f.rule_id,
            category=f.category,  # type: ignore[arg-type]
            severity=f.severity,  # type: ignore[arg-type]
            # The flag keeps a window of the segment; its offsets index that window.
            start=f.start + f.text_offset,
            end=f.end + f.text_offset,
            match=f.match,
            suggestion=f.suggestion,
            evidence=Evidence(
                utterance_id=f.segment_id, text=texts.get(f.segment_id or "", f.text)
            ),
            flag_id=f.id,
        )
        for f in flag_rows
    ]
    return segments, [Insights.model_validate(r.payload) for r in insight_rows], flags


def events_after(session: Session, call_id: str, after: int) -> list[dict[str, Any]]:
    return [row.payload for row in repo.list_events_after(session, call_id, after)]
