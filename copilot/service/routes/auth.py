"""Socket tokens: browsers cannot put an Authorization header on a WebSocket."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from copilot.auth import issue_socket_token
from copilot.principal import Principal
from copilot.service.deps import Permit, StateDep, call_for
from copilot.service.routes.models import Body
from copilot.store import repo

router = APIRouter(prefix="/auth", tags=["auth"])


class SocketTokenRequest(Body):
    call_id: str = Field(min_length=1, max_length=64)


class SocketToken(BaseModel):
    token: str
    expires_at: float


@router.post("/socket-token")
def socket_token(
    body: SocketTokenRequest,
    principal: Annotated[Principal, Depends(Permit("auth.socket_token"))],
    state: StateDep,
) -> SocketToken:
    """A short-lived token for the WebSockets of one call, named as the client names it.

    Ids are resolved in the caller's org only: an id no call of the org has is a new call
    (the audio socket creates it), whether or not another org uses it; the same query and
    answer either way, so this endpoint tells nothing about other tenants.
    """
    with state.sessions() as session:
        if repo.find_call(session, principal.org_id, body.call_id) is not None:
            # 404 for a colleague's call the caller may not see, 403 for one out of scope.
            call_for(session, principal, body.call_id, "auth.socket_token")
    ttl = state.settings.auth.socket_token_ttl_s
    token = issue_socket_token(principal, body.call_id, ttl, state.settings.auth)
    return SocketToken(token=token, expires_at=time.time() + ttl)
