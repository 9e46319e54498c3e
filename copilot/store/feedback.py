"""What reps did with suggestions (used / dismissed), fed back into retrieval ranking.

The ranker takes a ``FeedbackSignal`` — anything with ``adjustment(entry_id) -> float``.
:class:`FeedbackAdjustments` is that signal over one org's counts: entries the org's reps
use rise, ones they keep dismissing sink, and a prior keeps a handful of clicks from
swinging the ranking.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from copilot.store.call_metrics import record_call_metrics
from copilot.store.errors import InvalidInput
from copilot.store.models import Call, SuggestionFeedback

FeedbackAction = Literal["used", "dismissed"]
FEEDBACK_ACTIONS: tuple[str, ...] = get_args(FeedbackAction)


@dataclass(frozen=True)
class FeedbackCounts:
    used: int = 0
    dismissed: int = 0


def add_feedback(
    session: Session,
    *,
    org_id: str,
    user_id: str,
    entry_id: str,
    action: str,
    call_id: str | None = None,
) -> SuggestionFeedback:
    if action not in FEEDBACK_ACTIONS:
        raise InvalidInput(f"action must be one of {', '.join(FEEDBACK_ACTIONS)}, not {action!r}")
    record = SuggestionFeedback(
        org_id=org_id, user_id=user_id, call_id=call_id, entry_id=entry_id, action=action
    )
    session.add(record)
    session.flush()
    call = session.get(Call, call_id) if call_id is not None else None
    if call is not None and call.summary is not None:
        # A reaction after the call changes its suggestions used (during it, the call's
        # end records them).
        record_call_metrics(session, call)
    return record


def feedback_counts(
    session: Session, org_id: str, entry_ids: Collection[str] | None = None
) -> dict[str, FeedbackCounts]:
    """Per-entry used/dismissed counts within one org (never across orgs)."""
    used = func.sum(case((SuggestionFeedback.action == "used", 1), else_=0))
    dismissed = func.sum(case((SuggestionFeedback.action == "dismissed", 1), else_=0))
    query = (
        select(SuggestionFeedback.entry_id, used, dismissed)
        .where(SuggestionFeedback.org_id == org_id)
        .group_by(SuggestionFeedback.entry_id)
    )
    if entry_ids is not None:
        query = query.where(SuggestionFeedback.entry_id.in_(list(entry_ids)))
    return {
        entry: FeedbackCounts(int(u or 0), int(d or 0)) for entry, u, d in session.execute(query)
    }


class FeedbackAdjustments:
    """A ``retrieval.FeedbackSignal``: ``scale * (used - dismissed) / (used + dismissed +
    prior)`` — the same smoothing as ``retrieval.InMemoryFeedback``, over stored counts.

    Bounded in (-scale, +scale), zero for entries nobody reacted to. With the defaults,
    10 uses and no dismissals give +0.077; 3 dismissals give -0.05. Load it per org at
    start-up, then :meth:`record` each reaction as it is stored, so it stays current
    without re-reading the table.
    """

    def __init__(
        self, counts: Mapping[str, FeedbackCounts], *, scale: float = 0.1, prior: float = 3.0
    ) -> None:
        if scale < 0 or prior <= 0:
            raise ValueError("scale must be >= 0 and prior > 0")
        self._counts = dict(counts)
        self.scale = scale
        self.prior = prior
        self._lock = threading.Lock()  # several calls record at once

    @classmethod
    def load(
        cls, session: Session, org_id: str, *, scale: float = 0.1, prior: float = 3.0
    ) -> FeedbackAdjustments:
        return cls(feedback_counts(session, org_id), scale=scale, prior=prior)

    def record(self, entry_id: str, action: str) -> None:
        if action not in FEEDBACK_ACTIONS:
            raise InvalidInput(f"action must be one of {', '.join(FEEDBACK_ACTIONS)}")
        with self._lock:
            seen = self._counts.get(entry_id, FeedbackCounts())
            used, dismissed = seen.used + (action == "used"), seen.dismissed + (action != "used")
            self._counts[entry_id] = FeedbackCounts(used, dismissed)

    def counts(self, entry_id: str) -> FeedbackCounts:
        return self._counts.get(entry_id, FeedbackCounts())

    def adjustment(self, entry_id: str) -> float:
        seen = self._counts.get(entry_id)
        if seen is None:
            return 0.0
        net, total = seen.used - seen.dismissed, seen.used + seen.dismissed
        return self.scale * net / (total + self.prior)
