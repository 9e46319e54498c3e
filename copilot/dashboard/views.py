"""What each row of the pages shows, built from stored rows (no web framework here)."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from copilot.dashboard.filters import PAGE_SIZE
from copilot.dashboard.present import (
    CONTEXT_CHARS,
    MatchInContext,
    detail_text,
    match_in_context,
)
from copilot.dashboard.queries import RepCounts
from copilot.privacy import mask_text
from copilot.store.flags import TRANSITIONS
from copilot.store.models import AuditRecord, Flag, User

# The review steps a manager may take on the page, in button order.
REVIEW_STEPS = ("acknowledged", "resolved")
STEP_PATHS = {"acknowledged": "acknowledge", "resolved": "resolve"}
STEP_LABELS = {"acknowledged": "确认", "resolved": "解决"}


@dataclass(frozen=True)
class FlagRow:
    flag: Flag
    rep_name: str
    context: MatchInContext
    # The review steps the flag's status allows now (none once resolved).
    steps: tuple[str, ...]
    # Free text a rep or manager typed: personal numbers masked like the flag's text.
    override_reason: str
    status_comment: str
    revealed: bool = False


def flag_row(
    flag: Flag, rep_name: str, *, full_text: bool = False, reveal: bool = False
) -> FlagRow:
    """What the page shows of a flag: masked, unless ``reveal`` (an admin's audited ask)."""
    allowed = TRANSITIONS.get(flag.status, frozenset())
    shown = (lambda value: value or "") if reveal else mask_text
    return FlagRow(
        flag=flag,
        rep_name=rep_name,
        context=match_in_context(flag, None if full_text else CONTEXT_CHARS, reveal=reveal),
        steps=tuple(step for step in REVIEW_STEPS if step in allowed),
        override_reason=shown(flag.override_reason),
        status_comment=shown(flag.status_comment),
        revealed=reveal,
    )


@dataclass(frozen=True)
class SummaryRow:
    rep_name: str
    counts: RepCounts


@dataclass(frozen=True)
class AuditRow:
    record: AuditRecord
    actor: str
    detail: str
    broken: bool  # the first record whose link or hash does not verify


def audit_row(record: AuditRecord, users: dict[str, User], first_broken_id: int | None) -> AuditRow:
    if record.actor_id is None:
        actor = "系统"
    else:
        user = users.get(record.actor_id)
        actor = user.name if user is not None else record.actor_id
    return AuditRow(record, actor, detail_text(record.detail), record.id == first_broken_id)


@dataclass(frozen=True)
class Pager:
    """Page ``number`` of ``pages``; links are the current query plus ``page=``."""

    number: int
    total: int
    base_query: str

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / PAGE_SIZE))

    def link(self, number: int) -> str:
        return f"?{self.base_query}&page={number}" if self.base_query else f"?page={number}"

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None


def user_name(users: dict[str, User], user_id: str) -> str:
    user = users.get(user_id)
    return user.name if user is not None else user_id
