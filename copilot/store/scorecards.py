"""Scorecards in the store: an org's checklist items, each call's results, disputes.

A call is scored once its summary is stored (:func:`score_call`, called by
``calls.update_call``): every item of the org's checklist, passed or not, with the first rep
segment that said it. Scoring again (a call closed twice, ``copilot scorecard backfill``)
updates results nobody disputed and leaves disputed ones as the rep and manager left them.

The rep of the call disputes an item (``scorecard.disputed``); their manager or an admin
decides (``scorecard.decided``); an accepted dispute flips ``passed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from copilot.principal import Principal
from copilot.scorecards.items import ScorecardItem, default_items
from copilot.scorecards.matching import Checklist, Line, LiveChecklist
from copilot.store import audit
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import (
    Call,
    ScorecardItemRow,
    ScorecardResult,
    Segment,
    utcnow,
)
from copilot.store.visibility import visible_calls_query

DISPUTE_STATES = ("none", "open", "accepted", "rejected")
MAX_REASON = 1000


# --- the org's items ------------------------------------------------------------------


def org_items(session: Session, org_id: str) -> list[ScorecardItem]:
    """The org's active items in order; the default template when it never set any."""
    rows = list(
        session.scalars(
            select(ScorecardItemRow)
            .where(ScorecardItemRow.org_id == org_id)
            .order_by(ScorecardItemRow.position, ScorecardItemRow.key)
        )
    )
    if not rows:
        return list(default_items())
    return [
        ScorecardItem(
            key=row.key,
            label=row.label,
            cues=tuple(row.cues),
            must_say=row.must_say,
            position=row.position,
        )
        for row in rows
        if row.active
    ]


def _own_rows(session: Session, org_id: str) -> dict[str, ScorecardItemRow]:
    """The org's rows, created from the template the first time the org changes anything."""
    rows = {
        row.key: row
        for row in session.scalars(
            select(ScorecardItemRow).where(ScorecardItemRow.org_id == org_id)
        )
    }
    if rows:
        return rows
    for item in default_items():
        row = ScorecardItemRow(
            org_id=org_id,
            key=item.key,
            label=item.label,
            cues=list(item.cues),
            must_say=item.must_say,
            position=item.position,
            active=True,
        )
        session.add(row)
        rows[item.key] = row
    session.flush()
    return rows


def put_item(session: Session, org_id: str, item: ScorecardItem) -> ScorecardItem:
    """Add the item, or replace the one with its key (active again); a new one goes last."""
    rows = _own_rows(session, org_id)
    row = rows.get(item.key)
    if row is None:
        position = max((r.position for r in rows.values()), default=-1) + 1
        row = ScorecardItemRow(org_id=org_id, key=item.key, position=position)
        session.add(row)
    row.label = item.label
    row.cues = list(item.cues)
    row.must_say = item.must_say
    row.active = True
    session.flush()
    return item.model_copy(update={"position": row.position})


def remove_item(session: Session, org_id: str, key: str) -> None:
    """Stop checking ``key`` on the org's new calls (past results stay)."""
    row = _own_rows(session, org_id).get(key)
    if row is None or not row.active:
        raise NotFound(f"the org has no active scorecard item {key!r}")
    row.active = False
    session.flush()


def reset_items(session: Session, org_id: str) -> int:
    """Back to the default template; the number of the org's own rows removed."""
    result = session.execute(delete(ScorecardItemRow).where(ScorecardItemRow.org_id == org_id))
    return int(getattr(result, "rowcount", 0) or 0)


def checklist_for(session: Session, org_id: str) -> Checklist:
    return Checklist(org_items(session, org_id))


def live_checklist(sessions: sessionmaker[Session], org_id: str) -> LiveChecklist:
    """A fresh checklist for one of the org's calls (blocking: call from a worker thread)."""
    with sessions() as session:
        return LiveChecklist(checklist_for(session, org_id))


# --- scoring --------------------------------------------------------------------------


def call_lines(session: Session, call_id: str) -> list[Line]:
    rows = session.execute(
        select(Segment.segment_id, Segment.speaker, Segment.text)
        .where(Segment.call_id == call_id)
        .order_by(Segment.start, Segment.id)
    )
    return [Line(segment_id, speaker, text) for segment_id, speaker, text in rows]


def score_call(
    session: Session, call: Call, *, now: datetime | None = None
) -> list[ScorecardResult]:
    """Score ``call`` against its org's items from its stored transcript."""
    items = org_items(session, call.org_id)
    scored = Checklist(items).score(call_lines(session, call.id))
    existing = {row.item_key: row for row in results_of(session, call.id)}
    now = now or utcnow()
    for item in items:
        row = existing.pop(item.key, None)
        if row is None:
            row = ScorecardResult(call_id=call.id, org_id=call.org_id, item_key=item.key)
            session.add(row)
        elif row.dispute != "none":
            continue  # the rep and their manager settled (or are settling) this one
        match = scored[item.key]
        row.rep_id = call.rep_id
        row.label = item.label
        row.must_say = item.must_say
        row.position = item.position
        row.passed = match is not None
        row.evidence_segment_id = match.segment_id if match else None
        row.evidence_text = match.text if match else None
        row.dispute = "none"
        row.computed_at = now
    for row in existing.values():  # items the org no longer checks
        if row.dispute == "none":
            session.delete(row)
    session.flush()
    return results_of(session, call.id)


