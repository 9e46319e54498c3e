"""The manager's scorecard disputes queue, and the scorecard card of a call's detail page.

``GET /dashboard/scorecards``: the open disputes of the calls the viewer may see (a
manager's team, an admin's org), oldest first, each with the evidence and the rep's reason;
``POST /dashboard/scorecards/{call_id}/{item}/decide`` (CSRF-protected form, like the flag
review) accepts or rejects one. :func:`scorecard_card` is the data ``_scorecard.html`` shows
on a call's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from hashlib import sha256

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from copilot.auth import Forbidden
from copilot.dashboard.deps import (
    BackendDep,
    FormDep,
    ViewerDep,
    require_csrf,
    require_permission,
    safe_next,
)
from copilot.dashboard.errors import DashboardRoute, bad_request, forbidden, not_found
from copilot.dashboard.render import STATIC_DIR, page
from copilot.permissions import Owner, authorize
from copilot.principal import Principal
from copilot.store import repo, scorecards
from copilot.store.models import Call, ScorecardResult, User

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=DashboardRoute
)
QUEUE = "/dashboard/scorecards"
DISPUTE_LABELS = {"none": "", "open": "申诉中", "accepted": "申诉已采纳", "rejected": "申诉已驳回"}


@cache
def css_url() -> str:
    digest = sha256((STATIC_DIR / "scorecards.css").read_bytes()).hexdigest()[:12]
    return f"/dashboard/static/scorecards.css?v={digest}"


@dataclass(frozen=True)
class CardRow:
    key: str
    label: str
    must_say: bool
    passed: bool
    evidence_segment_id: str | None
    evidence_text: str | None
    dispute: str
    dispute_label: str
    dispute_reason: str | None
    decision_comment: str | None
    # The viewer may decide this item's open dispute here.
    decidable: bool


@dataclass(frozen=True)
class CardData:
    """What ``templates/_scorecard.html`` shows for one call (``scorecard`` in its context)."""

    call_id: str
    scored: bool
    score: int | None
    passed: int
    total: int
    missed_must_say: list[str]
    items: list[CardRow]


def _may_decide(principal: Principal, call: Call, rep: User | None, row: ScorecardResult) -> bool:
    if row.dispute != "open" or row.disputed_by == principal.user_id:
        return False
    try:
        authorize(
            principal,
            "scorecards.decide",
            Owner(call.org_id, call.rep_id, rep.team_id if rep else None),
        )
    except Forbidden:
        return False
    return True


def scorecard_card(session: Session, principal: Principal, call: Call) -> CardData:
    """The card of a call the caller already may see (the call detail page loaded it through
    the visibility rules); ``items`` in the org's order, each with its evidence segment id for
    the transcript to jump to."""
    card = scorecards.card(session, call)
    rep = session.get(User, call.rep_id)
    return CardData(
        call_id=call.id,
        scored=bool(card.results),
        score=card.score,
        passed=card.passed,
        total=len(card.results),
        missed_must_say=card.missed_must_say,
        items=[
            CardRow(
                key=row.item_key,
                label=row.label,
                must_say=row.must_say,
                passed=row.passed,
                evidence_segment_id=row.evidence_segment_id,
                evidence_text=row.evidence_text,
                dispute=row.dispute,
                dispute_label=DISPUTE_LABELS.get(row.dispute, row.dispute),
                dispute_reason=row.dispute_reason,
                decision_comment=row.decision_comment,
                decidable=_may_decide(principal, call, rep, row),
            )
            for row in card.results
        ],
    )


@dataclass(frozen=True)
class QueueRow:
    call_id: str
    customer_name: str
    started_at: datetime
    rep_name: str
    item_key: str
    label: str
    must_say: bool
    passed: bool
    evidence_text: str | None
    reason: str
    disputed_at: datetime | None
    decidable: bool


def dispute_queue(session: Session, principal: Principal) -> list[QueueRow]:
    pairs = scorecards.open_disputes(session, principal)
    rep_ids = {call.rep_id for _, call in pairs}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(rep_ids)))}
    return [
        QueueRow(
            call_id=call.id,
            customer_name=call.customer_name,
            started_at=call.started_at,
            rep_name=users[call.rep_id].name if call.rep_id in users else call.rep_id,
            item_key=row.item_key,
            label=row.label,
            must_say=row.must_say,
            passed=row.passed,
            evidence_text=row.evidence_text,
            reason=row.dispute_reason or "",
            disputed_at=row.disputed_at,
            decidable=_may_decide(principal, call, users.get(call.rep_id), row),
        )
        for row, call in pairs
    ]


@router.get("/scorecards")
def disputes(viewer: ViewerDep, backend: BackendDep) -> Response:
    with backend.sessions() as db:
        rows = dispute_queue(db, viewer.principal)
    return page(
        "scorecards.html",
        viewer=viewer,
        nav="scorecards",
        rows=rows,
        back=QUEUE,
        scorecards_css=css_url(),
    )


@router.post("/scorecards/{call_id}/{item_key}/decide")
def decide(
    call_id: str, item_key: str, viewer: ViewerDep, backend: BackendDep, form: FormDep
) -> Response:
    require_csrf(viewer, form, backend)
    require_permission(viewer.principal, "scorecards.decide")
    verdict = form.get("verdict")
    if verdict not in ("accept", "reject"):
        raise bad_request("请选择采纳或驳回。")
    comment = form.get("comment", "").strip()
    if len(comment) > scorecards.MAX_REASON:
        raise bad_request(f"备注最多 {scorecards.MAX_REASON} 字。")
    principal = viewer.principal
    with backend.sessions.begin() as db:
        call = repo.get_visible_call(db, principal, call_id)
        if call is None:
            raise not_found("通话")
        rep = db.get(User, call.rep_id)
        row = scorecards.result_for(db, call, item_key)
        if not _may_decide(principal, call, rep, row) and row.dispute == "open":
            raise forbidden("只能裁定本团队他人提出的申诉。")
        # NotFound and Conflict (decided meanwhile) become the 404 / 409 pages.
        scorecards.decide(
            db, call, principal, item_key, accept=verdict == "accept", comment=comment
        )
    return RedirectResponse(safe_next(form.get("back"), default=QUEUE), status_code=303)
