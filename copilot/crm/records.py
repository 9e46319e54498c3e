"""From a confirmed call to what its org's CRM receives.

:func:`filing_record` gathers the call, its identity, the rep and the approved fields;
:func:`outbox_entry` shapes it for the org's target: the generic Standard-Webhooks ``data``
(CONTRACT's CallSummary and the fields it always carried, plus the CRM identity, the rep,
the review and the tasks) or a CRM mapping's requests.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from copilot.analysis import CallSummary, summary_text
from copilot.crm.filing import (
    CrmIdentity,
    FilingRecord,
    FilingRep,
    FilingTask,
    ReviewState,
)
from copilot.crm.mapping import builtin, load_mapping, render
from copilot.crm.targets import OrgCrm
from copilot.followups import tasks_from_commitments
from copilot.insights.models import Commitment
from copilot.store.models import Call, User

# Relative dates (明天, 下周三) are read on the calendar the rep and customer live on.
CALL_ZONE = ZoneInfo("Asia/Shanghai")

# Emptied when the rep skips them: what a skipped field sends.
_EMPTY: dict[str, Any] = {
    "summary_text": "",
    "commitments": [],
    "budget": None,
    "decision_chain": [],
    "pain_points": [],
    "objections": [],
    "competitors": [],
}
_KEYS = {
    "summary_text": "summary_text",
    "next_steps": "commitments",
    "budget": "budget",
    "decision_chain": "decision_chain",
    "pain_points": "pain_points",
    "objections": "objections",
    "competitors": "competitors",
}


def said_on(call: Call) -> date:
    return call.started_at.astimezone(CALL_ZONE).date()


def approved_summary(
    summary: dict[str, Any],
    states: dict[str, ReviewState],
    edited: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The summary with every skipped field emptied. The readable text was written from the
    fields as found: when the rep skipped or corrected one and left the text alone, it is
    written again from what they approved, so a skipped objection does not reach the CRM
    through the text."""
    kept = dict(summary)
    skipped = {name for name, state in states.items() if state == "skipped"}
    for name in skipped:
        key = _KEYS[name]
        kept[key] = _EMPTY[key]
    stale = bool(skipped | (edited - {"summary_text"}))
    if stale and "summary_text" not in edited and "summary_text" not in skipped:
        kept["summary_text"] = summary_text(CallSummary.model_validate(kept))
    return kept


def call_tasks(call: Call, summary: dict[str, Any]) -> list[FilingTask]:
    commitments = [Commitment.model_validate(c) for c in summary.get("commitments") or []]
    tasks = tasks_from_commitments(commitments, said_on(call))
    # A task id is unique per call, not across calls.
    return [task.model_copy(update={"id": f"{call.id}:{task.id}"}) for task in tasks]


def filing_record(
    call: Call,
    rep: User,
    *,
    event_id: str,
    states: dict[str, ReviewState],
    summary: dict[str, Any],
    tasks: list[FilingTask],
) -> FilingRecord:
    """``summary``: the approved one (:func:`approved_summary`)."""
    assert call.confirmed_at is not None
    identity = CrmIdentity.model_validate(call.crm or {})
    if identity.crm_user_id is None and rep.crm_user_id:
        identity = identity.model_copy(update={"crm_user_id": rep.crm_user_id})
    return FilingRecord(
        event_id=event_id,
        org_id=call.org_id,
        call_id=call.id,
        source=call.source,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_s=float(summary.get("duration_s") or call.duration_s),
        confirmed_at=call.confirmed_at,
        confirmed_by=call.confirmed_by or rep.id,
        rep=FilingRep(id=rep.id, name=rep.name, email=rep.email, crm_user_id=rep.crm_user_id),
        identity=identity,
        review=states,
        summary_text=summary.get("summary_text") or "",
        budget=summary.get("budget"),
        decision_chain=summary.get("decision_chain") or [],
        pain_points=summary.get("pain_points") or [],
        objections=summary.get("objections") or [],
        competitors=summary.get("competitors") or [],
        systems=summary.get("systems") or [],
        commitments=summary.get("commitments") or [],
        tasks=tasks,
    )


def webhook_data(call: Call, record: FilingRecord, summary: dict[str, Any]) -> dict[str, Any]:
    """The generic webhook's ``data``: what it always carried (CONTRACT's CallSummary, the
    approved one, with org_id, rep_id, confirmed_by, confirmed_at), plus what the generic
    mapping adds for a CRM to attach it (identity, rep, review, tasks: mappings/generic.yaml)."""
    (request,) = render(builtin("generic"), record)
    return {
        **summary,
        "org_id": call.org_id,
        "rep_id": call.rep_id,
        "confirmed_by": record.confirmed_by,
        "confirmed_at": record.confirmed_at.isoformat(),
        "customer_name": call.customer_name,
        **request.body,
    }


def outbox_entry(
    call: Call, record: FilingRecord, summary: dict[str, Any], target: OrgCrm
) -> tuple[str, dict[str, Any]]:
    """(target, payload) for the outbox row of this confirmation."""
    if target.is_generic:
        return "webhook", webhook_data(call, record, summary)
    mapping = load_mapping(target.custom) if target.custom is not None else builtin(target.mapping)
    if target.constants or target.lookups:  # the org's own values (a tenant's record type…)
        mapping = mapping.with_overrides(constants=target.constants, lookups=target.lookups)
    requests = [request.model_dump(mode="json") for request in render(mapping, record)]
    return mapping.name, {"requests": requests, "base_url": target.base_url}
