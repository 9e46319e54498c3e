"""Checking outgoing messages, and the rep's decision to send one anyway."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import Field

from compliance import ScanResult
from copilot.service.deps import PrincipalDep, StateDep, check_text_size, visible_call
from copilot.service.routes.models import Body
from copilot.store import repo

router = APIRouter(prefix="/compliance", tags=["compliance"])


class ScanRequest(Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)


class ScanAnswer(ScanResult):
    flag_ids: list[str] = Field(default_factory=list)


@router.post("/scan")
def scan(body: ScanRequest, principal: PrincipalDep, state: StateDep) -> ScanAnswer:
    """Check an outgoing message; flags are stored for the manager's audit."""
    check_text_size(state, body.text)
    result = state.scanner_for(principal.org_id).scan(body.text)
    answer = ScanAnswer(**result.model_dump())
    if result.flags:
        with state.sessions.begin() as session:
            if body.call_id is not None:
                visible_call(session, principal, body.call_id)
            answer.flag_ids = repo.add_message_flags(
                session, principal, result.flags, body.text, body.call_id, body.channel
            )
    return answer


class OverrideRequest(Body):
    flag_ids: list[str] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/override", status_code=204)
def override(body: OverrideRequest, principal: PrincipalDep, state: StateDep) -> Response:
    """The rep sent a flagged message anyway, with a reason: recorded for the audit."""
    with state.sessions.begin() as session:
        repo.override_flags(session, principal, body.flag_ids, body.reason)
    return Response(status_code=204)
