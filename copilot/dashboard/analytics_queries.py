"""Team analytics: aggregates of the per-call figures, grouped in SQL.

Everything here reads ``call_metrics`` and ``call_tags`` (computed once per call when its
summary is stored, see docs/metrics.md), the flags, their audit records and the suggestion
feedback — never a transcript. :func:`team_analytics` is the page's data in one call;
``analytics_pages.analytics_page_data`` adds the viewer's scope (what a bench can time
without HTTP).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from copilot.dashboard.analytics_filters import Scope
from copilot.dashboard.analytics_totals import DEPTH_KEYS, FlagCategory, TagCount, Totals
from copilot.dashboard.present import DISPLAY_TZ
from copilot.dashboard.shown_suggestions import NO_OBJECTION, shown_objections
from copilot.store.flags import STANDING
from copilot.store.models import (
    AuditRecord,
    CallMetrics,
    CallTag,
    Flag,
    SuggestionFeedback,
)

TOP_VENDORS = 10
# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500


@dataclass
class Heat:
    """Used and dismissed counts of KB entries against objection types and against reps."""

    by_objection: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    by_rep: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def count(self, entry: str, objection: str, rep_id: str, used: int, dismissed: int) -> None:
        for cells, key in ((self.by_objection, objection), (self.by_rep, rep_id)):
            cell = cells.setdefault((entry, key), [0, 0])
            cell[0] += used
            cell[1] += dismissed

    @property
    def entries(self) -> list[str]:
        """Entries by how often reps reacted to them, most first."""
        counts: dict[str, int] = defaultdict(int)
        for (entry, _), (used, dismissed) in self.by_rep.items():
            counts[entry] += used + dismissed
        return sorted(counts, key=lambda entry: (-counts[entry], entry))


@dataclass
class Analytics:
    weeks: list[date]
    by_rep: dict[str, Totals]
    by_rep_week: dict[tuple[str, date], Totals]
    by_team_week: dict[tuple[str | None, date], Totals]
    by_week: dict[date, Totals]
    total: Totals
    objections: list[TagCount]
    vendors: list[TagCount]
    flags: list[FlagCategory]
    heat: Heat


def _metrics_scope(scope: Scope, weeks: Sequence[date]) -> list[ColumnElement[bool]]:
    conditions = [
        CallMetrics.org_id == scope.org_id,
        CallMetrics.week >= weeks[0],
        CallMetrics.week <= weeks[-1],
    ]
    if scope.rep_ids is not None:
        conditions.append(CallMetrics.rep_id.in_(sorted(scope.rep_ids)))
    return conditions


def _count_true(column: Any) -> Any:
    return func.sum(case((column, 1), else_=0))


def rep_week_totals(
    session: Session, scope: Scope, weeks: Sequence[date]
) -> dict[tuple[str, str | None, date], Totals]:
    """Sums per (rep, the rep's team when the call was computed, week)."""
    m = CallMetrics
    depth = [_count_true(m.depth[key].as_boolean()) for key in DEPTH_KEYS]
    query = (
        select(
            m.rep_id,
            m.team_id,
            m.week,
            func.count(),
            func.sum(m.duration_s),
            func.sum(m.rep_talk_s),
            func.sum(m.customer_talk_s),
            func.sum(func.coalesce(m.longest_monologue_s, 0.0)),
            func.sum(m.rep_questions),
            func.sum(func.coalesce(m.interactivity, 0.0) * m.duration_s / 60.0),
            func.sum(m.depth_score),
            func.count(m.depth_score),
            func.sum(m.objections),
            func.sum(m.objections_answered),
            func.sum(m.suggestions_shown),
            func.sum(m.suggestions_used),
            func.sum(m.suggestions_dismissed),
            func.sum(m.flags),
            *depth,
        )  # fmt: skip
        .where(*_metrics_scope(scope, weeks))
        .group_by(m.rep_id, m.team_id, m.week)
    )
    out: dict[tuple[str, str | None, date], Totals] = {}
    for row in session.execute(query):
        rep_id, team_id, week, calls, *sums = row
        (duration, rep_talk, customer_talk, monologue, questions, switches, depth_points,
         depth_calls, objections, answered, shown, used, dismissed, flags) = sums[:14]  # fmt: skip
        hits = {key: int(value or 0) for key, value in zip(DEPTH_KEYS, sums[14:], strict=True)}
        out[(rep_id, team_id, week)] = Totals(
            calls=int(calls),
            duration_s=float(duration or 0),
            rep_talk_s=float(rep_talk or 0),
            customer_talk_s=float(customer_talk or 0),
            monologue_s=float(monologue or 0),
            questions=int(questions or 0),
            switches=float(switches or 0),
            depth_points=int(depth_points or 0),
            depth_calls=int(depth_calls or 0),
            depth_hits=hits,
            objections=int(objections or 0),
            answered=int(answered or 0),
            shown=int(shown or 0),
            used=int(used or 0),
            dismissed=int(dismissed or 0),
            flags=int(flags or 0),
        )
    return out


def tag_counts(
    session: Session, scope: Scope, weeks: Sequence[date], kind: str, limit: int | None = None
) -> list[TagCount]:
    """Calls per value of one tag kind, with those calls' objections and answered ones."""
    calls = func.count().label("calls")
    query = (
        select(
            CallTag.value,
            calls,
            func.sum(CallMetrics.objections),
            func.sum(CallMetrics.objections_answered),
        )  # fmt: skip
        .join(CallMetrics, CallMetrics.call_id == CallTag.call_id)
        .where(CallTag.kind == kind, CallTag.org_id == scope.org_id, *_metrics_scope(scope, weeks))
        .group_by(CallTag.value)
        .order_by(calls.desc(), CallTag.value)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        TagCount(value, int(n), int(objections or 0), int(answered or 0))
        for value, n, objections, answered in session.execute(query)
    ]


def _week_start(week: date) -> datetime:
    return datetime.combine(week, time(), DISPLAY_TZ)


def flag_categories(session: Session, scope: Scope, weeks: Sequence[date]) -> list[FlagCategory]:
    """Flags raised in the weeks, by category; the median time to resolve the resolved ones.

    Resolved means the time of the flag's ``flag.resolved`` audit record (docs/metrics.md):
    ``updated_at`` would move with a later verdict or redaction. A resolved flag without
    one (written around the store) counts as resolved but has no time.
    """
    conditions = [
        Flag.org_id == scope.org_id,
        STANDING,  # not those the service took back
        Flag.created_at >= _week_start(weeks[0]),
        Flag.created_at < _week_start(weeks[-1] + timedelta(weeks=1)),
    ]
    if scope.rep_ids is not None:
        conditions.append(Flag.rep_id.in_(sorted(scope.rep_ids)))
    resolved = Flag.status == "resolved"
    counts = session.execute(
        select(Flag.category, func.count(), _count_true(resolved))
        .where(*conditions)
        .group_by(Flag.category)
    ).all()
    raised = {
        flag_id: (category, created)
        for flag_id, category, created in session.execute(
            select(Flag.id, Flag.category, Flag.created_at).where(*conditions, resolved)
        )
    }
    durations: dict[str, list[float]] = defaultdict(list)
    for flag_id, resolved_at in _resolution_times(session, scope.org_id, list(raised)).items():
        category, created = raised[flag_id]
        durations[category].append(max(0.0, (resolved_at - created).total_seconds() / 3600))
    rows = [
        FlagCategory(
            category,
            int(n),
            int(done or 0),
            median(durations[category]) if durations[category] else None,
        )
        for category, n, done in counts
    ]
    return sorted(rows, key=lambda row: (-row.flags, row.category))


def _resolution_times(session: Session, org_id: str, flag_ids: list[str]) -> dict[str, datetime]:
    """When each flag was resolved, from its ``flag.resolved`` audit record."""
    times: dict[str, datetime] = {}
    for start in range(0, len(flag_ids), BATCH):
        query = (
            select(AuditRecord.subject_id, func.min(AuditRecord.created_at))
            .where(
                AuditRecord.org_id == org_id,
                AuditRecord.action == "flag.resolved",
                AuditRecord.subject_type == "flag",
                AuditRecord.subject_id.in_(flag_ids[start : start + BATCH]),
            )
            .group_by(AuditRecord.subject_id)
        )
        for flag_id, moment in session.execute(query):
            times[flag_id] = moment
    return times


def heat(session: Session, scope: Scope, weeks: Sequence[date]) -> Heat:
    """话术调用热力图: what reps did with each KB entry, against the objection it was shown
    for (read from the call's suggestion events) and against the rep.

    Two queries rather than a join: ``suggestion_feedback`` has no index on ``call_id``, so a
    join driven from the calls in scope scans the org's feedback once per call. Feedback
    is given during a call, so none for a call in the weeks is older than their start.
    """
    calls = session.execute(
        select(CallMetrics.call_id, CallMetrics.rep_id, CallMetrics.computed_at).where(
            *_metrics_scope(scope, weeks)
        )
    ).all()
    reps = {call_id: rep_id for call_id, rep_id, _ in calls}
    computed = {call_id: at for call_id, _, at in calls}
    used = _count_true(SuggestionFeedback.action == "used")
    dismissed = _count_true(SuggestionFeedback.action == "dismissed")
    query = (
        select(SuggestionFeedback.call_id, SuggestionFeedback.entry_id, used, dismissed)
        .where(
            SuggestionFeedback.org_id == scope.org_id,
            SuggestionFeedback.call_id.is_not(None),
            SuggestionFeedback.created_at >= _week_start(weeks[0]),
        )
        .group_by(SuggestionFeedback.call_id, SuggestionFeedback.entry_id)
    )
    rows = [row for row in session.execute(query).all() if row[0] in reps]
    objections = shown_objections(session, {row[0]: computed[row[0]] for row in rows})
    cells = Heat()
    for call_id, entry_id, n_used, n_dismissed in rows:
        objection = objections.get((call_id, entry_id), NO_OBJECTION)
        cells.count(entry_id, objection, reps[call_id], int(n_used or 0), int(n_dismissed or 0))
    return cells


def team_analytics(session: Session, scope: Scope, weeks: Sequence[date]) -> Analytics:
    """Everything the analytics page shows for ``scope`` over ``weeks`` (Mondays, oldest
    first)."""
    by_rep: dict[str, Totals] = defaultdict(Totals)
    by_rep_week: dict[tuple[str, date], Totals] = defaultdict(Totals)
    by_team_week: dict[tuple[str | None, date], Totals] = defaultdict(Totals)
    by_week: dict[date, Totals] = defaultdict(Totals)
    total = Totals()
    for (rep_id, team_id, week), sums in rep_week_totals(session, scope, weeks).items():
        for bucket in (
            by_rep[rep_id], by_rep_week[(rep_id, week)], by_team_week[(team_id, week)],
            by_week[week], total,
        ):  # fmt: skip
            bucket.add(sums)
    return Analytics(
        weeks=list(weeks),
        by_rep=dict(by_rep),
        by_rep_week=dict(by_rep_week),
        by_team_week=dict(by_team_week),
        by_week=dict(by_week),
        total=total,
        objections=tag_counts(session, scope, weeks, "objection"),
        vendors=tag_counts(session, scope, weeks, "vendor", limit=TOP_VENDORS),
        flags=flag_categories(session, scope, weeks),
        heat=heat(session, scope, weeks),
    )
