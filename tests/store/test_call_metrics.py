"""A call's metrics and tags in the store (SQLite and PostgreSQL): recorded when its summary
is stored, again after an edit, a CRM link or a late reaction to a suggestion; backfilled
for calls stored without them. The call is tests/analytics/handmade.py's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from copilot.cli import app
from copilot.crm.filing import CrmIdentity
from copilot.settings import get_settings
from copilot.store import call_metrics, filing, repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Call, CallMetrics, CallTag, utcnow
from tests.analytics import handmade
from tests.store.conftest import World

# Sunday 2026-03-08 23:30 in Shanghai: still the week of Monday 2026-03-02 there (in UTC
# it is 15:30 on Sunday too; a call at 00:30 Shanghai Monday would be the next week).
STARTED = datetime(2026, 3, 8, 15, 30, tzinfo=UTC)


def summary(call_id: str) -> dict[str, Any]:
    insights = handmade.insights().model_dump(mode="json")
    insights["systems"] = [
        {"name": "金蝶云星空", "role": "incumbent", "evidence": {"text": "现在用金蝶"}}
    ]
    return {
        **insights,
        "call_id": call_id,
        "duration_s": handmade.DURATION_S,
        "transcript": [s.model_dump(mode="json") for s in handmade.segments()],
        "summary_text": "客户嫌贵。",
    }


def live_call(s: Session, world: World, *, customer: str = "华强门店") -> Call:
    """The hand-made call as the service stores it while live: segments, a suggestion card
    for the objection (s9), a compliance flag; no summary yet."""
    call = repo.create_call(
        s,
        org_id=world.org.id,
        rep_id=world.rep_a1.id,
        source="stream",
        customer_name=customer,
        started_at=STARTED,
    )
    for seg in handmade.segments():
        repo.add_segment(
            s, call.id, segment_id=seg.id, speaker=seg.speaker, start=seg.start, end=seg.end,
            text=seg.text,
        )  # fmt: skip
    card = {"segment_id": "s9", "provisional": False,
            "result": {"objection": "price", "suggestions": [{"id": "kb-price"}]}}  # fmt: skip
    repo.append_event(s, call.id, 1, "suggestion", {**card, "provisional": True})
    repo.append_event(s, call.id, 2, "suggestion", card)
    repo.add_flag(
        s, org_id=world.org.id, rep_id=world.rep_a1.id, source="speech", text="保证效果",
        rule_id="r1", category="absolute_claim", severity="high", start=0, end=4,
        match="保证", call_id=call.id, segment_id="s10",
    )  # fmt: skip
    return call


def ended(s: Session, call: Call) -> Call:
    return repo.update_call(
        s, call, status="ended", ended_at=utcnow(), duration_s=120.0, summary=summary(call.id)
    )


def tags(s: Session, call_id: str) -> set[tuple[str, str]]:
    rows = s.execute(select(CallTag.kind, CallTag.value).where(CallTag.call_id == call_id))
    return {(kind, value) for kind, value in rows}


def test_the_calls_end_records_its_metrics_and_tags(db_session: Session, world: World) -> None:
    s = db_session
    call = live_call(s, world)
    assert s.get(CallMetrics, call.id) is None  # live: nothing yet
    ended(s, call)
    s.commit()
    s.expire_all()
    row = s.get(CallMetrics, call.id)
    assert row is not None
    assert (row.org_id, row.rep_id, row.team_id) == (world.org.id, world.rep_a1.id, world.team_a.id)
    assert row.week == date(2026, 3, 2)
    # Figures worked out in tests/analytics/test_conversation.py.
    assert (row.duration_s, row.rep_talk_s, row.customer_talk_s) == (120.0, 53.3, 31.5)
    assert (row.talk_ratio, row.longest_monologue_s) == (0.629, 30.0)
    assert (row.rep_questions, row.question_rate, row.interactivity) == (3, 15.0, 5.0)
    assert row.patience_s == 1.0
    # Depth: budget, need, timeline, and now competition (an incumbent 金蝶) -> 80.
    assert row.depth_score == 80 and row.depth["competition"] and not row.depth["decision"]
    # One objection; the rep's reply came 15 s later and the card was not used: unanswered.
    assert (row.objections, row.objections_answered) == (1, 0)
    # The provisional card does not count; the final one was shown.
    assert (row.suggestions_shown, row.suggestions_used, row.suggestions_dismissed) == (1, 0, 0)
    assert row.flags == 1 and row.version == 1
    assert tags(s, call.id) == {
        ("objection", "price"),
        ("vendor", "金蝶云星空"),
        ("flag", "absolute_claim"),
        ("pain", "efficiency"),
        ("account", "华强门店"),
    }


def test_a_late_reaction_an_edit_and_a_crm_link_re_record(
    db_session: Session, world: World
) -> None:
    s, rep = db_session, world.who(world.rep_a1)
    call = ended(s, live_call(s, world))
    # The rep marks the objection's card used after the call: the card and the objection.
    repo.add_feedback(
        s, org_id=world.org.id, user_id=world.rep_a1.id, entry_id="kb-price", action="used",
        call_id=call.id,
    )  # fmt: skip
    row = s.get(CallMetrics, call.id)
    assert row is not None
    assert (row.suggestions_used, row.objections_answered) == (1, 1)
    # The review removes the objection and names a decision maker.
    filing.review_field(s, call, rep, "objections", value=[], edit=True)
    chain = [{"name": "钱总", "role": "运营副总", "evidence": {"text": "钱总拍板"}}]
    filing.review_field(s, call, rep, "decision_chain", value=chain, edit=True)
    assert (row.objections, row.objections_answered, row.depth_score) == (0, 0, 100)
    assert ("objection", "price") not in tags(s, call.id)
    # Approving a field changes nothing stored, so it records nothing new.
    before = row.computed_at
    filing.review_field(s, call, rep, "budget", state="approved")
    assert row.computed_at == before
    # Linked to a CRM account: the account tag becomes its id.
    filing.link_crm(s, call, rep, CrmIdentity(account_id="ACC-7", account_name="华强"))
    assert ("account", "ACC-7") in tags(s, call.id)
    assert ("account", "华强门店") not in tags(s, call.id)
    # The whole summary replaced by the rep's edit: figures follow it.
    edited = {**summary(call.id), "budget": None, "systems": [], "pain_points": []}
    repo.save_summary_edit(s, call, rep, edited)
    assert row.depth_score == 20  # only the timeline (s7) is left
    assert tags(s, call.id) == {
        ("objection", "price"),  # back with the whole summary
        ("flag", "absolute_claim"),
        ("account", "ACC-7"),
    }
    s.commit()
    assert s.scalar(select(CallMetrics.depth_score).where(CallMetrics.call_id == call.id)) == 20


def test_backfill_records_calls_stored_without_metrics(db_session: Session, world: World) -> None:
    s = db_session
    mine = live_call(s, world)
    other = repo.create_call(
        s, org_id=world.other_org.id, rep_id=world.other_rep.id, source="transcript",
        status="ended",
    )  # fmt: skip
    purged = repo.create_call(
        s, org_id=world.org.id, rep_id=world.rep_b.id, source="transcript", status="ended"
    )
    still_live = repo.create_call(s, org_id=world.org.id, rep_id=world.rep_a2.id, source="stream")
    # Summaries written as a version before this one did: straight into the column.
    for call in (mine, other, purged):
        call.summary = summary(call.id)
    purged.purged_at = utcnow()
    s.flush()
    assert s.scalars(select(CallMetrics)).all() == []

    assert call_metrics.backfill(s, world.org.id) == 1  # mine; not purged, not live
    assert call_metrics.backfill(s, world.org.id) == 0  # nothing left to do
    assert call_metrics.backfill(s) == 1  # the other org's
    assert call_metrics.backfill(s, recompute=True) == 2
    done = set(s.scalars(select(CallMetrics.call_id)))
    assert done == {mine.id, other.id}
    assert still_live.id not in done and purged.id not in done
    # A row from an older definition is redone; tags are never doubled.
    row = s.get(CallMetrics, mine.id)
    assert row is not None
    row.version = 0
    assert call_metrics.backfill(s) == 1 and row.version == 1
    assert len(tags(s, mine.id)) == 5


def test_a_summary_that_no_longer_reads_still_records_the_talk(
    db_session: Session, world: World
) -> None:
    s = db_session
    call = live_call(s, world, customer="")
    repo.update_call(s, call, status="ended", summary={"budget": "masked"})
    row = s.get(CallMetrics, call.id)
    assert row is not None
    assert row.rep_talk_s == 53.3 and row.depth_score == 20  # the timeline said in s7
    assert tags(s, call.id) == {("flag", "absolute_claim")}  # no account: no name


def test_the_backfill_command(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as s:
            org = repo.create_org(s, "华东公司")
            rep = repo.create_user(s, org.id, name="rep", email="rep@example.cn", role="rep")
            call = repo.create_call(s, org_id=org.id, rep_id=rep.id, source="transcript")
            call.summary = summary(call.id)  # stored by an older version: no metrics
            org_id, call_id = org.id, call.id
        monkeypatch.setenv("COPILOT_DATABASE__URL", db_url)
        get_settings.cache_clear()
        runner = CliRunner()
        first = runner.invoke(app, ["analytics", "backfill", "--org", "华东公司"])
        assert first.exit_code == 0, first.output
        assert json.loads(first.stdout) == {"org_id": org_id, "calls": 1}
        again = runner.invoke(app, ["analytics", "backfill"])
        assert json.loads(again.stdout) == {"org_id": None, "calls": 0}
        with session_factory(engine).begin() as s:
            assert s.get(CallMetrics, call_id) is not None
        unknown = runner.invoke(app, ["analytics", "backfill", "--org", "没有这个公司"])
        assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    finally:
        get_settings.cache_clear()
        engine.dispose()
