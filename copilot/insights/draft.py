"""What the LLM must fill: :class:`Insights` without ids, every item quoting its evidence.

Kept flat and with every field required so that strict JSON-schema modes (OpenAI structured
outputs, vLLM guided decoding) accept it. ``prompts/insights.v1.md`` names this class.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.insights.models import BudgetKind, ObjectionType, PainCategory, Period


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftBudget(_Draft):
    amount_min: int | None = Field(description="下限，人民币元；只有上限时为 null")
    amount_max: int | None = Field(description="上限，人民币元；只有下限时为 null")
    period: Period | None
    kind: BudgetKind
    evidence: str = Field(description="原话中说出这笔钱的那一段，逐字摘录")


class DraftDecisionMaker(_Draft):
    name: str
    role: str | None
    evidence: str


class DraftPainPoint(_Draft):
    category: PainCategory
    text: str
    evidence: str


class DraftObjection(_Draft):
    type: ObjectionType
    text: str
    evidence: str


class DraftCompetitor(_Draft):
    name: str
    evidence: str


class DraftCommitment(_Draft):
    who: Literal["rep", "customer"]
    what: str
    due: str | None
    evidence: str


class InsightsDraft(_Draft):
    budget: DraftBudget | None
    decision_chain: list[DraftDecisionMaker]
    pain_points: list[DraftPainPoint]
    objections: list[DraftObjection]
    competitors: list[DraftCompetitor]
    commitments: list[DraftCommitment]
