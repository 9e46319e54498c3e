"""Socket tokens: browsers cannot put an Authorization header on a WebSocket."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from copilot.auth import issue_socket_token
from copilot.service.deps import PrincipalDep, StateDep, visible_call
from copilot.service.routes.models import Body
from copilot.store.models import Call

router = APIRouter(prefix="/auth", tags=["auth"])


class SocketTokenRequest(Body):
    call_id: str = Field(min_length=1, max_length=64)


class SocketToken(BaseModel):
    token: str
    expires_at: float


@router.post("/socket-token")
def socket_token(body: SocketTokenRequest, principal: PrincipalDep, state: StateDep) -> SocketToken:
    """A short-lived token for the WebSockets of one call."""
    with state.sessions() as session:
        call = session.get(Call, body.call_id)
        # A new call id is fine (the audio socket creates it); someone else's is not.
        if call is not None:
            visible_call(session, principal, body.call_id)
    ttl = state.settings.auth.socket_token_ttl_s
    token = issue_socket_token(principal, body.call_id, ttl, state.settings.auth)
    return SocketToken(token=token, expires_at=time.time() + ttl)
