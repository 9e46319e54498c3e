"""Revised speakers at the end of a live mono call, stored: segment rows, insight rows and
flags follow them in one transaction, and writing it again changes nothing more."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from compliance import Scanner
from copilot.events import FlagPayload
from copilot.insights import Insights, RuleExtractor
from copilot.service.pipeline import FinalResult, RelabelResult, StageTimes
from copilot.service.recorder import WITHDRAWN, SqlCallRecorder
from copilot.spoken_compliance import scan_segment
from copilot.store import repo
from copilot.store.db import session_factory
from copilot.store.models import AuditRecord, Flag, InsightRecord
from speech.types import Segment

from .conftest import World

PROMISE = "上线绝对不会延期，我保证。"
BUDGET = "我们今年预算大概六十万，要财务总监签字。"


def said(n: int, speaker: str, text: str, confidence: float) -> Segment:
    return Segment(
        id=f"seg-{n}", start=10.0 * n, end=10.0 * n + 4, speaker=speaker, text=text,  # type: ignore[arg-type]
        speaker_source="inferred", speaker_confidence=confidence,
    )  # fmt: skip


def flags_of(segment: Segment) -> list[FlagPayload]:
    return [
        FlagPayload(**f.model_dump(), flag_id=uuid.uuid4().hex)
        for f in scan_segment(Scanner(), segment)
    ]


def live_call(db_engine: Engine, world: World, db_session: Session) -> tuple[str, SqlCallRecorder]:
    rep = world.rep_a1
    call = repo.create_call(db_session, org_id=rep.org_id, rep_id=rep.id, source="stream")
    db_session.commit()
    return call.id, SqlCallRecorder(session_factory(db_engine), call.org_id, call.rep_id)


def test_relabelled_segments_insights_and_flags_are_stored(
    db_engine: Engine, world: World, db_session: Session
) -> None:
    call_id, recorder = live_call(db_engine, world, db_session)
    heard = [
        said(1, "rep", BUDGET, 0.6),
        said(2, "rep", PROMISE, 0.6),
        said(3, "customer", PROMISE, 0.6),
    ]
    for segment in heard:
        flags = flags_of(segment)
        recorder.record_final(
            call_id, FinalResult(segment, [], Insights(), flags, StageTimes()), []
        )
    (live_flag,) = db_session.scalars(select(Flag).where(Flag.call_id == call_id)).all()
    assert live_flag.segment_id == "seg-2"

    revised = [
        said(1, "customer", BUDGET, 0.9),
        said(2, "customer", PROMISE, 0.8),
        said(3, "rep", PROMISE, 0.9),
    ]
    budget = RuleExtractor().extract(BUDGET, utterance_id="seg-1")
    new_flags = flags_of(revised[2])
    result = RelabelResult(
        segments=revised,
        insights={"seg-1": budget, "seg-2": Insights(), "seg-3": Insights()},
        flags=new_flags,
        withdrawn=[live_flag.id],
        events=[],
    )
    for _ in range(2):  # a write retried after an ambiguous commit
        recorder.record_relabel(call_id, result, [])
        db_session.expire_all()
        rows = repo.list_segments(db_session, call_id)
        assert [(r.segment_id, r.speaker, r.speaker_confidence) for r in rows] == [
            ("seg-1", "customer", 0.9), ("seg-2", "customer", 0.8), ("seg-3", "rep", 0.9)
        ]  # fmt: skip
        insights = db_session.scalars(
            select(InsightRecord).where(InsightRecord.call_id == call_id)
        ).all()
        assert [(r.segment_id, r.payload["budget"] is not None) for r in insights] == [
            ("seg-1", True)
        ]
        flags = {f.id: f for f in db_session.scalars(select(Flag).where(Flag.call_id == call_id))}
        assert set(flags) == {live_flag.id, *(f.flag_id for f in new_flags)}
        assert flags[live_flag.id].status == "withdrawn"
        assert flags[live_flag.id].status_comment == WITHDRAWN
        assert flags[live_flag.id].verdict is None, "a withdrawal teaches the org nothing"
        assert all(flags[f.flag_id].status == "open" for f in new_flags)
        withdrawals = db_session.scalars(
            select(AuditRecord).where(AuditRecord.action == "flag.withdrawn")
        ).all()
        assert [(a.subject_id, a.actor_id) for a in withdrawals] == [(live_flag.id, None)]


def test_a_flag_somebody_already_handled_is_not_withdrawn(
    db_engine: Engine, world: World, db_session: Session
) -> None:
    call_id, recorder = live_call(db_engine, world, db_session)
    segment = said(1, "rep", PROMISE, 0.6)
    (flag,) = flags_of(segment)
    recorder.record_final(call_id, FinalResult(segment, [], Insights(), [flag], StageTimes()), [])
    stored = db_session.get(Flag, flag.flag_id)
    assert stored is not None
    stored.status = "acknowledged"
    db_session.commit()
    revised = said(1, "customer", PROMISE, 0.8)
    recorder.record_relabel(
        call_id, RelabelResult([revised], {"seg-1": Insights()}, [], [flag.flag_id], []), []
    )
    db_session.expire_all()
    assert db_session.get(Flag, flag.flag_id).status == "acknowledged"  # type: ignore[union-attr]
