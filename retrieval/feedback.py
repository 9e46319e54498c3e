"""Rep feedback as a ranking signal: suggestions reps use rise, ones they dismiss sink.

The ranker only asks :class:`FeedbackSignal` for an adjustment per entry and clamps it to
``ranking.feedback_max``; where the counts live (memory here, the service's database later)
is the implementation's business.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Literal, Protocol, runtime_checkable

Reaction = Literal["used", "dismissed"]


@runtime_checkable
class FeedbackSignal(Protocol):
    def adjustment(self, entry_id: str) -> float:
        """A small score change for ``entry_id``: positive when reps use it, negative when
        they dismiss it, 0 without feedback."""
        ...


class NoFeedback:
    def adjustment(self, entry_id: str) -> float:
        return 0.0


class InMemoryFeedback:
    """Counts reactions per entry; the adjustment is smoothed so that one click moves little
    and it is bounded by ``scale`` however many clicks come in:

        scale * (used - dismissed) / (used + dismissed + prior)
    """

    def __init__(self, scale: float = 0.1, prior: float = 3.0) -> None:
        self.scale = scale
        self.prior = prior
        self._used: Counter[str] = Counter()
        self._dismissed: Counter[str] = Counter()
        self._lock = threading.Lock()  # the service records from several calls at once

    def record(self, entry_id: str, reaction: Reaction) -> None:
        if reaction not in ("used", "dismissed"):
            raise ValueError(f"reaction must be 'used' or 'dismissed', not {reaction!r}")
        with self._lock:
            (self._used if reaction == "used" else self._dismissed)[entry_id] += 1

    def counts(self, entry_id: str) -> tuple[int, int]:
        with self._lock:
            return self._used[entry_id], self._dismissed[entry_id]

    def adjustment(self, entry_id: str) -> float:
        used, dismissed = self.counts(entry_id)
        if not used and not dismissed:
            return 0.0
        return self.scale * (used - dismissed) / (used + dismissed + self.prior)
