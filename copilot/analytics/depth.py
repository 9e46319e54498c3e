"""需求挖掘深度: which of five things a call established about the deal, from its summary;
and how many of the customer's objections the rep answered (docs/metrics.md).

Each of budget, decision, need, timeline and competition is worth 20 points, so the score is
0–100 in steps of 20. What counts:

- budget: the summary has a budget (an amount, range, ceiling or floor the customer said);
- decision: someone in the decision chain (a person, a role or a body such as 采购委员会);
- need: at least one pain point;
- timeline: a commitment with a due time (``due`` or ``due_date``: a dated next step), or a
  customer clause that names a time and a purchase step together (今年年底之前上线, 下个月招标);
- competition: a competitor, or a system the customer runs now (``incumbent``) or weighs
  against us (``competitor``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

from copilot.analytics.conversation import REPLY_WINDOW_S, is_backchannel
from copilot.analytics.cues import cues
from copilot.insights.models import Insights, Objection
from speech.types import Segment

POINTS_EACH = 20
_CLAUSE = re.compile(r"[，,。！？!?；;：:_…\s]+")
# 三月, 3月, 十二月份: a month named by its number.
_MONTH = re.compile(r"[0-9一二三四五六七八九十]{1,3}月")


@dataclass(frozen=True)
class Depth:
    budget: bool
    decision: bool
    need: bool
    timeline: bool
    competition: bool

    @property
    def score(self) -> int:
        return POINTS_EACH * sum(asdict(self).values())

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


def call_depth(insights: Insights, segments: Sequence[Segment]) -> Depth:
    """What the call established; ``segments``: its transcript, read for the timeline."""
    return Depth(
        budget=insights.budget is not None or bool(insights.budget_history),
        decision=bool(insights.decision_chain),
        need=bool(insights.pain_points),
        timeline=any(c.due or c.due_date for c in insights.commitments)
        or any(purchase_time_said(s.text) for s in segments if s.speaker != "rep"),
        competition=bool(insights.competitors)
        or any(s.role in ("competitor", "incumbent") for s in insights.systems),
    )


def purchase_time_said(text: str) -> bool:
    """Whether one clause of ``text`` names a time and a purchase step together."""
    rules = cues().timeline
    for clause in _CLAUSE.split(text):
        has_time = any(w in clause for w in rules.time_words) or _MONTH.search(clause)
        if has_time and any(w in clause for w in rules.purchase_words):
            return True
    return False


def objections_answered(
    objections: Sequence[Objection],
    segments: Sequence[Segment],
    used_for_segments: Collection[str] = (),
) -> int:
    """How many objections the rep answered. One counts when a suggestion shown for its
    segment was marked used (``used_for_segments``), or when the rep took the floor — a turn
    that is not a backchannel — after the objection began and no later than
    :data:`~copilot.analytics.conversation.REPLY_WINDOW_S` after its segment ended. An
    objection whose segment is unknown (added by hand in review) is never answered."""
    by_id = {s.id: s for s in segments}
    answered = 0
    for objection in objections:
        segment_id = objection.evidence.utterance_id
        if segment_id is None or segment_id not in by_id:
            continue
        if segment_id in used_for_segments or _rep_replied(by_id[segment_id], segments):
            answered += 1
    return answered


def _rep_replied(said: Segment, segments: Sequence[Segment]) -> bool:
    return any(
        s.speaker == "rep"
        and said.start < s.start <= said.end + REPLY_WINDOW_S
        and not is_backchannel(s)
        for s in segments
    )
