"""How a call was talked: who spoke how much, how long the rep held the floor, how often they
asked, how often the turn changed hands. Pure functions over a call's final segments
(definitions, units and edge cases: docs/metrics.md).

Only ``rep`` and ``customer`` segments count as either side; ``unknown`` ones (a mono
recording nobody could split) are nobody's talk, so such a call has no talk ratio.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.analytics.cues import cues
from copilot.analytics.questions import count_questions
from speech.types import Segment

# Rep segments less than this apart, with no customer turn between, are one monologue:
# a breath or a comma in speech is well under it, a pause left for the customer is not.
MONOLOGUE_GAP_S = 1.5
# A rep turn starting more than this after the customer stopped is not a reply to them (a
# hold, a search, a silence): it neither answers an objection nor counts for patience.
REPLY_WINDOW_S = 10.0
_PUNCTUATION = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class ConversationStats:
    duration_s: float
    rep_talk_s: float
    customer_talk_s: float
    talk_ratio: float | None
    longest_monologue_s: float
    rep_questions: int
    question_rate: float | None
    interactivity: float | None
    patience_s: float | None


def conversation_stats(segments: Sequence[Segment], duration_s: float) -> ConversationStats:
    """Every conversation figure of one call. ``duration_s``: the call's length; when it is
    unknown (0) the end of its last segment stands in."""
    ordered = sorted(segments, key=lambda s: (s.start, s.end))
    duration = duration_s if duration_s > 0 else max((s.end for s in ordered), default=0.0)
    rep, customer = talk_time(ordered, "rep"), talk_time(ordered, "customer")
    questions = rep_questions(ordered)
    return ConversationStats(
        duration_s=round(duration, 2),
        rep_talk_s=round(rep, 2),
        customer_talk_s=round(customer, 2),
        talk_ratio=talk_ratio(rep, customer),
        longest_monologue_s=round(longest_monologue(ordered), 2),
        rep_questions=questions,
        question_rate=per_minutes(questions, duration, 10),
        interactivity=per_minutes(speaker_switches(ordered), duration, 1),
        patience_s=patience(ordered),
    )


def talk_time(segments: Sequence[Segment], speaker: str) -> float:
    """Seconds of speech by ``speaker``: the sum of their segments' lengths."""
    return sum(max(0.0, s.end - s.start) for s in segments if s.speaker == speaker)


def talk_ratio(rep_talk_s: float, customer_talk_s: float) -> float | None:
    """The rep's share of the talk, 0–1, rounded to 3 places; None when nobody spoke."""
    total = rep_talk_s + customer_talk_s
    return round(rep_talk_s / total, 3) if total > 0 else None


def is_backchannel(segment: Segment) -> bool:
    """A turn of only 嗯 / 对 / 好的 …: listening aloud, not taking the floor."""
    words = _PUNCTUATION.sub("", segment.text)
    return not words or words in cues().backchannels


def monologues(segments: Sequence[Segment]) -> list[tuple[float, float]]:
    """The rep's uninterrupted stretches as (start, end): consecutive rep segments merge
    when the gap between them is under :data:`MONOLOGUE_GAP_S` and the other side said
    nothing but backchannels in between. Segments must be in start order."""
    stretches: list[tuple[float, float]] = []
    current: tuple[float, float] | None = None
    for segment in segments:
        if segment.speaker != "rep":
            if current is not None and not is_backchannel(segment):
                stretches.append(current)
                current = None
            continue
        if current is not None and segment.start - current[1] < MONOLOGUE_GAP_S:
            current = (current[0], max(current[1], segment.end))
            continue
        if current is not None:
            stretches.append(current)
        current = (segment.start, segment.end)
    if current is not None:
        stretches.append(current)
    return stretches


def longest_monologue(segments: Sequence[Segment]) -> float:
    """Seconds of the rep's longest monologue (0 when the rep never spoke)."""
    return max((end - start for start, end in monologues(segments)), default=0.0)


def rep_questions(segments: Sequence[Segment]) -> int:
    """Questions the rep asked (copilot.analytics.questions), counted per sentence."""
    return sum(count_questions(s.text) for s in segments if s.speaker == "rep")


def speaker_switches(segments: Sequence[Segment]) -> int:
    """How often the turn passed between rep and customer (backchannels included: a 嗯 is
    the customer taking part); ``unknown`` segments are skipped. Segments in start order."""
    speakers = [s.speaker for s in segments if s.speaker in ("rep", "customer")]
    return sum(1 for a, b in zip(speakers, speakers[1:], strict=False) if a != b)


def patience(segments: Sequence[Segment]) -> float | None:
    """Mean seconds the rep waited after the customer stopped before speaking: over each
    customer turn (not a backchannel) followed by a rep segment starting within
    :data:`REPLY_WINDOW_S`; an overlap (the rep cut in) counts as 0. Segments in start
    order. None when there is no such reply."""
    pauses = [
        max(0.0, after.start - before.end)
        for before, after in zip(segments, segments[1:], strict=False)
        if before.speaker == "customer"
        and not is_backchannel(before)
        and after.speaker == "rep"
        and after.start - before.end <= REPLY_WINDOW_S
    ]
    return round(sum(pauses) / len(pauses), 2) if pauses else None


def per_minutes(count: int, duration_s: float, minutes: float) -> float | None:
    """``count`` per ``minutes`` of call, rounded to 2 places; None for a call of no length."""
    if duration_s <= 0:
        return None
    return round(count * minutes * 60 / duration_s, 2)
