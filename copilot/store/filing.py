"""A call on its way to the CRM: its identity, the rep's review of the summary, follow-ups.

Every change a person makes here leaves exactly one audit record: linking a call to CRM
records, editing a summary field, approving or skipping one, ticking a follow-up done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.crm.filing import REVIEW_FIELDS, CrmIdentity, FilingTask, ReviewState
from copilot.insights.models import (
    Budget,
    Commitment,
    Competitor,
    DecisionMaker,
    Objection,
    PainPoint,
)
from copilot.principal import Principal
from copilot.store import audit
from copilot.store.call_metrics import record_call_metrics
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import Call, CrmAccount, FollowUp, User, utcnow

# Where each reviewed field lives in the stored CallSummary.
SUMMARY_KEY: dict[str, str] = {
    "summary_text": "summary_text",
    "next_steps": "commitments",
    "budget": "budget",
    "decision_chain": "decision_chain",
    "pain_points": "pain_points",
    "objections": "objections",
    "competitors": "competitors",
}
_VALUES: dict[str, TypeAdapter[Any]] = {
    "summary_text": TypeAdapter(str),
    "next_steps": TypeAdapter(list[Commitment]),
    "budget": TypeAdapter(Budget | None),
    "decision_chain": TypeAdapter(list[DecisionMaker]),
    "pain_points": TypeAdapter(list[PainPoint]),
    "objections": TypeAdapter(list[Objection]),
    "competitors": TypeAdapter(list[Competitor]),
}
MAX_SUMMARY_TEXT = 5000
MAX_ITEMS = 100


# -- the review ------------------------------------------------------------------------


def review_states(call: Call) -> dict[str, ReviewState]:
    """Each reviewed field's state; a field nobody touched is ``pending``."""
    stored = call.review or {}
    return {name: stored.get(name, {}).get("state", "pending") for name in REVIEW_FIELDS}


def edited_fields(call: Call) -> frozenset[str]:
    """The fields the rep changed (not just approved or skipped)."""
    return frozenset(name for name, entry in (call.review or {}).items() if entry.get("edited"))


def field_value(call: Call, name: str) -> Any:
    assert call.summary is not None
    return call.summary.get(SUMMARY_KEY[name])


def _with_evidence(value: Any) -> Any:
    """Items the rep added by hand have no utterance behind them: say so, not fail."""
    if isinstance(value, list):
        return [
            {**item, "evidence": item.get("evidence") or {"text": ""}}
            if isinstance(item, dict)
            else item
            for item in value
        ]
    if isinstance(value, dict):
        return {**value, "evidence": value.get("evidence") or {"text": ""}}
    return value


def _validated(name: str, value: Any) -> Any:
    try:
        parsed = _VALUES[name].validate_python(_with_evidence(value))
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or name
        raise InvalidInput(f"{name}: {where}: {problem['msg']}") from exc
    if name == "summary_text" and len(parsed) > MAX_SUMMARY_TEXT:
        raise InvalidInput(f"summary_text: at most {MAX_SUMMARY_TEXT} characters")
    if isinstance(parsed, list) and len(parsed) > MAX_ITEMS:
        raise InvalidInput(f"{name}: at most {MAX_ITEMS} items")
    return _VALUES[name].dump_python(parsed, mode="json")


def _check_reviewable(call: Call) -> None:
    if call.summary is None or call.status in ("live", "analysing"):
        raise Conflict(f"call {call.id} is {call.status}: its summary is not ready")
    if call.status == "confirmed":
        raise Conflict(f"call {call.id} is already confirmed")


def review_field(
    session: Session,
    call: Call,
    actor: Principal,
    name: str,
    *,
    value: Any = None,
    edit: bool = False,
    state: ReviewState | None = None,
    now: datetime | None = None,
) -> Call:
    """Edit a field (``edit``: its new ``value``; it becomes approved unless ``state`` says
    otherwise) or set its state. One audit record either way."""
    if name not in SUMMARY_KEY:
        raise NotFound(f"no summary field {name!r}; fields: {', '.join(REVIEW_FIELDS)}")
    if not edit and state is None:
        raise InvalidInput("send a value, a state, or both")
    _check_reviewable(call)
    assert call.summary is not None
    detail: dict[str, Any] = {"field": name}
    if edit:
        cleaned = _validated(name, value)
        if cleaned != call.summary.get(SUMMARY_KEY[name]):
            call.summary = {**call.summary, SUMMARY_KEY[name]: cleaned}
            detail["edited"] = True
        state = state or "approved"
    assert state is not None
    moment = now or utcnow()
    before = (call.review or {}).get(name, {})
    call.review = {
        **(call.review or {}),
        name: {
            "state": state,
            "by": actor.user_id,
            "at": moment.isoformat(),
            "edited": bool(before.get("edited") or detail.get("edited")),
        },
    }
    session.flush()
    if detail.get("edited"):
        record_call_metrics(session, call)
    action = "call.summary_field_edited" if detail.get("edited") else f"call.summary_field_{state}"
    audit.append(session, call.org_id, actor, action, "call", call.id, {**detail, "state": state})
    return call


def approve_pending(call: Call, actor: Principal, now: datetime) -> dict[str, ReviewState]:
    """At confirmation the fields nobody reviewed are approved by the click itself (the
    confirm's own audit record lists every state)."""
    states = review_states(call)
    stored = dict(call.review or {})
    for name, state in states.items():
        if state == "pending":
            stored[name] = {
                "state": "approved",
                "by": actor.user_id,
                "at": now.isoformat(),
                "edited": False,
            }
            states[name] = "approved"
    call.review = stored
    return states


# -- the call's CRM identity -----------------------------------------------------------


