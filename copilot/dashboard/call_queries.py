"""What the call library reads: the visible calls under a filter, one page of them with
their chips, and the choices of the filter form.

Every query starts from ``visible_calls_query`` (rep own, manager team, admin org), so a
filter can only narrow what the viewer may see. Objections, vendors, flag categories and
accounts come from ``call_tags`` and the flag count from ``call_metrics`` (both written once
when a call's summary is stored); the CRM state is the call's latest confirmed-summary
delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.dashboard.call_filters import CallFilter
from copilot.dashboard.filters import PAGE_SIZE
from copilot.principal import Principal
from copilot.store import search
from copilot.store.models import Call, CallMetrics, CallTag, CrmOutbox, Segment, Team, User
from copilot.store.visibility import visible_calls_query

# Chip kinds shown on a row, in this order.
CHIP_KINDS = ("objection", "vendor", "flag")
MAX_VENDOR_CHOICES = 200
# Lines shown under the table for a text search (the first page of hits).
SEARCH_HITS = 50


def crm_state() -> ColumnElement[str | None]:
    """The call's latest confirmed-summary delivery state; NULL when never confirmed."""
    return (
        select(CrmOutbox.status)
        .where(CrmOutbox.call_id == Call.id, CrmOutbox.event_type == SUMMARY_CONFIRMED)
        .order_by(CrmOutbox.created_at.desc())
        .limit(1)
        .correlate(Call)
        .scalar_subquery()
    )


def _tagged(principal: Principal, kind: str, value: str) -> ColumnElement[bool]:
    # (org_id, kind, value) is indexed: the tag's calls first, then the visible ones.
    tagged = select(CallTag.call_id).where(
        CallTag.org_id == principal.org_id, CallTag.kind == kind, CallTag.value == value
    )
    return Call.id.in_(tagged)


def filtered_calls_query(
    session: Session, principal: Principal, call_filter: CallFilter
) -> Select[Call]:
    """``SELECT calls`` the principal may see that match the filter (no order, no limit)."""
    query = visible_calls_query(principal)
    f = call_filter
    if f.rep is not None:
        query = query.where(Call.rep_id == f.rep)
    if f.team is not None:
        team = select(User.id).where(User.org_id == principal.org_id, User.team_id == f.team)
        query = query.where(Call.rep_id.in_(team))
    if f.since is not None:
        query = query.where(Call.started_at >= f.since)
    if f.until is not None:
        query = query.where(Call.started_at < f.until)
    if f.customer is not None:
        needle = f"%{search.escape_like(f.customer.lower())}%"
        account = select(CallTag.call_id).where(
            CallTag.org_id == principal.org_id,
            CallTag.kind == "account",
            func.lower(CallTag.value).like(needle, escape="\\"),
        )
        query = query.where(
            or_(func.lower(Call.customer_name).like(needle, escape="\\"), Call.id.in_(account))
        )
    for kind, value in (("objection", f.objection), ("vendor", f.vendor), ("flag", f.flag)):
        if value is not None:
            query = query.where(_tagged(principal, kind, value))
    if f.min_minutes is not None:
        query = query.where(Call.duration_s >= f.min_minutes * 60)
    if f.max_minutes is not None:
        # Inclusive of the whole last minute: "at most 5 minutes" keeps a 5:30 call out.
        query = query.where(Call.duration_s < (f.max_minutes + 1) * 60)
    if f.crm == "none":
        query = query.where(crm_state().is_(None))
    elif f.crm is not None:
        query = query.where(crm_state() == f.crm)
    if f.q is not None:
        text_match = select(Segment.call_id).where(search.contains(session, f.q)).cte("text_match")
        if session.get_bind().dialect.name == "postgresql":
            # Matched once through the trigram index, not per call by a generic plan
            # (see copilot.store.search.search_query).
            text_match = text_match.prefix_with("MATERIALIZED")
        query = query.where(Call.id.in_(select(text_match.c.call_id)))
    return query


@dataclass
class CallRow:
    """One row of the library."""

    call: Call
    rep_name: str
    flags: int
    crm: str  # none | pending | delivered | dead
    chips: dict[str, list[str]] = field(default_factory=dict)


def _ordered(query: Select[Call], sort: str) -> Select[Call, int, str | None]:
    flags = func.coalesce(CallMetrics.flags, 0)
    subquery = query.subquery()
    ordered = (
        select(Call, flags, crm_state())
        .join(subquery, subquery.c.id == Call.id)
        .outerjoin(CallMetrics, CallMetrics.call_id == Call.id)
    )
    key = {
        "date": (Call.started_at.desc(),),
        "date_asc": (Call.started_at.asc(),),
        "duration": (Call.duration_s.desc(), Call.started_at.desc()),
        "flags": (flags.desc(), Call.started_at.desc()),
    }[sort]
    return ordered.order_by(*key, Call.id)


def count_calls(session: Session, principal: Principal, call_filter: CallFilter) -> int:
    subquery = filtered_calls_query(session, principal, call_filter).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def call_page(
    session: Session,
    principal: Principal,
    call_filter: CallFilter,
    page: int,
    users: dict[str, User],
) -> list[CallRow]:
    """One page of the matching calls in the filter's order, with their chips."""
    query = _ordered(filtered_calls_query(session, principal, call_filter), call_filter.sort)
    result = session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    rows = [
        CallRow(
            call=call,
            rep_name=users[call.rep_id].name if call.rep_id in users else call.rep_id,
            flags=int(flags or 0),
            crm=crm or "none",
        )
        for call, flags, crm in result
    ]
    by_id = {row.call.id: row for row in rows}
    if by_id:
        tags = session.execute(
            select(CallTag.call_id, CallTag.kind, CallTag.value)
            .where(CallTag.call_id.in_(list(by_id)), CallTag.kind.in_(CHIP_KINDS))
            .order_by(CallTag.kind, CallTag.value)
        )
        for call_id, kind, value in tags:
            by_id[call_id].chips.setdefault(kind, []).append(value)
    return rows


def search_hits(
    session: Session, principal: Principal, call_filter: CallFilter
) -> list[search.SearchHit]:
    """The transcript lines matching the filter's text, within the filtered calls."""
    if call_filter.q is None:
        return []
    without_text = CallFilter(**{**call_filter.__dict__, "q": None})
    calls = filtered_calls_query(session, principal, without_text)
    return search.search_segments(session, principal, call_filter.q, limit=SEARCH_HITS, calls=calls)


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: only what the viewer may see."""

    reps: list[User]
    teams: list[Team]
    vendors: list[str]


def choices(session: Session, principal: Principal, reps: list[User]) -> Choices:
    team_ids = {rep.team_id for rep in reps if rep.team_id is not None}
    teams = list(
        session.scalars(
            select(Team)
            .where(Team.org_id == principal.org_id, Team.id.in_(team_ids))
            .order_by(Team.name)
        )
    )
    vendors = list(
        session.scalars(
            select(CallTag.value)
            .where(CallTag.org_id == principal.org_id, CallTag.kind == "vendor")
            .distinct()
            .order_by(CallTag.value)
            .limit(MAX_VENDOR_CHOICES)
        )
    )
    return Choices(reps, teams, vendors)
