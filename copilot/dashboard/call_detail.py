"""What the call detail page shows, built from stored rows (no web framework here).

The transcript with speaker and time; the summary's insight cards, each item linked to the
line it came from; the call's flags placed at their line with their review state; the
suggestions shown and what the rep did with them; the review and CRM delivery; follow-ups.
Personal numbers are masked as everywhere on the dashboard (masking keeps lengths).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.crm.config import CrmConfig
from copilot.crm.filing import REVIEW_FIELDS
from copilot.crm.models import DeliveryStatus
from copilot.crm.outbox import status_of
from copilot.privacy import mask_text
from copilot.store import filing, repo
from copilot.store.models import Call, CallEvent, Flag, FollowUp, SuggestionFeedback

SPEAKER_LABELS = {"rep": "销售", "customer": "客户", "unknown": "未知"}
REVIEW_LABELS = {
    "summary_text": "小结",
    "next_steps": "下一步",
    "budget": "预算",
    "decision_chain": "决策链",
    "pain_points": "痛点",
    "objections": "异议",
    "competitors": "竞品",
}
REVIEW_STATE_LABELS = {"pending": "待审阅", "approved": "已确认", "skipped": "已跳过"}
FEEDBACK_LABELS = {"used": "已采用", "dismissed": "已忽略", None: "未反馈"}
WHO_LABELS = {"rep": "销售", "customer": "客户"}


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour) of a moment in the call."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Line:
    segment_id: str
    speaker: str
    start: float
    text: str
    flags: list[Flag] = field(default_factory=list)


@dataclass(frozen=True)
class CardItem:
    """One insight: what was established, and the line that said it (None: not found)."""

    text: str
    evidence: str
    segment_id: str | None
    start: float | None


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    items: list[CardItem]


@dataclass(frozen=True)
class ShownSuggestion:
    segment_id: str
    start: float | None
    objection: str | None
    entry_id: str
    title: str
    text: str
    feedback: str | None  # used | dismissed | None


@dataclass
class CallDetail:
    call: Call
    lines: list[Line]
    cards: list[Card]
    suggestions: list[ShownSuggestion]
    flags: list[Flag]
    summary_text: str
    review: list[tuple[str, str]]  # (field label, state)
    delivery: DeliveryStatus | None
    followups: list[FollowUp]
    has_recording: bool


def _item(value: dict[str, Any], text: str, starts: dict[str, float]) -> CardItem:
    evidence = value.get("evidence") or {}
    segment_id = evidence.get("utterance_id")
    start = starts.get(segment_id) if segment_id else None
    return CardItem(
        text=mask_text(text),
        evidence=mask_text(str(evidence.get("text", ""))),
        segment_id=segment_id if start is not None else None,
        start=start,
    )


def _money(amount: int | None) -> str:
    if amount is None:
        return ""
    return f"{amount / 10000:g} 万元" if amount >= 10000 else f"{amount} 元"


def _budget_text(budget: dict[str, Any]) -> str:
    low, high = budget.get("amount_min"), budget.get("amount_max")
    if low is not None and high is not None and low != high:
        return f"{_money(low)} – {_money(high)}"
    return _money(low if low is not None else high) or "已提及"


def insight_cards(summary: dict[str, Any] | None, starts: dict[str, float]) -> list[Card]:
    """The summary's insights as cards; empty cards are kept (they say "not established")."""
    s = summary or {}
    budget = s.get("budget")
    systems = {
        (x.get("name"), (x.get("evidence") or {}).get("utterance_id")): x
        for x in [*s.get("competitors", []), *s.get("systems", [])]
    }
    return [
        Card("budget", "预算", [_item(budget, _budget_text(budget), starts)] if budget else []),
        Card(
            "decision",
            "决策链",
            [
                _item(d, d.get("name", "") + (f"（{d['role']}）" if d.get("role") else ""), starts)
                for d in s.get("decision_chain", [])
            ],
        ),
        Card(
            "pain", "痛点", [_item(p, p.get("text", ""), starts) for p in s.get("pain_points", [])]
        ),
        Card(
            "objections",
            "异议",
            [_item(o, o.get("text", ""), starts) for o in s.get("objections", [])],
        ),
        Card(
            "systems",
            "竞品与系统",
            [_item(x, str(x.get("name", "")), starts) for x in systems.values()],
        ),
        Card(
            "commitments",
            "承诺",
            [
                _item(
                    c,
                    f"{WHO_LABELS.get(c.get('who', ''), '')}：{c.get('what', '')}"
                    + (f"（{c['due']}）" if c.get("due") else ""),
                    starts,
                )
                for c in s.get("commitments", [])
            ],
        ),
    ]


def _suggestions(session: Session, call: Call, starts: dict[str, float]) -> list[ShownSuggestion]:
    """The suggestions the panel showed (the last of each line: a provisional one is
    replaced by the final), with the rep's latest feedback on each entry in this call."""
    events = session.scalars(
        select(CallEvent)
        .where(CallEvent.call_id == call.id, CallEvent.type == "suggestion")
        .order_by(CallEvent.seq)
    )
    per_line: dict[str, dict[str, Any]] = {}
    for event in events:
        per_line[str(event.payload.get("segment_id", ""))] = event.payload
    feedback: dict[str, str] = {}
    for row in session.scalars(
        select(SuggestionFeedback)
        .where(SuggestionFeedback.call_id == call.id, SuggestionFeedback.org_id == call.org_id)
        .order_by(SuggestionFeedback.created_at, SuggestionFeedback.id)
    ):
        feedback[row.entry_id] = row.action
    shown = []
    for segment_id, payload in per_line.items():
        result = payload.get("result") or {}
        for suggestion in result.get("suggestions", []):
            entry_id = str(suggestion.get("id", ""))
            shown.append(
                ShownSuggestion(
                    segment_id=segment_id,
                    start=starts.get(segment_id),
                    objection=result.get("objection"),
                    entry_id=entry_id,
                    title=str(suggestion.get("title", "")),
                    text=str(suggestion.get("text", "")),
                    feedback=feedback.get(entry_id),
                )
            )
    return sorted(shown, key=lambda s: (s.start is None, s.start or 0.0))


def load_detail(session: Session, call: Call, crm: CrmConfig, *, has_recording: bool) -> CallDetail:
    """Everything the page shows of ``call`` (already checked visible to the viewer)."""
    segments = repo.list_segments(session, call.id)
    starts = {s.segment_id: s.start for s in segments}
    flags = list(
        session.scalars(
            select(Flag)
            .where(Flag.call_id == call.id, Flag.org_id == call.org_id)
            .order_by(Flag.created_at, Flag.id)
        )
    )
    at_line: dict[str, list[Flag]] = {}
    for flag in flags:
        if flag.segment_id is not None:
            at_line.setdefault(flag.segment_id, []).append(flag)
    lines = [
        Line(s.segment_id, s.speaker, s.start, mask_text(s.text), at_line.get(s.segment_id, []))
        for s in segments
    ]
    summary = call.summary or {}
    states = filing.review_states(call)
    followups = list(
        session.scalars(
            select(FollowUp).where(FollowUp.call_id == call.id).order_by(FollowUp.due_date)
        )
    )
    return CallDetail(
        call=call,
        lines=lines,
        cards=insight_cards(summary, starts),
        suggestions=_suggestions(session, call, starts),
        flags=flags,
        summary_text=mask_text(str(summary.get("summary_text", ""))),
        review=[(REVIEW_LABELS[name], states[name]) for name in REVIEW_FIELDS],
        delivery=status_of(session, call.id, config=crm),
        followups=followups,
        has_recording=has_recording,
    )
