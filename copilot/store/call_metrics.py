"""A call's figures and tags, stored once when its summary is (docs/metrics.md).

:func:`record_call_metrics` is the one place they are computed: the store calls it wherever
a call's summary is written or changed (the call's end, the rep's summary edit, a field of
the review), when the call is linked to a CRM account, and when a rep reacts to one of its
suggestions after the call. The analytics pages only aggregate ``call_metrics`` and
``call_tags``. :func:`backfill` fills both for calls stored before, or computed under an
older :data:`~copilot.analytics.METRICS_VERSION`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone

from pydantic import ValidationError
from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from copilot.analytics import (
    METRICS_VERSION,
    Card,
    Reaction,
    call_depth,
    card_outcomes,
    conversation_stats,
    objections_answered,
)
from copilot.insights.models import Insights
from copilot.store.flags import STANDING
from copilot.store.models import (
    Call,
    CallEvent,
    CallMetrics,
    CallTag,
    Flag,
    SuggestionFeedback,
    User,
    utcnow,
)
from copilot.store.models import Segment as SegmentRow
from speech.types import Segment, Speaker

logger = logging.getLogger(__name__)

# Weeks run Monday to Sunday in China Standard Time, as the dashboard shows them
# (copilot.dashboard.present.DISPLAY_TZ; the store does not import the dashboard).
WEEK_TZ = timezone(timedelta(hours=8))
TAG_KINDS = ("objection", "vendor", "flag", "pain", "account")
_TAG_CHARS = 200
_SPEAKERS: dict[str, Speaker] = {"rep": "rep", "customer": "customer"}


def week_of(moment: datetime) -> date:
    """Monday of ``moment``'s week in Asia/Shanghai."""
    day = moment.astimezone(WEEK_TZ).date()
    return day - timedelta(days=day.weekday())


