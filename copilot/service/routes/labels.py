"""Teaching the copilot: a rep corrects what it found in a segment of their call.

``POST /v1/calls/{id}/segments/{segment_id}/labels`` with ``{"add": [...], "remove": [...]}``
(label names of the segment's side, docs/learning.md) stores one labelled example of the org:
the segment's text with what the org's engines find in it now, plus ``add``, minus
``remove``. A flag's verdict (``POST /v1/flags/{id}/verdict``) stores one the same way. Past
``retrain_after`` new labels the org's model is retrained in the background.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from copilot.learning.corpus import BUDGET, DECISION_MAKER, Side
from copilot.principal import Principal
from copilot.service.deps import ApiError, Permit, StateDep, call_for
from copilot.service.pipeline import Engines
from copilot.service.routes.models import Body
from copilot.store import repo
from copilot.store.labels import add_label
from copilot.store.models import OrgLabel

router = APIRouter(tags=["labels"])

_SIDES: dict[str, Side] = {"customer": "customer", "rep": "rep"}


class Correction(Body):
    add: list[str] = Field(default_factory=list, max_length=30)
    remove: list[str] = Field(default_factory=list, max_length=30)
    # Needed only when the segment's speaker is unknown.
    side: Side | None = None


class LabelInfo(BaseModel):
    id: str
    side: str
    text: str
    labels: list[str]
    source: str
    subject_id: str | None


def found_labels(engines: Engines, side: Side, text: str) -> set[str]:
    """The label names the engines give ``text`` now (the model's and the rules' finds)."""
    if side == "rep":
        return {flag.category for flag in engines.scanner.scan(text).flags}
    insights = engines.extractor.extract(text, "customer")
    found = {f"objection:{o.type}" for o in insights.objections}
    found |= {f"pain:{p.category}" for p in insights.pain_points}
    if insights.decision_chain:
        found.add(DECISION_MAKER)
    if insights.budget is not None:
        found.add(BUDGET)
    return found


@router.post("/calls/{call_id}/segments/{segment_id}/labels", status_code=201)
def correct_segment(
    call_id: str,
    segment_id: str,
    body: Correction,
    principal: Annotated[Principal, Depends(Permit("labels.correct_insight"))],
    state: StateDep,
) -> LabelInfo:
    if set(body.add) & set(body.remove):
        raise ApiError(422, "invalid_body", "a label cannot be both added and removed")
    with state.sessions() as session:
        call = call_for(session, principal, call_id, "labels.correct_insight")
        segment = repo.get_segment(session, call.id, segment_id)
        if segment is None:
            raise ApiError(404, "not_found", "segment not found")
        side = _SIDES.get(segment.speaker) or body.side
        text = segment.text
        call_key = call.id
    if side is None:
        raise ApiError(422, "invalid_body", "the speaker is unknown: say which side it is")
    labels = (found_labels(state.engines_for(principal.org_id), side, text) | set(body.add)) - set(
        body.remove
    )
    with state.sessions.begin() as session:
        row = add_label(
            session,
            principal,
            side=side,
            text=text,
            labels=sorted(labels),
            taught=[*body.add, *body.remove],
            source="insight_correction",
            subject_id=f"{call_key}/{segment_id}",
        )
        info = label_info(row)
    state.retrainer.labels_added(principal.org_id)
    return info


def label_info(row: OrgLabel) -> LabelInfo:
    return LabelInfo.model_validate(row, from_attributes=True)
