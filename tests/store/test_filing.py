"""A call on its way to the CRM, in the store: the review of its summary, its CRM identity
and what is remembered of it, the rep's follow-ups (each on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.crm.filing import CrmIdentity, FilingTask
from copilot.store import filing, repo
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import AuditRecord, Call
from tests.store.conftest import World

SUMMARY = {
    "call_id": "",
    "duration_s": 60.0,
    "transcript": [],
    "summary_text": "客户让把方案发到油箱。",
    "budget": None,
    "decision_chain": [{"name": "孙总", "role": "总经理", "evidence": {"text": "得孙总拍板"}}],
    "pain_points": [],
    "objections": [{"type": "price", "text": "太贵了", "evidence": {"text": "你们太贵了"}}],
    "competitors": [],
    "commitments": [
        {"who": "rep", "what": "把方案发到邮箱", "due": "明天", "evidence": {"text": "我明天发您"}}
    ],
}


def ended_call(s: Session, world: World) -> Call:
    call = repo.create_call(
        s, org_id=world.org.id, rep_id=world.rep_a1.id, source="transcript", status="ended"
    )
    call.summary = {**SUMMARY, "call_id": call.id}
    s.flush()
    return call


def actions(s: Session, call_id: str) -> list[str]:
    rows = s.scalars(
        select(AuditRecord).where(AuditRecord.subject_id == call_id).order_by(AuditRecord.id)
    )
    return [row.action for row in rows]


def test_an_edit_a_skip_and_an_approval_each_leave_one_audit_record(
    db_session: Session, world: World
) -> None:
    s, rep = db_session, world.who(world.rep_a1)
    call = ended_call(s, world)
    assert set(filing.review_states(call).values()) == {"pending"}

    filing.review_field(s, call, rep, "summary_text", value="客户让把方案发到邮箱。", edit=True)
    filing.review_field(s, call, rep, "objections", state="skipped")
    filing.review_field(s, call, rep, "decision_chain", state="approved")
    assert actions(s, call.id) == [
        "call.summary_field_edited",
        "call.summary_field_skipped",
        "call.summary_field_approved",
    ]
    states = filing.review_states(call)
    assert states["summary_text"] == "approved"  # an edit approves
    assert states["objections"] == "skipped" and states["budget"] == "pending"
    assert call.summary is not None and call.summary["summary_text"] == "客户让把方案发到邮箱。"
    # The rest of the summary is untouched.
    assert call.summary["objections"] == SUMMARY["objections"]


def test_edits_are_validated_as_the_field_they_replace(db_session: Session, world: World) -> None:
    s, rep = db_session, world.who(world.rep_a1)
    call = ended_call(s, world)
    with pytest.raises(InvalidInput, match="next_steps"):
        filing.review_field(s, call, rep, "next_steps", value=[{"who": "boss"}], edit=True)
    with pytest.raises(NotFound, match="fields"):
        filing.review_field(s, call, rep, "transcript", value=[], edit=True)
    with pytest.raises(InvalidInput):
        filing.review_field(s, call, rep, "budget")  # neither a value nor a state
    # A next step the rep adds by hand has no utterance behind it, and a date of its own.
    filing.review_field(
        s,
        call,
        rep,
        "next_steps",
        value=[{"who": "rep", "what": "寄样品", "due_date": "2026-12-20"}],
        edit=True,
    )
    assert call.summary is not None
    (step,) = call.summary["commitments"]
    assert step["what"] == "寄样品" and step["evidence"]["text"] == ""
    assert step["due_date"] == "2026-12-20"
    # Clearing the budget is an edit too.
    filing.review_field(s, call, rep, "budget", value=None, edit=True)
    assert filing.review_states(call)["budget"] == "approved"
    assert actions(s, call.id).count("call.summary_field_edited") == 1  # budget was None
    assert actions(s, call.id).count("call.summary_field_approved") == 1


def test_a_confirmed_call_cannot_be_reviewed_or_relinked(db_session: Session, world: World) -> None:
    s, rep = db_session, world.who(world.rep_a1)
    call = ended_call(s, world)
    repo.confirm_call(s, call, rep)
    with pytest.raises(Conflict):
        filing.review_field(s, call, rep, "budget", state="skipped")
    with pytest.raises(Conflict):
        filing.link_crm(s, call, rep, CrmIdentity(account_id="001A"))


def test_a_linked_identity_names_the_customer_and_is_offered_again(
    db_session: Session, world: World
) -> None:
    s, rep = db_session, world.who(world.rep_a1)
    call = ended_call(s, world)
    identity = CrmIdentity(
        account_id="0015g00000XyZab",
        account_name="宁波恒钧汽车零部件",
        opportunity_id="0065g00000AbCde",
        crm_user_id="0055g00000Rep01",
    )
    filing.link_crm(s, call, rep, identity)
    assert call.customer_name == "宁波恒钧汽车零部件"
    assert filing.identity_of(call) == identity
    assert actions(s, call.id) == ["call.crm_linked"]

    # Another rep of the org finds it by a part of the name, without the first rep's user id.
    (found,) = filing.search_accounts(s, world.org.id, "恒钧")
    assert found.opportunity_id == "0065g00000AbCde" and found.crm_user_id is None
    assert filing.search_accounts(s, world.org.id, "0015g00000xyzab")  # ids, any case
    assert filing.search_accounts(s, world.other_org.id, "恒钧") == []
    assert filing.search_accounts(s, world.org.id, "100%") == []  # LIKE characters are text

    # A later pick with only the contact adds it; the opportunity stays.
    later = ended_call(s, world)
    filing.link_crm(
        s, later, rep, CrmIdentity(account_id="0015g00000XyZab", contact_id="0035g00000Con01")
    )
    (found,) = filing.search_accounts(s, world.org.id, "恒钧")
    assert found.contact_id == "0035g00000Con01" and found.opportunity_id == "0065g00000AbCde"


def test_followups_are_listed_for_their_rep_by_due_date_and_ticked_once(
    db_session: Session, world: World
) -> None:
    s = db_session
    call = ended_call(s, world)
    call.customer_name = "恒钧"
    tasks = [
        FilingTask(id=f"{call.id}:a", subject="发方案", owner="rep", due_date=date(2026, 12, 9)),
        FilingTask(id=f"{call.id}:b", subject="约演示", owner="rep"),
        FilingTask(
            id=f"{call.id}:c", subject="回复报价", owner="customer", due_date=date(2026, 12, 5)
        ),
    ]
    assert len(filing.save_followups(s, call, tasks)) == 3
    assert filing.save_followups(s, call, tasks) == []  # once per call
    mine = world.who(world.rep_a1)
    listed = filing.list_followups(s, mine)
    assert [row.subject for row, _ in listed] == ["回复报价", "发方案", "约演示"]
    assert {name for _, name in listed} == {"恒钧"}
    assert filing.list_followups(s, world.who(world.rep_a2)) == []
    assert filing.get_followup(s, world.other_org.id, f"{call.id}:a") is None
    first = filing.get_followup(s, world.org.id, f"{call.id}:a")
    assert first is not None
    filing.set_followup_done(s, mine, first, True)
    filing.set_followup_done(s, mine, first, True)  # already done: no second record
    assert [row.subject for row, _ in filing.list_followups(s, mine, "done")] == ["发方案"]
    assert len(filing.list_followups(s, mine, "all")) == 3
    done = s.scalars(select(AuditRecord).where(AuditRecord.action == "followup.done")).all()
    assert len(done) == 1
