"""The ``Insights`` record of CONTRACT.md: what a customer said, each item with its evidence.

Fields beyond CONTRACT are additive only (budget ``kind``/``scope``/``total_amount``/
``estimate_*``, decision-chain ``kind``/``order``, competitor ``heard``, call-level
``budget_history``, system ``vendor``/``category``/``heard``), so a consumer written against
CONTRACT.md keeps working.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

# The objection types are the retrieval library's (it ranks by them and cannot import this
# package); defined once there, imported here for the insight modules.
from retrieval.schema import ObjectionType

Speaker = Literal["rep", "customer", "unknown"]
Period = Literal["year", "month", "one_time"]
PainCategory = Literal[
    "efficiency", "integration", "data", "delivery", "quality", "service", "cost"
]
BudgetKind = Literal["exact", "approximate", "range", "ceiling", "floor"]
MentionKind = Literal["person", "role", "body"]
# What a named system is to the customer: run now, must connect, weighed against us, or named.
SystemRole = Literal["competitor", "incumbent", "integration", "mentioned"]
# Where an item came from: the rules (exact, the default) or the learned model (recall).
Source = Literal["rule", "model"]

PAIN_CATEGORIES: tuple[PainCategory, ...] = (
    "efficiency",
    "integration",
    "data",
    "delivery",
    "quality",
    "service",
    "cost",
)

# Open bounds of a ceiling or floor, closed for ranking and scoring with the same convention as
# the devset gold: 「一百万以内」 is read as [800000, 1000000].
OPEN_BOUND_RATIO = 0.8


class Evidence(BaseModel):
    """The words an item came from, and which utterance said them."""

    utterance_id: str | None = None
    text: str

    def __str__(self) -> str:
        return f"「{self.text}」"


class Budget(BaseModel):
    amount_min: int | None = Field(default=None, ge=0)
    amount_max: int | None = Field(default=None, ge=0)
    currency: Literal["CNY"] = "CNY"
    period: Period | None = None
    evidence: Evidence
    kind: BudgetKind = "exact"
    # What the amount applies to when it is a share of a larger total (软件占一半 -> "软件").
    scope: str | None = None
    total_amount: int | None = Field(default=None, ge=0)
    # Derived, never read from input: both bounds closed (ceiling [80%, 100%], floor
    # [100%, 125%]), for sorting and scoring.
    estimate_min: int = 0
    estimate_max: int = 0

    @model_validator(mode="after")
    def _derive_estimate(self) -> Budget:
        if self.amount_min is None and self.amount_max is None:
            raise ValueError("a budget needs amount_min or amount_max")
        low, high = self.amount_min, self.amount_max
        if low is None:
            assert high is not None
            low = round(high * OPEN_BOUND_RATIO)
        if high is None:
            high = round(low / OPEN_BOUND_RATIO)
        if low > high:
            raise ValueError("amount_min is above amount_max")
        self.estimate_min, self.estimate_max = low, high
        return self

    def __str__(self) -> str:
        low = "…" if self.amount_min is None else f"{self.amount_min:,}"
        high = "…" if self.amount_max is None else f"{self.amount_max:,}"
        amount = low if self.amount_min == self.amount_max else f"{low} – {high}"
        per = {"year": "/年", "month": "/月", "one_time": " 一次性"}.get(self.period or "", "")
        total = (
            f"（总额 {self.total_amount:,}，{self.scope or '本项'}部分）"
            if self.total_amount
            else ""
        )
        return f"{amount} CNY{per} [{self.kind}]{total}"


# What a decision maker is called when a line says someone decides but not who (the learned
# model reads it; copilot/learning/combine.py).
UNNAMED_DECISION_MAKER = "决策人（未具名）"


class DecisionMaker(BaseModel):
    """Someone (or a body) in the decision chain; ``name`` is how they were called."""

    name: str
    role: str | None = None
    evidence: Evidence
    kind: MentionKind = "person"
    # Position in a stated approval sequence (先…然后…最后…), from 1; None when no order was said.
    order: int | None = None
    source: Source = "rule"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    def __str__(self) -> str:
        role = f"（{self.role}）" if self.role and self.role != self.name else ""
        step = f"{self.order}. " if self.order else ""
        return f"{step}{self.name}{role}"


class PainPoint(BaseModel):
    category: PainCategory
    text: str
    evidence: Evidence
    source: Source = "rule"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    def __str__(self) -> str:
        return f"{self.category}: {self.text}"


class Objection(BaseModel):
    type: ObjectionType
    text: str
    evidence: Evidence
    source: Source = "rule"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    def __str__(self) -> str:
        return f"{self.type}: {self.text}"


class Competitor(BaseModel):
    name: str
    evidence: Evidence
    # The words actually heard, when they differ from the canonical name (分享销客).
    heard: str | None = None

    def __str__(self) -> str:
        return self.name if not self.heard else f"{self.name}（听到「{self.heard}」）"


class System(BaseModel):
    """A software product or vendor the customer named, by its catalogue name."""

    name: str
    role: SystemRole = "mentioned"
    evidence: Evidence
    # Additive details: the maker of a product (用友U8 -> 用友), its catalogue category, and
    # the words heard when they differ from the name (金叠).
    vendor: str | None = None
    category: str | None = None
    heard: str | None = None
    # Who read the role: the rules' cue words, or the learned role reader where it read
    # another role (copilot/learning/roles.py), with its probability.
    source: Source = "rule"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    def __str__(self) -> str:
        heard = f"（听到「{self.heard}」）" if self.heard else ""
        return f"{self.name}{heard} [{self.role}]"


class Commitment(BaseModel):
    who: Literal["rep", "customer"]
    what: str
    due: str | None = None
    evidence: Evidence
    # Additive: ``due`` resolved to a calendar day against the call's date
    # (copilot.followups.resolve_due); None until resolved or when no day was said.
    due_date: date | None = None

    def __str__(self) -> str:
        due = f"，{self.due}" if self.due else ""
        return f"{self.who}: {self.what}{due}"


class Insights(BaseModel):
    budget: Budget | None = None
    decision_chain: list[DecisionMaker] = Field(default_factory=list)
    pain_points: list[PainPoint] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    competitors: list[Competitor] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    # CONTRACT version 2: every named system, one entry each (a competitor is in both lists).
    systems: list[System] = Field(default_factory=list)
    # Call level only: budgets stated earlier in the call, oldest first (the newest is `budget`).
    budget_history: list[Budget] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return self.budget is None and not any(
            (
                self.decision_chain,
                self.pain_points,
                self.objections,
                self.competitors,
                self.commitments,
                self.systems,
            )
        )

    def __str__(self) -> str:
        lines = []
        if self.budget:
            lines.append(f"预算   {self.budget}  {self.budget.evidence}")
        sections: list[tuple[str, list[BaseModel]]] = [
            ("决策链", list(self.decision_chain)),
            ("痛点", list(self.pain_points)),
            ("异议", list(self.objections)),
            ("竞品", list(self.competitors)),
            ("承诺", list(self.commitments)),
            ("系统", list(self.systems)),
        ]
        for title, items in sections:
            for item in items:
                lines.append(f"{title:<4} {item}  {getattr(item, 'evidence', '')}")
        return "\n".join(lines) if lines else "（没有发现预算、决策人、痛点、异议、竞品或承诺）"
