"""Confirming a call: the review closes, the CRM entry is queued, the follow-ups are listed.

One transaction: the confirmation, its audit record, the outbox row shaped for the org's
CRM and the rep's follow-ups commit together or not at all. A second confirm changes
nothing and answers with the row the first one queued, so a double click files once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from copilot.crm import outbox
from copilot.crm.mapping import MappingError
from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.crm.records import approved_summary, call_tasks, filing_record, outbox_entry
from copilot.crm.targets import org_crm
from copilot.principal import Principal
from copilot.store import filing, repo
from copilot.store.errors import InvalidInput
from copilot.store.models import Call, CrmOutbox, Org, utcnow


def confirm_and_queue(session: Session, call: Call, actor: Principal) -> CrmOutbox:
    first = call.status != "confirmed"
    if first:
        now = utcnow()
        closing = {
            name: "approved" if state == "pending" else state
            for name, state in filing.review_states(call).items()
        }
        repo.confirm_call(session, call, actor, now=now, detail={"review": closing})
        filing.approve_pending(call, actor, now)
    assert call.summary is not None
    states = filing.review_states(call)
    message_id = outbox.new_message_id()
    summary = approved_summary(call.summary, states, filing.edited_fields(call))
    tasks = call_tasks(call, summary)
    rep = filing.rep_of(session, call)
    record = filing_record(
        call, rep, event_id=message_id, states=states, summary=summary, tasks=tasks
    )
    org = session.get(Org, call.org_id)
    try:
        target, payload = outbox_entry(call, record, summary, org_crm(org.crm if org else None))
    except MappingError as exc:  # the org's mapping cannot shape this call
        raise InvalidInput(f"the organisation's CRM mapping failed: {exc}") from exc
    row = outbox.enqueue(
        session,
        call.org_id,
        call.id,
        SUMMARY_CONFIRMED,
        payload,
        target=target,
        message_id=message_id,
    )
    if first:
        filing.save_followups(session, call, tasks)
    return row
