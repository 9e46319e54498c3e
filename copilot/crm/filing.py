"""What a confirmed call files to a CRM: the records it belongs to and what the rep approved.

A :class:`FilingRecord` is built once, when the rep confirms, from the call, its reviewed
summary and the rep; every CRM mapping (:mod:`copilot.crm.mapping`) renders its requests
from it and from nothing else, so a mapping can only send what the rep saw and approved.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from copilot.crm.acceptance import Acceptance
from copilot.insights.models import (
    Budget,
    Commitment,
    Competitor,
    DecisionMaker,
    Objection,
    PainPoint,
    System,
)

CrmId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# The summary's parts a rep approves or skips one by one before filing; ``next_steps`` are
# the commitments (each becomes a follow-up task).
REVIEW_FIELDS: tuple[str, ...] = (
    "summary_text",
    "next_steps",
    "budget",
    "decision_chain",
    "pain_points",
    "objections",
    "competitors",
)
ReviewField = Literal[
    "summary_text",
    "next_steps",
    "budget",
    "decision_chain",
    "pain_points",
    "objections",
    "competitors",
]
ReviewState = Literal["pending", "approved", "skipped"]


class CrmIdentity(BaseModel):
    """The CRM records a call belongs to; every id is the CRM's own."""

    model_config = ConfigDict(extra="forbid")

    account_id: CrmId | None = None  # company / 客户
    account_name: CrmId | None = None
    opportunity_id: CrmId | None = None  # opportunity / deal / 商机
    opportunity_name: CrmId | None = None
    contact_id: CrmId | None = None  # person / 联系人
    contact_name: CrmId | None = None
    crm_user_id: CrmId | None = None  # the rep as a CRM user (owner of the activity)

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())

    def filled_from(self, other: CrmIdentity) -> CrmIdentity:
        """This identity with its gaps filled from ``other``."""
        mine = self.model_dump()
        theirs = other.model_dump()
        return CrmIdentity(**{k: mine[k] if mine[k] is not None else theirs[k] for k in mine})


class FilingRep(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    email: str
    crm_user_id: str | None = None


class FilingTask(BaseModel):
    """A follow-up the call committed someone to: a CRM task with an owner and a due date."""

    model_config = ConfigDict(frozen=True)

    id: str
    subject: str  # 发报价单给孙总
    owner: Literal["rep", "customer"]
    # Resolved from what was said (下周三, 月底前) against the call's date; None when the
    # call named no time.
    due_date: date | None = None
    due_text: str | None = None
    evidence: str = ""


class FilingRecord(BaseModel):
    """One confirmed call as every CRM mapping sees it. Skipped fields are empty."""

    model_config = ConfigDict(frozen=True)

    event_id: str  # the outbox message id: the CRM's idempotency key
    org_id: str
    call_id: str
    source: str  # stream | upload | transcript
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    confirmed_at: datetime
    confirmed_by: str
    rep: FilingRep
    identity: CrmIdentity
    # field -> approved | skipped (pending fields are approved by the confirm click)
    review: dict[str, ReviewState] = Field(default_factory=dict)
    summary_text: str = ""
    budget: Budget | None = None
    decision_chain: list[DecisionMaker] = Field(default_factory=list)
    pain_points: list[PainPoint] = Field(default_factory=list)
    objections: list[Objection] = Field(default_factory=list)
    competitors: list[Competitor] = Field(default_factory=list)
    systems: list[System] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    tasks: list[FilingTask] = Field(default_factory=list)


class CrmRequest(BaseModel):
    """One HTTP request a mapping renders: sent in order, relative to the org's CRM URL."""

    model_config = ConfigDict(frozen=True)

    method: Literal["POST", "PUT", "PATCH"]
    path: str  # appended to the configured base URL; "" posts to it as is
    body: dict[str, object]
    # How a 2xx answer is read (copilot.crm.acceptance): by its status alone, or by the
    # body where the CRM answers 200 to refusals too.
    accept: Acceptance = "status"
