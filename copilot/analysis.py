"""Whole-call analysis: a transcript in, CONTRACT's ``CallSummary`` out.

The live pipeline builds the same summary from the segments it persisted as the call went
on; ``copilot analyze`` builds it offline from a recording or from scripted turns. Either
way the rep reads ``summary_text``, corrects what is wrong and confirms it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from pydantic import Field

from compliance import Scanner
from copilot.insights import InsightExtractor, Insights, merge_insights
from copilot.insights.models import Budget
from copilot.spoken_compliance import SpokenFlag, scan_segment
from copilot.taxonomy import TAXONOMY
from speech.types import Segment, Speaker, Transcript

# The summary names taxonomy ids as the dashboard and the side panel do.
OBJECTION_LABELS = TAXONOMY.groups()["objection"]
PAIN_LABELS = TAXONOMY.groups()["pain_point"]
COMPLIANCE_LABELS = TAXONOMY.groups()["compliance"]


class CallSummary(Insights):
    """CONTRACT ``CallSummary``: the call's merged insights plus what it is made of."""

    call_id: str
    duration_s: float
    transcript: list[Segment]
    compliance_flags: list[SpokenFlag] = Field(default_factory=list)
    summary_text: str = ""


class SegmentAnalysis(Insights):
    """What one final segment contributes: its insights and the rep's flags in it."""

    flags: list[SpokenFlag] = Field(default_factory=list)


def segment_insights(extractor: InsightExtractor, segment: Segment) -> Insights:
    """Insights of one final segment: everything from customer words, only commitments from
    the rep's. Mono recordings have ``unknown`` speakers, read as the customer."""
    speaker: Speaker = "customer" if segment.speaker == "unknown" else segment.speaker
    return extractor.extract(segment.text, speaker=speaker, utterance_id=segment.id)


def analyze_segment(
    extractor: InsightExtractor, scanner: Scanner, segment: Segment
) -> tuple[Insights, list[SpokenFlag]]:
    """Insights and compliance flags of one final segment: flags on the rep's words, and on
    a mono recording's segment given to the customer when its words are a seller's
    (:func:`copilot.spoken_compliance.scan_segment`)."""
    return segment_insights(extractor, segment), scan_segment(scanner, segment)


def summarize(
    call_id: str,
    segments: Sequence[Segment],
    duration_s: float,
    extractor: InsightExtractor,
    scanner: Scanner,
    writer: Callable[[CallSummary], str] | None = None,
) -> CallSummary:
    records: list[Insights] = []
    flags: list[SpokenFlag] = []
    for segment in segments:
        insights, segment_flags = analyze_segment(extractor, scanner, segment)
        records.append(insights)
        flags.extend(segment_flags)
    return build_summary(call_id, segments, duration_s, merge_insights(records), flags, writer)


def build_summary(
    call_id: str,
    segments: Sequence[Segment],
    duration_s: float,
    insights: Insights,
    flags: Iterable[SpokenFlag],
    writer: Callable[[CallSummary], str] | None = None,
    on_writer_error: Callable[[Exception], None] | None = None,
) -> CallSummary:
    """The call's summary; ``writer`` writes its text (default: :func:`summary_text`). With
    ``on_writer_error``, a writer that fails (an LLM down) is reported to it and the template
    writes the text instead; without, the error propagates."""
    summary = CallSummary(
        **insights.model_dump(),
        call_id=call_id,
        duration_s=round(duration_s, 2),
        transcript=list(segments),
        compliance_flags=list(flags),
    )
    try:
        summary.summary_text = (writer or summary_text)(summary)
    except Exception as exc:
        if on_writer_error is None:
            raise
        on_writer_error(exc)
        summary.summary_text = summary_text(summary)
    return summary


def segments_from_turns(turns: Sequence[tuple[Speaker, str]]) -> list[Segment]:
    """Scripted turns as segments: ids ``t1…``, a nominal 4 s per turn so times still
    order them."""
    return [
        Segment(id=f"t{n}", start=4.0 * (n - 1), end=4.0 * n, speaker=speaker, text=text)
        for n, (speaker, text) in enumerate(turns, 1)
    ]


def summarize_transcript(
    call_id: str, transcript: Transcript, extractor: InsightExtractor, scanner: Scanner
) -> CallSummary:
    return summarize(call_id, transcript.segments, transcript.duration, extractor, scanner)


def summary_text(summary: CallSummary) -> str:
    """A short Chinese summary for the rep to read and confirm, one line per topic."""
    lines = [f"通话时长 {_duration(summary.duration_s)}，共 {len(summary.transcript)} 段发言。"]
    if summary.budget is not None:
        lines.append(
            f"预算：{_budget(summary.budget)}（客户原话：「{summary.budget.evidence.text}」）"
        )
    else:
        lines.append("预算：客户未提及，下次沟通需确认。")
    if summary.decision_chain:
        people = "、".join(
            f"{p.name}（{p.role}）" if p.role and p.role != p.name else p.name
            for p in summary.decision_chain
        )
        lines.append(f"决策链：{people}")
    if summary.pain_points:
        pains = _joined(PAIN_LABELS.get(p.category, p.category) for p in summary.pain_points)
        lines.append(f"痛点：{pains}")
    if summary.objections:
        objections = _joined(OBJECTION_LABELS.get(o.type, o.type) for o in summary.objections)
        lines.append(f"异议：{objections}")
    if summary.competitors:
        lines.append(f"竞品：{_joined(c.name for c in summary.competitors)}")
    for commitment in summary.commitments:
        who = TAXONOMY.label("speaker", commitment.who)
        due = f"（{commitment.due}）" if commitment.due else ""
        lines.append(f"待办：{who}{commitment.what}{due}")
    if summary.compliance_flags:
        kinds = _joined(
            COMPLIANCE_LABELS.get(f.category, f.category) for f in summary.compliance_flags
        )
        lines.append(f"合规提示：{len(summary.compliance_flags)} 处需复核（{kinds}）。")
    return "\n".join(lines)


def _joined(items: Iterable[str]) -> str:
    return "、".join(dict.fromkeys(items))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} 分 {secs} 秒" if minutes else f"{secs} 秒"


def _budget(budget: Budget) -> str:
    def yuan(amount: int) -> str:
        return f"{amount / 10_000:g} 万元" if amount >= 10_000 else f"{amount} 元"

    if budget.amount_min is None and budget.amount_max is not None:
        text = f"不超过 {yuan(budget.amount_max)}"
    elif budget.amount_max is None and budget.amount_min is not None:
        text = f"不少于 {yuan(budget.amount_min)}"
    elif budget.amount_min == budget.amount_max and budget.amount_min is not None:
        text = yuan(budget.amount_min)
    else:
        assert budget.amount_min is not None and budget.amount_max is not None
        text = f"{yuan(budget.amount_min)} – {yuan(budget.amount_max)}"
    period = {"year": "每年", "month": "每月", "one_time": "一次性"}.get(budget.period or "")
    return f"{text}{f'，{period}' if period else ''}"
