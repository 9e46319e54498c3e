"""Scorecards in the store, on SQLite and PostgreSQL: items, scoring, disputes, queue."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.scorecards.items import ScorecardItem
from copilot.store import repo, scorecards
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import AuditRecord, Call
from tests.store.conftest import World

TURNS = [
    ("rep", "您好，我是云帆科技的小王，本次通话会被录音。"),
    ("customer", "你们预算怎么算的？"),
    ("rep", "想先了解下您这边的预算范围"),
    ("customer", "这个要我们老板拍板"),
    ("rep", "好的，那我下周把方案发您"),
]


def _call(session: Session, world: World, rep_id: str | None = None) -> Call:
    call = repo.create_call(
        session, org_id=world.org.id, rep_id=rep_id or world.rep_a1.id, source="transcript"
    )
    for i, (speaker, text) in enumerate(TURNS):
        repo.add_segment(
            session,
            call.id,
            segment_id=f"seg-{i + 1:04d}",
            speaker=speaker,
            start=i * 3.0,
            end=i * 3.0 + 2.5,
            text=text,
        )
    return call


def _by_key(session: Session, call: Call) -> dict[str, object]:
    return {r.item_key: r for r in scorecards.results_of(session, call.id)}


def test_storing_the_summary_scores_the_call_from_the_reps_words(
    db_session: Session, world: World
) -> None:
    call = _call(db_session, world)
    repo.update_call(db_session, call, status="ended", summary={"summary_text": "x"})
    card = scorecards.card(db_session, call)
    got = {r.item_key: (r.passed, r.evidence_segment_id) for r in card.results}
    assert got == {
        "recording_notice": (True, "seg-0001"),
        "self_intro": (True, "seg-0001"),
        "budget": (True, "seg-0003"),
        # Only the customer spoke of who decides.
        "decision_maker": (False, None),
        "next_step": (True, "seg-0005"),
    }
    assert card.score == 80 and card.missed_must_say == []
    assert [r.position for r in card.results] == [0, 1, 2, 3, 4]
    db_session.commit()


def test_an_org_edits_its_items_and_reset_returns_to_the_template(
    db_session: Session, world: World
) -> None:
    org = world.org.id
    scorecards.put_item(
        db_session, org, ScorecardItem(key="product_demo", label="提到演示", cues=("演示",))
    )
    scorecards.remove_item(db_session, org, "budget")
    keys = [i.key for i in scorecards.org_items(db_session, org)]
    assert keys == ["recording_notice", "self_intro", "decision_maker", "next_step", "product_demo"]
    with pytest.raises(NotFound):
        scorecards.remove_item(db_session, org, "budget")
    # Other orgs keep the template.
    assert len(scorecards.org_items(db_session, world.other_org.id)) == 5
    call = _call(db_session, world)
    repo.update_call(db_session, call, summary={"summary_text": "x"})
    assert set(_by_key(db_session, call)) == set(keys)
    assert scorecards.reset_items(db_session, org) == 6
    assert len(scorecards.org_items(db_session, org)) == 5
    db_session.commit()


def test_dispute_and_decision_are_audited_and_accept_flips_passed(
    db_session: Session, world: World
) -> None:
    call = _call(db_session, world)
    repo.update_call(db_session, call, summary={"summary_text": "x"})
    rep, manager = world.who(world.rep_a1), world.who(world.manager_a)
    row = scorecards.dispute(db_session, call, rep, "decision_maker", "我问了谁来审批，识别错了")
    assert row.dispute == "open" and row.disputed_by == world.rep_a1.id
    with pytest.raises(Conflict):
        scorecards.dispute(db_session, call, rep, "decision_maker", "again")
    with pytest.raises(InvalidInput):
        scorecards.dispute(db_session, call, rep, "budget", "  ")
    with pytest.raises(NotFound):
        scorecards.dispute(db_session, call, rep, "no_such_item", "x")
    queue = scorecards.open_disputes(db_session, manager)
    assert [(r.item_key, c.id) for r, c in queue] == [("decision_maker", call.id)]
    assert scorecards.open_disputes(db_session, world.who(world.rep_b)) == []
    assert scorecards.count_open_disputes(db_session, world.who(world.admin)) == 1
    decided = scorecards.decide(
        db_session, call, manager, "decision_maker", accept=True, comment="听了录音，确实问了"
    )
    assert (decided.dispute, decided.passed, decided.decided_by) == (
        "accepted",
        True,
        world.manager_a.id,
    )
    with pytest.raises(Conflict):
        scorecards.decide(db_session, call, manager, "decision_maker", accept=False)
    # A later rescore keeps the decision.
    scorecards.score_call(db_session, call)
    assert _by_key(db_session, call)["decision_maker"].passed is True  # type: ignore[attr-defined]
    actions = list(
        db_session.execute(
            select(AuditRecord.action, AuditRecord.actor_id, AuditRecord.detail)
            .where(AuditRecord.subject_id == call.id)
            .order_by(AuditRecord.id)
        )
    )
    assert [(a, who) for a, who, _ in actions] == [
        ("scorecard.disputed", world.rep_a1.id),
        ("scorecard.decided", world.manager_a.id),
    ]
    assert actions[1][2]["accepted"] is True and actions[1][2]["item"] == "decision_maker"
    db_session.commit()


def test_backfill_scores_calls_with_a_summary_and_no_results(
    db_session: Session, world: World
) -> None:
    call = _call(db_session, world)
    call.summary = {"summary_text": "set without update_call"}
    unsummarised = _call(db_session, world)
    db_session.flush()
    assert scorecards.backfill(db_session, world.org.id) == 1
    assert len(scorecards.results_of(db_session, call.id)) == 5
    assert scorecards.results_of(db_session, unsummarised.id) == []
    assert scorecards.backfill(db_session, world.org.id) == 0
    assert scorecards.backfill(db_session, world.org.id, rescore=True) == 1
    db_session.commit()
