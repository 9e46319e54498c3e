"""Suggested answers from the knowledge base, and the rep's feedback on them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import Field

from copilot.service.deps import PrincipalDep, StateDep, check_text_size, visible_call
from copilot.service.routes.models import Body
from copilot.store import repo
from retrieval.suggest import SuggestResult

router = APIRouter(tags=["suggestions"])


class SuggestRequest(Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    k: int = Field(default=3, ge=1, le=10)


@router.post("/suggest")
def suggest(body: SuggestRequest, principal: PrincipalDep, state: StateDep) -> SuggestResult:
    """The best approved answers to what the customer said (CONTRACT ``SuggestResult``)."""
    check_text_size(state, body.text)
    feedback = state.feedback_for(principal.org_id)
    return state.engines.suggester.suggest(body.text, None, k=body.k, feedback=feedback)


class FeedbackRequest(Body):
    entry_id: str = Field(min_length=1, max_length=100)
    action: Literal["used", "dismissed"]
    call_id: str | None = Field(default=None, max_length=64)


@router.post("/suggestions/feedback", status_code=204)
def feedback(body: FeedbackRequest, principal: PrincipalDep, state: StateDep) -> Response:
    with state.sessions.begin() as session:
        if body.call_id is not None:
            visible_call(session, principal, body.call_id)
        repo.add_feedback(
            session,
            org_id=principal.org_id,
            user_id=principal.user_id,
            entry_id=body.entry_id,
            action=body.action,
            call_id=body.call_id,
        )
    state.feedback_for(principal.org_id).record(body.entry_id, body.action)
    return Response(status_code=204)
