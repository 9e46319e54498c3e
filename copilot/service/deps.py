"""Request plumbing shared by the HTTP routes: errors, the caller's identity, the state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from copilot.auth import AuthError, Principal, authenticate_api_key, bearer_from_header
from copilot.service.state import ServiceState
from copilot.store import repo
from copilot.store.models import Call


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str = "call") -> ApiError:
    # The same answer whether it does not exist or belongs to someone else: no leaks.
    return ApiError(404, "not_found", f"{what} not found")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_principal(
    state: StateDep, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The caller, from ``Authorization: Bearer <api key>`` (sync: runs in a thread)."""
    if not authorization:
        raise ApiError(401, "unauthenticated", "missing Authorization: Bearer <api key>")
    try:
        key = bearer_from_header(authorization)
        with state.sessions.begin() as session:
            return authenticate_api_key(session, key)
    except AuthError as exc:
        raise ApiError(401, "unauthenticated", str(exc)) from exc


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise ApiError(403, "forbidden", f"this needs the role {' or '.join(roles)}")


def visible_call(session: Session, principal: Principal, call_id: str) -> Call:
    """The call if the principal may see it; the same 404 whether missing or not theirs."""
    call = repo.get_visible_call(session, principal, call_id)
    if call is None:
        raise not_found()
    return call


def check_text_size(state: ServiceState, text: str | bytes) -> None:
    size = len(text.encode() if isinstance(text, str) else text)
    limit = state.settings.service.max_text_bytes
    if size > limit:
        raise ApiError(413, "too_large", f"{size} bytes of text; the limit is {limit}")
