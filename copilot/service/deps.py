"""Request plumbing shared by the HTTP routes: errors, the caller's identity, the state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from copilot.auth import AuthError, Principal, authenticate_api_key, bearer_from_header
from copilot.permissions import Action, Owner, authorize
from copilot.service.logs import bind_log_context
from copilot.service.ratelimit import LIMITED, app_limiter
from copilot.service.state import ServiceState
from copilot.store import repo
from copilot.store.models import Call, Flag, User


class ApiError(Exception):
    """An error answered as ``{"error": {"code", "message"}}`` with an HTTP status."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def not_found(what: str = "call") -> ApiError:
    # The same answer whether it does not exist or belongs to someone else: no leaks.
    return ApiError(404, "not_found", f"{what} not found")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


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
            principal = authenticate_api_key(session, key)
    except AuthError as exc:
        raise ApiError(401, "unauthenticated", str(exc)) from exc
    bind_log_context(org_id=principal.org_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Permit:
    """The dependency every route names its action with (``copilot.permissions``): the
    caller, if their role may do ``action`` at all and they are within its rate limit.

    The scope check (whose call or flag) follows once the row is loaded: :func:`call_for`,
    :func:`flag_for`, :func:`check_owner`.
    """

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, request: Request, principal: PrincipalDep, state: StateDep) -> Principal:
        authorize(principal, self.action)
        limited = LIMITED.get(self.action)
        if limited is not None:
            limiter = app_limiter(request.app.state, state.settings.service.rate_limits)
            wait = limiter.take(limited, principal.user_id)
            if wait is not None:
                raise too_many_requests(wait)
        return principal


def too_many_requests(wait_s: float) -> ApiError:
    seconds = str(int(wait_s))
    return ApiError(
        429, "rate_limited", f"too many requests; retry in {seconds} s", {"Retry-After": seconds}
    )


def owner_of(session: Session, org_id: str, rep_id: str) -> Owner:
    """Whose data a row of ``rep_id`` is, with the rep's current team."""
    rep = session.get(User, rep_id)
    return Owner(org_id, rep_id, rep.team_id if rep is not None else None)


def check_owner(session: Session, principal: Principal, action: Action, rep_id: str) -> None:
    """403 unless ``rep_id``'s data (in the caller's org) is within the action's scope."""
    rep = session.get(User, rep_id)
    # Nobody by that id is in no scope: the same 403 as a rep of another team or org.
    owner = Owner(rep.org_id, rep.id, rep.team_id) if rep is not None else Owner("", rep_id, None)
    authorize(principal, action, owner)


def call_for(session: Session, principal: Principal, call_id: str, action: Action) -> Call:
    """The call for ``action``: 404 when the caller cannot see it, 403 when they can but
    it is outside the action's scope (a manager ending a rep's call)."""
    call = visible_call(session, principal, call_id)
    authorize(principal, action, owner_of(session, call.org_id, call.rep_id))
    return call


def flag_for(session: Session, principal: Principal, flag_id: str, action: Action) -> Flag:
    """The flag for ``action``, checked like :func:`call_for`."""
    flag = repo.get_flag(session, principal, flag_id)
    if flag is None:
        raise not_found("flag")
    authorize(principal, action, owner_of(session, flag.org_id, flag.rep_id))
    return flag


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
    too_large = text_too_large(state, len(text.encode() if isinstance(text, str) else text))
    if too_large is not None:
        raise too_large


def text_too_large(state: ServiceState, size: int) -> ApiError | None:
    """The 413 for ``size`` bytes of text past ``max_text_bytes``, else None."""
    limit = state.settings.service.max_text_bytes
    if size > limit:
        return ApiError(413, "too_large", f"{size} bytes of text; the limit is {limit}")
    return None
