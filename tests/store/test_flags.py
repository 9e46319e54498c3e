"""Flags: filtered listing for managers, reviewed with comments, overridden with reasons,
every step in the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.models import Flag as ScannedFlag
from copilot.store import audit, repo
from copilot.store.models import AuditRecord, Flag, User, utcnow

from .conftest import World


def _flag(s: Session, rep: User, *, category: str = "promise", severity: str = "high") -> Flag:
    return repo.add_flag(
        s, org_id=rep.org_id, rep_id=rep.id, source="speech", text="我们保证三天上线",
        rule_id=f"{category}.rule", category=category, severity=severity, start=2, end=4,
        match="保证", suggestion="我们会尽力在三天内上线",
    )  # fmt: skip


def test_listing_filters_combine(db_session: Session, world: World) -> None:
    s = db_session
    a1_high = _flag(s, world.rep_a1)
    a1_low = _flag(s, world.rep_a1, category="pii", severity="low")
    a2_high = _flag(s, world.rep_a2)
    b_med = _flag(s, world.rep_b, category="discount", severity="medium")
    admin = world.who(world.admin)

    def ids(**filters: object) -> set[str]:
        return {f.id for f in repo.list_flags(s, admin, **filters)}  # type: ignore[arg-type]

    assert ids() == {a1_high.id, a1_low.id, a2_high.id, b_med.id}
    assert ids(rep_id=world.rep_a1.id) == {a1_high.id, a1_low.id}
    assert ids(severity="high") == {a1_high.id, a2_high.id}
    assert ids(category="discount") == {b_med.id}
    assert ids(rep_id=world.rep_a1.id, severity="low", category="pii") == {a1_low.id}
    assert ids(status="open") == ids()
    assert ids(status="resolved") == set()
    now = utcnow()
    assert ids(since=now + timedelta(seconds=1)) == set()
    assert ids(until=now + timedelta(seconds=1)) == ids()
    assert ids(since=now - timedelta(minutes=5), until=now + timedelta(minutes=5)) == ids()
    # A manager's rep_id filter cannot reach outside their team.
    manager = world.who(world.manager_a)
    assert repo.list_flags(s, manager, rep_id=world.rep_b.id) == []


def test_review_steps_record_comments_and_refuse_impossible_moves(
    db_session: Session, world: World
) -> None:
    s = db_session
    flag = _flag(s, world.rep_a1)
    manager = world.who(world.manager_a)
    repo.set_flag_status(s, manager, flag.id, "acknowledged", "已和销售沟通")
    assert (flag.status, flag.status_comment) == ("acknowledged", "已和销售沟通")
    with pytest.raises(repo.Conflict, match="cannot become overridden"):
        repo.set_flag_status(s, world.who(world.rep_a1), flag.id, "overridden", "急")
    repo.set_flag_status(s, manager, flag.id, "resolved", "客户已收到更正")
    with pytest.raises(repo.Conflict):
        repo.set_flag_status(s, manager, flag.id, "acknowledged")
    other_team = _flag(s, world.rep_b)
    with pytest.raises(repo.NotFound):
        repo.set_flag_status(s, manager, other_team.id, "resolved")
    records = s.scalars(
        select(AuditRecord).where(AuditRecord.subject_id == flag.id).order_by(AuditRecord.id)
    ).all()
    assert [(r.action, r.actor_id, r.detail.get("comment")) for r in records] == [
        ("flag.created", None, None),
        ("flag.acknowledged", world.manager_a.id, "已和销售沟通"),
        ("flag.resolved", world.manager_a.id, "客户已收到更正"),
    ]
    assert records[0].actor_role == "system"
    assert audit.verify_chain(s, world.org.id).ok


def test_a_rep_overrides_their_message_flags_with_a_reason(
    db_session: Session, world: World
) -> None:
    s = db_session
    rep = world.who(world.rep_a1)
    scanned = [
        ScannedFlag(
            rule_id="discount.over_authority", category="unauthorized_discount", severity="high",
            start=0, end=4, match="打五折", suggestion="折扣需经理审批",
        ),
        ScannedFlag(
            rule_id="guarantee.delivery", category="guarantee", severity="medium",
            start=5, end=7, match="保证", suggestion="我们会尽力",
        ),
    ]  # fmt: skip
    flag_ids = repo.add_message_flags(s, rep, scanned, "打五折，保证下周到", channel="wecom")
    stored = [repo.get_flag(s, rep, fid) for fid in flag_ids]
    assert [(f.source, f.rep_id, f.status) for f in stored if f] == [
        ("message", world.rep_a1.id, "open")
    ] * 2
    with pytest.raises(repo.InvalidInput, match="reason"):
        repo.override_flags(s, rep, flag_ids, "  ")
    repo.override_flags(s, rep, flag_ids, "客户是老客户，经理口头同意")
    assert {(f.status, f.override_reason) for f in stored if f} == {
        ("overridden", "客户是老客户，经理口头同意")
    }
    created = s.scalars(
        select(AuditRecord).where(AuditRecord.action == "flag.created").limit(1)
    ).one()
    assert (created.actor_id, created.detail["channel"]) == (world.rep_a1.id, "wecom")
    # A manager may still review an overridden flag.
    repo.set_flag_status(s, world.who(world.manager_a), flag_ids[0], "resolved", "已补审批")


def test_another_reps_flags_cannot_be_overridden(db_session: Session, world: World) -> None:
    flag = _flag(db_session, world.rep_a2)
    with pytest.raises(repo.NotFound):
        repo.override_flags(db_session, world.who(world.rep_a1), [flag.id], "理由")
