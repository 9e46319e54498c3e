"""Checking outgoing messages, and the rep's decision to send one anyway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from compliance import ScanResult
from copilot.principal import Principal
from copilot.service.deps import Permit, StateDep, call_for, check_text_size, flag_for
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
def scan(
    body: ScanRequest,
    principal: Annotated[Principal, Depends(Permit("compliance.scan"))],
    state: StateDep,
) -> ScanAnswer:
    """Check an outgoing message; flags are stored for the manager's audit."""
    check_text_size(state, body.text)
    result = state.scanner_for(principal.org_id).scan(body.text)
    answer = ScanAnswer(**result.model_dump())
    if result.flags:
        with state.sessions.begin() as session:
            # The client's call id, resolved in its org to the stored one.
            call_id = None
            if body.call_id is not None:
                call_id = call_for(session, principal, body.call_id, "compliance.scan").id
            answer.flag_ids = repo.add_message_flags(
                session, principal, result.flags, body.text, call_id, body.channel
            )
    return answer


class OverrideRequest(Body):
    flag_ids: list[str] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/override", status_code=204)
def override(
    body: OverrideRequest,
    principal: Annotated[Principal, Depends(Permit("compliance.override"))],
    state: StateDep,
) -> Response:
    """The rep sent a flagged message anyway, with a reason: recorded for the audit."""
    with state.sessions.begin() as session:
        for flag_id in body.flag_ids:
            flag_for(session, principal, flag_id, "compliance.override")
        repo.override_flags(session, principal, body.flag_ids, body.reason)
    return Response(status_code=204)
