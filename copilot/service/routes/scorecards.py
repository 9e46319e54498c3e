"""Scorecards over HTTP: a call's card, the rep's dispute, the manager's decision, and the
org's checklist items for the side panel.

``GET /v1/calls/{id}/scorecard``, ``POST /v1/calls/{id}/scorecard/{item}/dispute`` with
``{"reason"}``, ``POST /v1/calls/{id}/scorecard/{item}/decide`` with ``{"accept",
"comment"?}``, ``GET /v1/scorecard/items``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from copilot.auth import Forbidden
from copilot.principal import Principal
from copilot.service.deps import Permit, StateDep, call_for
from copilot.service.routes.models import Body
from copilot.store import scorecards
from copilot.store.models import Org, ScorecardResult

router = APIRouter(tags=["scorecards"])

# When the side panel reminds the rep of unsaid must-say items, unless the org's policy
# names another time (``scorecard_remind_after_s``).
DEFAULT_REMIND_AFTER_S = 300


class Evidence(BaseModel):
    segment_id: str
    text: str


class Dispute(BaseModel):
    state: str  # none | open | accepted | rejected
    reason: str | None = None
    disputed_by: str | None = None
    disputed_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None


class CardItem(BaseModel):
    key: str
    label: str
    must_say: bool
    passed: bool
    evidence: Evidence | None
    dispute: Dispute


class Scorecard(BaseModel):
    call_id: str
    # False while the call is live or being analysed: it is scored when its summary is stored.
    scored: bool
    score: int | None
    passed: int
    total: int
    missed_must_say: list[str]
    items: list[CardItem]


class DisputeBody(Body):
    reason: str = Field(min_length=1, max_length=scorecards.MAX_REASON)


class DecideBody(Body):
    accept: bool
    comment: str = Field(default="", max_length=scorecards.MAX_REASON)


class ChecklistItem(BaseModel):
    key: str
    label: str
    must_say: bool
    position: int


class Checklist(BaseModel):
    items: list[ChecklistItem]
    remind_after_s: int


def card_item(row: ScorecardResult) -> CardItem:
    evidence = (
        Evidence(segment_id=row.evidence_segment_id, text=row.evidence_text or "")
        if row.evidence_segment_id
        else None
    )
    return CardItem(
        key=row.item_key,
        label=row.label,
        must_say=row.must_say,
        passed=row.passed,
        evidence=evidence,
        dispute=Dispute(
            state=row.dispute,
            reason=row.dispute_reason,
            disputed_by=row.disputed_by,
            disputed_at=row.disputed_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            comment=row.decision_comment,
        ),
    )


def _scorecard(card: scorecards.Card) -> Scorecard:
    return Scorecard(
        call_id=card.call.id,
        scored=bool(card.results),
        score=card.score,
        passed=card.passed,
        total=len(card.results),
        missed_must_say=card.missed_must_say,
        items=[card_item(row) for row in card.results],
    )


@router.get("/calls/{call_id}/scorecard")
def get_scorecard(
    call_id: str,
    principal: Annotated[Principal, Depends(Permit("scorecards.read"))],
    state: StateDep,
) -> Scorecard:
    with state.sessions() as session:
        call = call_for(session, principal, call_id, "scorecards.read")
        return _scorecard(scorecards.card(session, call))


@router.post("/calls/{call_id}/scorecard/{item_key}/dispute")
def dispute_item(
    call_id: str,
    item_key: str,
    body: DisputeBody,
    principal: Annotated[Principal, Depends(Permit("scorecards.dispute"))],
    state: StateDep,
) -> CardItem:
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "scorecards.dispute")
        return card_item(scorecards.dispute(session, call, principal, item_key, body.reason))


@router.post("/calls/{call_id}/scorecard/{item_key}/decide")
def decide_item(
    call_id: str,
    item_key: str,
    body: DecideBody,
    principal: Annotated[Principal, Depends(Permit("scorecards.decide"))],
    state: StateDep,
) -> CardItem:
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "scorecards.decide")
        if scorecards.result_for(session, call, item_key).disputed_by == principal.user_id:
            raise Forbidden("a dispute is decided by someone other than who raised it")
        row = scorecards.decide(
            session, call, principal, item_key, accept=body.accept, comment=body.comment
        )
        return card_item(row)


@router.get("/scorecard/items")
def checklist_items(
    principal: Annotated[Principal, Depends(Permit("scorecards.items"))],
    state: StateDep,
) -> Checklist:
    """The caller's org's checklist, for the side panel to tick during a call."""
    with state.sessions() as session:
        items = scorecards.org_items(session, principal.org_id)
        org = session.get(Org, principal.org_id)
        policy = org.policy if org is not None else {}
    remind = policy.get("scorecard_remind_after_s", DEFAULT_REMIND_AFTER_S)
    return Checklist(
        items=[
            ChecklistItem(key=i.key, label=i.label, must_say=i.must_say, position=i.position)
            for i in items
        ],
        remind_after_s=int(remind),
    )
