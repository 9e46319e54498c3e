"""The rep's review before filing: the summary as fields, each edited, approved or skipped,
and the CRM records the call belongs to.

``GET /v1/calls/{id}/review``, ``PATCH /v1/calls/{id}/review/{field}`` with
``{"value"?, "state"?}``, ``PUT /v1/calls/{id}/crm`` with a CrmIdentity. The confirm that
files the call is ``POST /v1/calls/{id}/confirm`` (routes/calls.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from copilot.crm import outbox
from copilot.crm.filing import REVIEW_FIELDS, CrmIdentity, ReviewState
from copilot.crm.models import DeliveryStatus
from copilot.crm.records import said_on
from copilot.followups import dated
from copilot.insights.models import Commitment
from copilot.principal import Principal
from copilot.service.deps import ApiError, Permit, StateDep, call_for
from copilot.service.routes.models import Body
from copilot.service.state import ServiceState
from copilot.store import filing
from copilot.store.models import Call

router = APIRouter(prefix="/calls", tags=["review"])

LABELS = {
    "summary_text": "总结",
    "next_steps": "下一步与承诺",
    "budget": "预算",
    "decision_chain": "决策链",
    "pain_points": "痛点",
    "objections": "异议",
    "competitors": "竞品",
}


class ReviewField(BaseModel):
    name: str
    label: str
    state: ReviewState
    value: Any


class Review(BaseModel):
    call_id: str
    status: str
    customer_name: str
    identity: CrmIdentity
    fields: list[ReviewField]
    delivery: DeliveryStatus | None = None


class FieldChange(Body):
    # Present (null included, e.g. no budget after all): an edit. Absent: only the state.
    value: Any = None
    state: ReviewState | None = None


class IdentityChange(CrmIdentity):
    customer_name: str | None = Field(default=None, max_length=200)


class Linked(BaseModel):
    identity: CrmIdentity
    customer_name: str


def review_of(state: ServiceState, session: Session, call: Call) -> Review:
    if call.summary is None:
        raise ApiError(409, "not_ready", f"the call is {call.status}; no summary yet")
    states = filing.review_states(call)
    return Review(
        call_id=call.id,
        status=call.status,
        customer_name=call.customer_name,
        identity=filing.identity_of(call),
        fields=[
            ReviewField(
                name=name,
                label=LABELS[name],
                state=states[name],
                value=_shown(call, name),
            )
            for name in REVIEW_FIELDS
        ],
        delivery=outbox.status_of(session, call.id, config=state.settings.crm),
    )


def _shown(call: Call, name: str) -> Any:
    """A field's value as the rep reviews it: next steps carry the date their words name
    (周四之前 → the Thursday after the call), which the rep can change."""
    value = filing.field_value(call, name)
    if name != "next_steps" or not value:
        return value
    day = said_on(call)
    return [dated(Commitment.model_validate(c), day).model_dump(mode="json") for c in value]


@router.get("/{call_id}/review")
def get_review(
    call_id: str, principal: Annotated[Principal, Depends(Permit("calls.read"))], state: StateDep
) -> Review:
    with state.sessions() as session:
        return review_of(state, session, call_for(session, principal, call_id, "calls.read"))


@router.patch("/{call_id}/review/{name}")
def change_field(
    call_id: str,
    name: str,
    body: FieldChange,
    principal: Annotated[Principal, Depends(Permit("calls.edit_summary"))],
    state: StateDep,
) -> Review:
    """Edit a field (its value; it becomes approved) or approve / skip it; one audit record."""
    if name not in LABELS:
        raise ApiError(404, "not_found", f"no summary field {name!r}; fields: {', '.join(LABELS)}")
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "calls.edit_summary")
        filing.review_field(
            session,
            call,
            principal,
            name,
            value=body.value,
            edit="value" in body.model_fields_set,
            state=body.state,
        )
        return review_of(state, session, call)


@router.put("/{call_id}/crm")
def link_crm(
    call_id: str,
    body: IdentityChange,
    principal: Annotated[Principal, Depends(Permit("calls.edit_summary"))],
    state: StateDep,
) -> Linked:
    """File the call under these CRM records (and remember them for this customer)."""
    identity = CrmIdentity.model_validate(body.model_dump(exclude={"customer_name"}))
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "calls.edit_summary")
        filing.link_crm(session, call, principal, identity, customer_name=body.customer_name)
        return Linked(identity=filing.identity_of(call), customer_name=call.customer_name)