def record_call_metrics(session: Session, call: Call) -> CallMetrics | None:
    """Compute and upsert the call's metrics and replace its tags; None (nothing stored)
    for a call without a summary yet, or one whose transcript retention already purged
    (its figures from before the purge stay)."""
    if call.summary is None or call.purged_at is not None:
        return None
    segments = _segments(session, call.id)
    insights = _insights(call)
    outcomes = card_outcomes(_cards(session, call.id), _reactions(session, call.id))
    stats = conversation_stats(segments, call.duration_s)
    depth = call_depth(insights, segments)
    flags = list(session.scalars(select(Flag.category).where(Flag.call_id == call.id, STANDING)))
    values = dict(
        org_id=call.org_id,
        rep_id=call.rep_id,
        team_id=session.scalar(select(User.team_id).where(User.id == call.rep_id)),
        started_at=call.started_at,
        week=week_of(call.started_at),
        duration_s=stats.duration_s,
        rep_talk_s=stats.rep_talk_s,
        customer_talk_s=stats.customer_talk_s,
        talk_ratio=stats.talk_ratio,
        longest_monologue_s=stats.longest_monologue_s,
        rep_questions=stats.rep_questions,
        question_rate=stats.question_rate,
        interactivity=stats.interactivity,
        patience_s=stats.patience_s,
        depth_score=depth.score,
        depth=depth.as_dict(),
        objections=len(insights.objections),
        objections_answered=objections_answered(
            insights.objections, segments, outcomes.used_segments
        ),
        suggestions_shown=outcomes.shown,
        suggestions_used=outcomes.used,
        suggestions_dismissed=outcomes.dismissed,
        flags=len(flags),
        version=METRICS_VERSION,
        computed_at=utcnow(),
    )
    row = session.get(CallMetrics, call.id)
    if row is None:
        # Two writers racing to create the same row is not a case: a call's summary is
        # first stored once, by the worker that ended it.
        row = CallMetrics(call_id=call.id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    _replace_tags(session, call, insights, flags)
    session.flush()
    return row


def call_tags(call: Call, insights: Insights, flag_categories: list[str]) -> set[tuple[str, str]]:
    """The call's (kind, value) tags: objection types, vendors (competitors and named
    systems by their catalogue names), flag categories, pain categories, the account (the
    CRM account id it is linked to, else the customer's name)."""
    tags: set[tuple[str, str]] = {("objection", str(o.type)) for o in insights.objections}
    tags |= {("vendor", c.name) for c in insights.competitors}
    tags |= {("vendor", s.name) for s in insights.systems}
    tags |= {("flag", category) for category in flag_categories}
    tags |= {("pain", str(p.category)) for p in insights.pain_points}
    account = ((call.crm or {}).get("account_id") or call.customer_name or "").strip()
    if account:
        tags.add(("account", account))
    return {(kind, value.strip()[:_TAG_CHARS]) for kind, value in tags if value.strip()}


def backfill(session: Session, org_id: str | None = None, *, recompute: bool = False) -> int:
    """Record metrics for every call with a summary that has none, or has them from an
    older definition (``recompute``: every such call); purged calls are left as they are.
    Returns how many calls were recorded."""
    stale = or_(CallMetrics.call_id.is_(None), CallMetrics.version < METRICS_VERSION)
    query = (
        select(Call)
        .outerjoin(CallMetrics, CallMetrics.call_id == Call.id)
        .where(Call.summary.is_not(None), Call.purged_at.is_(None))
        .order_by(Call.started_at, Call.id)
    )
    if not recompute:
        query = query.where(stale)
    if org_id is not None:
        query = query.where(Call.org_id == org_id)
    done = 0
    for call in session.scalars(query).all():
        if record_call_metrics(session, call) is not None:
            done += 1
    return done


def _segments(session: Session, call_id: str) -> list[Segment]:
    rows = session.scalars(
        select(SegmentRow).where(SegmentRow.call_id == call_id).order_by(SegmentRow.start)
    )
    return [
        Segment(
            id=row.segment_id,
            start=row.start,
            end=row.end,
            speaker=_SPEAKERS.get(row.speaker, "unknown"),
            text=row.text,
        )
        for row in rows
    ]


def _insights(call: Call) -> Insights:
    """The summary as insights; one that no longer reads (hand-edited before validation
    existed, masked) counts as having found nothing rather than failing the write."""
    try:
        return Insights.model_validate(call.summary)
    except ValidationError:
        logger.warning("call %s: summary does not read as insights; metrics without it", call.id)
        return Insights()


def _cards(session: Session, call_id: str) -> list[Card]:
    rows = session.execute(
        select(CallEvent.payload, CallEvent.created_at).where(
            CallEvent.call_id == call_id, CallEvent.type == "suggestion"
        )
    )
    cards = []
    for payload, created_at in rows:
        if payload.get("provisional"):
            continue
        entries = (payload.get("result") or {}).get("suggestions") or []
        cards.append(
            Card(
                segment_id=str(payload.get("segment_id", "")),
                entry_ids=frozenset(str(e.get("id")) for e in entries if e.get("id")),
                shown_at=created_at,
            )
        )
    return cards


def _reactions(session: Session, call_id: str) -> list[Reaction]:
    rows = session.execute(
        select(
            SuggestionFeedback.entry_id, SuggestionFeedback.action, SuggestionFeedback.created_at
        ).where(SuggestionFeedback.call_id == call_id)
    )
    return [Reaction(entry_id=e, action=a, at=at) for e, a, at in rows]


def _replace_tags(session: Session, call: Call, insights: Insights, flags: list[str]) -> None:
    session.execute(delete(CallTag).where(CallTag.call_id == call.id))
    rows = [
        {"call_id": call.id, "org_id": call.org_id, "kind": kind, "value": value}
        for kind, value in sorted(call_tags(call, insights, flags))
    ]
    if rows:
        session.execute(insert(CallTag), rows)
