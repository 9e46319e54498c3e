"""Calls as the recorder and the metrics hook leave them, written directly for the call
library's tests: segments, insights in the summary, flags, suggestions and feedback,
``call_metrics`` / ``call_tags`` rows, a CRM delivery."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.store import repo
from copilot.store.models import (
    Call,
    CallMetrics,
    CallTag,
    CrmOutbox,
    SuggestionFeedback,
    User,
    utcnow,
)

LINES = [
    ("rep", "您好，我是云帆科技的小李，本次通话会被录音"),
    ("customer", "我们今年的预算大概五十万，主要看用友的方案"),
    ("rep", "我们保证三个月内回本，效果绝对没问题"),
    ("customer", "价格太贵了，比金蝶贵不少"),
    ("rep", "我明天把报价单发您邮箱"),
]


def _evidence(segment_id: str, text: str) -> dict[str, Any]:
    return {"utterance_id": segment_id, "text": text}


SUMMARY: dict[str, Any] = {
    "summary_text": "客户预算五十万，关注价格，对比用友和金蝶。",
    "budget": {
        "amount_min": 500000,
        "amount_max": 500000,
        "evidence": _evidence("s1", "预算大概五十万"),
    },
    "decision_chain": [],
    "pain_points": [],
    "objections": [
        {"type": "price", "text": "价格太贵了", "evidence": _evidence("s3", "价格太贵了")}
    ],
    "competitors": [{"name": "金蝶", "evidence": _evidence("s3", "比金蝶贵不少")}],
    "systems": [{"name": "用友", "role": "mentioned", "evidence": _evidence("s1", "用友的方案")}],
    "commitments": [
        {
            "who": "rep",
            "what": "把报价单发您邮箱",
            "due": "明天",
            "evidence": _evidence("s4", "我明天把报价单发您邮箱"),
        }
    ],
}


def add_call(
    session: Session,
    rep: User,
    *,
    customer: str = "华为医院",
    started_at: datetime | None = None,
    duration_s: float = 300.0,
    lines: list[tuple[str, str]] = LINES,
    tags: dict[str, list[str]] | None = None,
    flags: int = 0,
    crm: str | None = None,
) -> Call:
    started = started_at or utcnow() - timedelta(hours=1)
    call = repo.create_call(
        session, org_id=rep.org_id, rep_id=rep.id, source="upload", status="ended",
        customer_name=customer, started_at=started,
    )  # fmt: skip
    call.duration_s = duration_s
    call.summary = dict(SUMMARY)
    for i, (speaker, text) in enumerate(lines):
        repo.add_segment(
            session, call.id, segment_id=f"s{i}", speaker=speaker, start=i * 10.0,
            end=i * 10.0 + 8, text=text,
        )  # fmt: skip
    session.add(
        CallMetrics(
            call_id=call.id,
            org_id=rep.org_id,
            rep_id=rep.id,
            team_id=rep.team_id,
            started_at=started,
            week=date(2026, 1, 5),
            duration_s=duration_s,
            rep_talk_s=1.0,
            customer_talk_s=1.0,
            talk_ratio=0.5,
            longest_monologue_s=1.0,
            rep_questions=0,
            question_rate=0.0,
            interactivity=1.0,
            patience_s=None,
            depth_score=40,
            depth={},
            objections=0,
            objections_answered=0,
            suggestions_shown=0,
            suggestions_used=0,
            suggestions_dismissed=0,
            flags=flags,
            version=1,
        )  # fmt: skip
    )
    for kind, values in (tags or {}).items():
        for value in values:
            session.add(CallTag(call_id=call.id, org_id=rep.org_id, kind=kind, value=value))
    if crm is not None:
        session.add(
            CrmOutbox(
                id=f"msg_{call.id}",
                org_id=rep.org_id,
                call_id=call.id,
                event_type=SUMMARY_CONFIRMED,
                payload={},
                status=crm,
            )  # fmt: skip
        )
    session.flush()
    return call


def add_suggestion(session: Session, call: Call, rep: User, *, used: str | None) -> None:
    repo.append_event(
        session, call.id, 1, "suggestion",
        {
            "type": "suggestion", "call_id": call.id, "seq": 1, "ts": 0.0, "segment_id": "s3",
            "provisional": False,
            "result": {
                "objection": "price",
                "suggestions": [
                    {"id": "kb-price-value", "kind": "script", "title": "价值拆分应对价格异议",
                     "text": "把价格拆到每天每人…", "tags": [], "score": 0.9}
                ],
            },
        },
    )  # fmt: skip
    if used is not None:
        session.add(
            SuggestionFeedback(
                org_id=rep.org_id,
                user_id=rep.id,
                call_id=call.id,
                entry_id="kb-price-value",
                action=used,
            )
        )
    session.flush()
