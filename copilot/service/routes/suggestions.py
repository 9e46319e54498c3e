"""Suggested answers from the knowledge base, and the rep's feedback on them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from copilot.principal import Principal
from copilot.service.deps import Permit, StateDep, call_for, check_text_size
from copilot.service.routes.models import Body
from copilot.store import repo
from retrieval.suggest import SuggestResult
from retrieval.text import tail_window

router = APIRouter(tags=["suggestions"])


class SuggestRequest(Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    k: int = Field(default=3, ge=1, le=10)


@router.post("/suggest")
def suggest(
    body: SuggestRequest,
    principal: Annotated[Principal, Depends(Permit("suggestions.suggest"))],
    state: StateDep,
) -> SuggestResult:
    """The best approved answers to what the customer said (CONTRACT ``SuggestResult``)."""
    check_text_size(state, body.text)
    if body.call_id is not None:
        with state.sessions() as session:
            call_for(session, principal, body.call_id, "suggestions.suggest")
    feedback = state.feedback_for(principal.org_id)
    # The service's configured extractor reads the objections and competitors, as in a live
    # call; a suggester handed to the app may have been built with another one, or none. It
    # reads the same tail of a long text that the suggester ranks for.
    said = tail_window(body.text, state.settings.retrieval.query_window_chars)
    engines = state.engines_for(principal.org_id)  # with the org's own KB and vendors
    insights = engines.extractor.extract(said, speaker="customer")
    return engines.suggester.suggest(body.text, insights, k=body.k, feedback=feedback)


class FeedbackRequest(Body):
    entry_id: str = Field(min_length=1, max_length=100)
    action: Literal["used", "dismissed"]
    call_id: str | None = Field(default=None, max_length=64)


@router.post("/suggestions/feedback", status_code=204)
def feedback(
    body: FeedbackRequest,
    principal: Annotated[Principal, Depends(Permit("suggestions.feedback"))],
    state: StateDep,
) -> Response:
    with state.sessions.begin() as session:
        # The client's call id, resolved in its org to the stored one.
        call_id = None
        if body.call_id is not None:
            call_id = call_for(session, principal, body.call_id, "suggestions.feedback").id
        repo.add_feedback(
            session,
            org_id=principal.org_id,
            user_id=principal.user_id,
            entry_id=body.entry_id,
            action=body.action,
            call_id=call_id,
        )
    state.feedback_for(principal.org_id).record(body.entry_id, body.action)
    return Response(status_code=204)
