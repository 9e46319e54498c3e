"""Calls while live: finals persisted idempotently, events replayable after a seq,
restarts marking calls interrupted, summaries edited and confirmed with an audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.store import repo
from copilot.store.db import session_factory
from copilot.store.models import AuditRecord, Call, utcnow

from .conftest import World


@pytest.fixture
def call(db_session: Session, world: World) -> Call:
    made = repo.create_call(
        db_session,
        org_id=world.org.id,
        rep_id=world.rep_a1.id,
        source="stream",
        call_id="call-0001",
        customer_name="杭州某制造",
        audio_format={"sample_rate": 16000, "channels": 2},
    )
    db_session.commit()
    return made


def test_a_call_id_is_taken_once(db_session: Session, world: World, call: Call) -> None:
    with pytest.raises(repo.Conflict):
        repo.create_call(
            db_session, org_id=world.other_org.id, rep_id=world.other_rep.id,
            source="stream", call_id=call.id,
        )  # fmt: skip
    with pytest.raises(repo.InvalidInput, match="source"):
        repo.create_call(db_session, org_id=world.org.id, rep_id=world.rep_a1.id, source="fax")


def test_segments_are_idempotent_on_their_id(db_session: Session, call: Call) -> None:
    s = db_session
    first = repo.add_segment(
        s, call.id, segment_id="seg-2", speaker="customer", start=3.0, end=4.5, text="太贵了"
    )
    again = repo.add_segment(
        s, call.id, segment_id="seg-2", speaker="customer", start=3.0, end=4.5, text="重复"
    )
    repo.add_segment(s, call.id, segment_id="seg-1", speaker="rep", start=0.0, end=2.0, text="您好")
    s.commit()
    assert again.id == first.id and again.text == "太贵了"
    assert [seg.segment_id for seg in repo.list_segments(s, call.id)] == ["seg-1", "seg-2"]


def test_events_replay_after_a_seq_and_advance_last_seq(db_session: Session, call: Call) -> None:
    s = db_session
    for seq in (1, 2, 3, 5):
        repo.append_event(s, call.id, seq, "transcript.final", {"seq": seq, "text": "好"})
    s.commit()
    assert call.last_seq == 5
    assert [e.seq for e in repo.list_events_after(s, call.id, 2)] == [3, 5]
    assert [e.seq for e in repo.list_events_after(s, call.id)] == [1, 2, 3, 5]
    assert repo.list_events_after(s, call.id, 5) == []
    assert [e.seq for e in repo.list_events_after(s, call.id, 0, limit=2)] == [1, 2]
    assert repo.list_events_after(s, call.id, 1)[0].payload == {"seq": 2, "text": "好"}
    # An older event written late does not move last_seq backwards.
    repo.append_event(s, call.id, 4, "insight", {})
    assert call.last_seq == 5
    with pytest.raises(IntegrityError):
        repo.append_event(s, call.id, 4, "insight", {})
    s.rollback()


def test_insights_are_kept_in_order(db_session: Session, call: Call) -> None:
    repo.add_insight(db_session, call.id, "seg-1", {"budget": {"amount": 500000}})
    repo.add_insight(db_session, call.id, "seg-3", {"objections": ["price"]})
    db_session.commit()
    found = repo.list_insights(db_session, call.id)
    assert [(i.segment_id, i.payload) for i in found] == [
        ("seg-1", {"budget": {"amount": 500000}}),
        ("seg-3", {"objections": ["price"]}),
    ]


def test_a_restart_marks_live_calls_interrupted_and_keeps_their_finals(
    db_engine: Engine, world: World, call: Call
) -> None:
    sessions = session_factory(db_engine)
    with sessions.begin() as s:
        repo.add_segment(s, call.id, segment_id="a", speaker="rep", start=0, end=1, text="您好")
        ended = repo.create_call(s, org_id=world.org.id, rep_id=world.rep_b.id, source="upload")
        repo.update_call(s, ended, status="ended", ended_at=utcnow(), duration_s=62.0)
    # The process dies here; the next one starts:
    with sessions.begin() as s:
        assert repo.mark_interrupted_calls(s) == [call.id]
    with sessions() as s:
        reloaded = s.get(Call, call.id)
        assert reloaded is not None and reloaded.status == "interrupted"
        assert reloaded.ended_at is not None
        assert [seg.text for seg in repo.list_segments(s, call.id)] == ["您好"]
        assert s.get(Call, ended.id).status == "ended"  # type: ignore[union-attr]
        assert repo.mark_interrupted_calls(s) == []


def test_update_call_sets_only_what_it_is_given(db_session: Session, call: Call) -> None:
    repo.update_call(db_session, call.id, duration_s=12.5)
    repo.update_call(db_session, call, last_seq=7, summary={"outcome": "跟进"})
    db_session.commit()
    db_session.expire_all()
    fresh = repo.get_call(db_session, call.id)
    assert fresh is not None
    assert (fresh.status, fresh.duration_s, fresh.last_seq) == ("live", 12.5, 7)
    assert fresh.summary == {"outcome": "跟进"}
    assert fresh.started_at.tzinfo is not None  # aware on SQLite too
    with pytest.raises(repo.InvalidInput):
        repo.update_call(db_session, call, status="paused")  # type: ignore[arg-type]
    with pytest.raises(repo.NotFound):
        repo.update_call(db_session, "nope", duration_s=1)


def test_listing_filters_by_status_and_time(db_session: Session, world: World, call: Call) -> None:
    s = db_session
    rep = world.who(world.rep_a1)
    old = repo.create_call(
        s, org_id=world.org.id, rep_id=world.rep_a1.id, source="upload",
        started_at=utcnow() - timedelta(days=3), status="ended",
    )  # fmt: skip
    assert [c.id for c in repo.list_visible_calls(s, rep)] == [call.id, old.id]
    assert [c.id for c in repo.list_visible_calls(s, rep, status="ended")] == [old.id]
    since = utcnow() - timedelta(days=1)
    assert [c.id for c in repo.list_visible_calls(s, rep, since=since)] == [call.id]
    assert [c.id for c in repo.list_visible_calls(s, rep, until=since)] == [old.id]
    assert [c.id for c in repo.list_visible_calls(s, rep, limit=1, offset=1)] == [old.id]


def test_summary_edit_and_confirmation_are_audited(
    db_session: Session, world: World, call: Call
) -> None:
    s = db_session
    rep = world.who(world.rep_a1)
    with pytest.raises(repo.Conflict, match="not ready"):
        repo.save_summary_edit(s, call, rep, {"next_steps": []})
    repo.update_call(s, call, status="ended", summary={"next_steps": ["报价"]})
    repo.save_summary_edit(s, call, rep, {"next_steps": ["周五前报价"]})
    repo.confirm_call(s, call, rep)
    assert (call.status, call.confirmed_by) == ("confirmed", world.rep_a1.id)
    with pytest.raises(repo.Conflict, match="already confirmed"):
        repo.confirm_call(s, call, rep)
    actions = s.scalars(
        select(AuditRecord.action).where(AuditRecord.subject_id == call.id).order_by(AuditRecord.id)
    ).all()
    assert actions == ["call.summary_edited", "call.confirmed"]


def test_naive_datetimes_are_refused(db_session: Session, world: World) -> None:
    from datetime import datetime

    with pytest.raises(Exception, match="naive datetime"):
        repo.create_call(
            db_session, org_id=world.org.id, rep_id=world.rep_a1.id, source="upload",
            started_at=datetime(2025, 1, 1, 12, 0),
        )  # fmt: skip
    db_session.rollback()
