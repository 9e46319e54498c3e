"""What the pages read from the store, always through the principal's visibility rules.

Listing goes through ``repo.list_flags``; counts and the per-rep summary need aggregates the
repo does not offer, so they start from the same ``visible_flags_query`` and apply the same
filters (``since`` inclusive, ``until`` exclusive) — a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from copilot.auth import Principal, can_see_rep_row, visible_flags_query
from copilot.dashboard.filters import PAGE_SIZE, FlagFilter
from copilot.store import audit, repo
from copilot.store.models import AuditRecord, Flag, User

# The CSV export reads this many rows per query and stops at EXPORT_LIMIT.
EXPORT_BATCH = 1000
EXPORT_LIMIT = 100_000


def filtered_flags_query(principal: Principal, flag_filter: FlagFilter) -> Select[Flag]:
    query = visible_flags_query(principal)
    if flag_filter.rep is not None:
        query = query.where(Flag.rep_id == flag_filter.rep)
    if flag_filter.category is not None:
        query = query.where(Flag.category == flag_filter.category)
    if flag_filter.severity is not None:
        query = query.where(Flag.severity == flag_filter.severity)
    if flag_filter.status is not None:
        query = query.where(Flag.status == flag_filter.status)
    if flag_filter.since is not None:
        query = query.where(Flag.created_at >= flag_filter.since)
    if flag_filter.until is not None:
        query = query.where(Flag.created_at < flag_filter.until)
    return query


def count_flags(session: Session, principal: Principal, flag_filter: FlagFilter) -> int:
    subquery = filtered_flags_query(principal, flag_filter).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def flag_page(
    session: Session, principal: Principal, flag_filter: FlagFilter, page: int
) -> list[Flag]:
    """One page of the visible flags matching the filter, newest first."""
    return repo.list_flags(
        session,
        principal,
        **flag_filter.repo_kwargs(),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


def iter_flags(session: Session, principal: Principal, flag_filter: FlagFilter) -> Iterator[Flag]:
    """Every matching flag (up to :data:`EXPORT_LIMIT`), read in batches, newest first."""
    offset = 0
    while offset < EXPORT_LIMIT:
        batch = repo.list_flags(
            session,
            principal,
            **flag_filter.repo_kwargs(),
            limit=min(EXPORT_BATCH, EXPORT_LIMIT - offset),
            offset=offset,
        )
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        offset += len(batch)


@dataclass
class RepCounts:
    """One row of the summary panel: a rep's flags under the current filter."""

    rep_id: str
    total: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)


def rep_summary(session: Session, principal: Principal, flag_filter: FlagFilter) -> list[RepCounts]:
    """Per rep: how many flags, by severity and by category; most flagged rep first."""
    subquery = filtered_flags_query(principal, flag_filter).subquery()
    query = select(
        subquery.c.rep_id, subquery.c.category, subquery.c.severity, func.count()
    ).group_by(subquery.c.rep_id, subquery.c.category, subquery.c.severity)
    reps: dict[str, RepCounts] = {}
    for rep_id, category, severity, count in session.execute(query):
        row = reps.setdefault(rep_id, RepCounts(rep_id))
        row.total += count
        row.by_severity[severity] = row.by_severity.get(severity, 0) + count
        row.by_category[category] = row.by_category.get(category, 0) + count
    return sorted(reps.values(), key=lambda r: (-r.total, r.rep_id))


def org_users(session: Session, org_id: str) -> dict[str, User]:
    """Every user of the org by id, for showing names (actors, reps)."""
    return {user.id: user for user in repo.list_users(session, org_id)}


def visible_reps(principal: Principal, users: dict[str, User]) -> list[User]:
    """The people whose flags the principal may see: the rep filter's choices."""
    return [
        user
        for user in users.values()
        if user.role != "integration"
        and can_see_rep_row(principal, user.org_id, user.id, user.team_id)
    ]


def audit_page(session: Session, principal: Principal, page: int) -> tuple[list[AuditRecord], int]:
    """One page of the audit records the principal may read, newest first, and how many
    there are (a manager: their team's and their own actions; an admin: the org's)."""
    query = audit.visible_audit_query(principal).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    return list(session.scalars(query)), audit.count_visible(session, principal)


def flag_history(session: Session, flag: Flag) -> list[AuditRecord]:
    """The flag's own audit records, oldest first."""
    query = audit.audit_query(flag.org_id, subject_type="flag", subject_id=flag.id)
    return list(reversed(list(session.scalars(query))))