def score_call_on_summary(session: Session, call: Call) -> None:
    """The hook ``update_call`` runs when a call's summary is stored."""
    score_call(session, call)


def backfill(session: Session, org_id: str | None = None, *, rescore: bool = False) -> int:
    """Score ended calls that have a summary but no results (all of them with ``rescore``)."""
    query = select(Call).where(Call.summary.is_not(None))
    if org_id is not None:
        query = query.where(Call.org_id == org_id)
    if not rescore:
        scored = select(ScorecardResult.call_id).distinct()
        query = query.where(Call.id.not_in(scored))
    count = 0
    for call in session.scalars(query.order_by(Call.started_at)):
        score_call(session, call)
        count += 1
    return count


def results_of(session: Session, call_id: str) -> list[ScorecardResult]:
    return list(
        session.scalars(
            select(ScorecardResult)
            .where(ScorecardResult.call_id == call_id)
            .order_by(ScorecardResult.position, ScorecardResult.item_key)
        )
    )


@dataclass(frozen=True)
class Card:
    """A call's scorecard: its results and the score."""

    call: Call
    results: list[ScorecardResult]

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def score(self) -> int | None:
        """Percent of items passed (None: the call has not been scored)."""
        return round(100 * self.passed / len(self.results)) if self.results else None

    @property
    def missed_must_say(self) -> list[str]:
        return [r.label for r in self.results if r.must_say and not r.passed]


def card(session: Session, call: Call) -> Card:
    return Card(call, results_of(session, call.id))


def result_for(session: Session, call: Call, item_key: str) -> ScorecardResult:
    row = session.scalar(
        select(ScorecardResult).where(
            ScorecardResult.call_id == call.id, ScorecardResult.item_key == item_key
        )
    )
    if row is None:
        raise NotFound(f"call {call.id} has no scorecard item {item_key!r}")
    return row


# --- disputes -------------------------------------------------------------------------


def dispute(
    session: Session, call: Call, actor: Principal, item_key: str, reason: str
) -> ScorecardResult:
    """The call's rep disputes an item ("I did say it", "it does not apply")."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"a dispute needs a reason of 1 to {MAX_REASON} characters")
    row = result_for(session, call, item_key)
    if row.dispute != "none":
        raise Conflict(f"item {item_key!r} of call {call.id} is already disputed ({row.dispute})")
    row.dispute = "open"
    row.dispute_reason = reason
    row.disputed_by = actor.user_id
    row.disputed_at = utcnow()
    session.flush()
    audit.append(
        session,
        call.org_id,
        actor,
        "scorecard.disputed",
        "call",
        call.id,
        {"item": item_key, "passed": row.passed, "reason": reason},
    )
    return row


def decide(
    session: Session,
    call: Call,
    actor: Principal,
    item_key: str,
    *,
    accept: bool,
    comment: str = "",
) -> ScorecardResult:
    """The manager's (or an admin's) decision on an open dispute; accepting flips ``passed``."""
    if len(comment) > MAX_REASON:
        raise InvalidInput(f"a comment has at most {MAX_REASON} characters")
    row = result_for(session, call, item_key)
    if row.dispute != "open":
        raise Conflict(f"item {item_key!r} of call {call.id} has no open dispute")
    row.dispute = "accepted" if accept else "rejected"
    if accept:
        row.passed = not row.passed
    row.decided_by = actor.user_id
    row.decided_at = utcnow()
    row.decision_comment = comment.strip() or None
    session.flush()
    audit.append(
        session,
        call.org_id,
        actor,
        "scorecard.decided",
        "call",
        call.id,
        {"item": item_key, "accepted": accept, "passed": row.passed, "comment": comment.strip()},
    )
    return row


def open_disputes(
    session: Session, principal: Principal, *, limit: int = 200
) -> Sequence[tuple[ScorecardResult, Call]]:
    """Open disputes on calls the principal may see, oldest first (the review queue)."""
    visible = visible_calls_query(principal).with_only_columns(Call.id)
    query = (
        select(ScorecardResult, Call)
        .join(Call, Call.id == ScorecardResult.call_id)
        .where(
            ScorecardResult.org_id == principal.org_id,
            ScorecardResult.dispute == "open",
            ScorecardResult.call_id.in_(visible),
        )
        .order_by(ScorecardResult.disputed_at, ScorecardResult.id)
        .limit(limit)
    )
    return [(row, call) for row, call in session.execute(query)]


def count_open_disputes(session: Session, principal: Principal) -> int:
    visible = visible_calls_query(principal).with_only_columns(Call.id)
    query = select(func.count()).where(
        ScorecardResult.org_id == principal.org_id,
        ScorecardResult.dispute == "open",
        ScorecardResult.call_id.in_(visible),
    )
    return int(session.scalar(query) or 0)