def identity_of(call: Call) -> CrmIdentity:
    return CrmIdentity.model_validate(call.crm or {})


def link_crm(
    session: Session,
    call: Call,
    actor: Principal,
    identity: CrmIdentity,
    *,
    customer_name: str | None = None,
) -> Call:
    """Attach the call to CRM records (replacing what it had), name its customer after the
    account when it had no name, and remember the pick for the org's next calls."""
    if call.status == "confirmed":
        raise Conflict(f"call {call.id} is already confirmed; its CRM records are fixed")
    call.crm = identity.model_dump(exclude_none=True)
    if customer_name is not None:
        call.customer_name = customer_name[:200]
    elif identity.account_name and not call.customer_name:
        call.customer_name = identity.account_name
    session.flush()
    record_call_metrics(session, call)  # its account tag
    audit.append(
        session,
        call.org_id,
        actor,
        "call.crm_linked",
        "call",
        call.id,
        identity.model_dump(exclude_none=True),
    )
    remember_account(session, call.org_id, identity, actor.user_id)
    return call


def _account_key(identity: CrmIdentity) -> str | None:
    if identity.account_id:
        return identity.account_id
    if identity.account_name:
        return f"name:{identity.account_name}"
    return None


def remember_account(
    session: Session, org_id: str, identity: CrmIdentity, user_id: str | None
) -> None:
    """Keep the identity for this customer: the latest pick wins, an id typed once stays."""
    key = _account_key(identity)
    if key is None:
        return
    # The CRM user id is the rep's, not the customer's: never offered to another rep.
    remembered = identity.model_copy(update={"crm_user_id": None})
    row = session.scalars(
        select(CrmAccount).where(CrmAccount.org_id == org_id, CrmAccount.key == key)
    ).first()
    if row is not None:
        remembered = remembered.filled_from(CrmIdentity.model_validate(row.identity))
    text = " ".join(v for v in remembered.model_dump().values() if v).lower()
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    CrmAccount(
                        org_id=org_id,
                        key=key,
                        identity=remembered.model_dump(exclude_none=True),
                        search_text=text[:1000],
                        updated_by=user_id,
                    )
                )
            return
        except IntegrityError:  # another rep remembered it a moment ago: update theirs
            row = session.scalars(
                select(CrmAccount).where(CrmAccount.org_id == org_id, CrmAccount.key == key)
            ).one()
    row.identity = remembered.model_dump(exclude_none=True)
    row.search_text = text[:1000]
    row.updated_by = user_id
    row.updated_at = utcnow()
    session.flush()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_accounts(
    session: Session, org_id: str, query: str, limit: int = 10
) -> list[CrmIdentity]:
    """The org's remembered identities whose names or ids contain ``query``, latest first."""
    words = query.lower().split()
    statement = select(CrmAccount).where(CrmAccount.org_id == org_id)
    for word in words[:5]:
        statement = statement.where(CrmAccount.search_text.like(_like(word), escape="\\"))
    rows = session.scalars(statement.order_by(CrmAccount.updated_at.desc()).limit(limit))
    return [CrmIdentity.model_validate(row.identity) for row in rows]


def rep_of(session: Session, call: Call) -> User:
    rep = session.get(User, call.rep_id)
    if rep is None:  # a foreign key guarantees it; say so if the data is damaged
        raise NotFound(f"the rep of call {call.id} is missing")
    return rep


# -- follow-ups ------------------------------------------------------------------------


def save_followups(session: Session, call: Call, tasks: Sequence[FilingTask]) -> list[FollowUp]:
    """Put a confirmed call's tasks on its rep's list (once: a task id is kept per call)."""
    existing = set(session.scalars(select(FollowUp.id).where(FollowUp.call_id == call.id)))
    rows = []
    for task in tasks:
        if task.id in existing:
            continue
        row = FollowUp(
            id=task.id,
            org_id=call.org_id,
            call_id=call.id,
            rep_id=call.rep_id,
            subject=task.subject[:200],
            owner=task.owner,
            due_date=task.due_date,
            due_text=task.due_text[:100] if task.due_text else None,
            evidence=task.evidence,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def list_followups(
    session: Session, principal: Principal, state: str = "open", limit: int = 200
) -> list[tuple[FollowUp, str]]:
    """The caller's own follow-ups with their calls' customer names; open ones by due date
    (undated last)."""
    statement = (
        select(FollowUp, Call.customer_name)
        .join(Call, Call.id == FollowUp.call_id)
        .where(FollowUp.org_id == principal.org_id, FollowUp.rep_id == principal.user_id)
    )
    if state == "open":
        statement = statement.where(FollowUp.done_at.is_(None))
    elif state == "done":
        statement = statement.where(FollowUp.done_at.is_not(None))
    statement = statement.order_by(
        FollowUp.due_date.is_(None), FollowUp.due_date, FollowUp.created_at
    ).limit(limit)
    return [(row, name) for row, name in session.execute(statement).all()]


def get_followup(session: Session, org_id: str, followup_id: str) -> FollowUp | None:
    """A follow-up of the org; whose it is the caller checks (its call's visibility)."""
    return session.scalars(
        select(FollowUp).where(FollowUp.id == followup_id, FollowUp.org_id == org_id)
    ).first()


def set_followup_done(session: Session, actor: Principal, row: FollowUp, done: bool) -> FollowUp:
    """Tick a follow-up done (or open again); one audit record when it changes."""
    if (row.done_at is not None) != done:
        row.done_at = utcnow() if done else None
        session.flush()
        audit.append(
            session,
            row.org_id,
            actor,
            "followup.done" if done else "followup.reopened",
            "followup",
            row.id,
            {"call_id": row.call_id},
        )
    return row
