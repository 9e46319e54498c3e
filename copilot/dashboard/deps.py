"""Request plumbing of the dashboard: the database, the signed-in viewer, posted forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from copilot.auth import AuthError, Forbidden, Principal, principal_for
from copilot.dashboard import session as cookies
from copilot.dashboard.errors import DashboardError, LoginRequired, bad_request, forbidden
from copilot.permissions import Action, authorize
from copilot.service.ratelimit import RateLimiter, app_limiter
from copilot.settings import Settings
from copilot.store.models import ApiKey, User, utcnow
from copilot.store.unstorable import unstorable

# A review comment is at most 2000 characters; percent-encoded, a Chinese character takes 9
# bytes, so a full comment is ~18 KB and anything past this cap is not one of our forms.
MAX_FORM_BYTES = 32_768
_FORM_TYPE = "application/x-www-form-urlencoded"


class Backend(Protocol):
    """What the dashboard needs of the running service (``app.state.service``)."""

    sessions: sessionmaker[Session]
    settings: Settings


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.service
    return backend


BackendDep = Annotated[Backend, Depends(get_backend)]


def signing_key(backend: Backend) -> bytes:
    return cookies.signing_key(backend.settings.auth)


@dataclass(frozen=True)
class Viewer:
    """The signed-in manager or admin, with the CSRF token their forms must carry."""

    principal: Principal
    name: str
    session: cookies.DashboardSession
    csrf: str

    @property
    def role(self) -> str:
        return self.principal.role


def _still_valid(db: Session, session: cookies.DashboardSession) -> User:
    """The session's user, if its key and account still stand as when it was issued."""
    now = utcnow()
    key = db.get(ApiKey, session.key_id)
    user = db.get(User, session.principal.user_id)
    if key is None or user is None or key.user_id != user.id or not user.active:
        raise LoginRequired()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise LoginRequired()
    try:
        current = principal_for(user)
    except AuthError:
        raise LoginRequired() from None
    # A changed role or team changes what the person may see: they sign in again.
    if current != session.principal:
        raise LoginRequired()
    # Logged out (or never stored): a saved copy of the cookie opens nothing.
    if not cookies.is_active(db, session, now=now):
        raise LoginRequired()
    return user


def require_permission(principal: Principal, action: Action = "dashboard.use") -> None:
    """The permission table's check for every dashboard page and action (403 page)."""
    try:
        authorize(principal, action)
    except Forbidden:
        raise forbidden("仪表盘仅供经理和管理员使用。") from None


def get_viewer(request: Request, backend: BackendDep) -> Viewer:
    """The person behind the session cookie (sync: its lookups run in a worker thread)."""
    key = signing_key(backend)
    try:
        session = cookies.verify(request.cookies.get(cookies.COOKIE_NAME), key)
    except cookies.SessionInvalid:
        raise LoginRequired() from None
    require_permission(session.principal)
    with backend.sessions() as db:
        user = _still_valid(db, session)
        name = user.name
    return Viewer(session.principal, name, session, cookies.csrf_token(session, key))


ViewerDep = Annotated[Viewer, Depends(get_viewer)]


async def read_form(request: Request) -> dict[str, str]:
    """A posted ``application/x-www-form-urlencoded`` body (the only kind our forms send).

    Read here rather than with ``Form()`` so the dashboard needs no multipart parser, and
    so the size is capped while reading.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise bad_request("请通过页面上的表单提交。")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise DashboardError(413, "内容过长", "提交的内容过长。")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=20, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise bad_request("表单内容无法解析。") from None
    form = dict(pairs)
    if unstorable(form) is not None:
        raise bad_request("表单内容含有无法保存的字符（NUL）。")
    return form


FormDep = Annotated[dict[str, str], Depends(read_form)]


def limiter(request: Request, backend: Backend) -> RateLimiter:
    """The service's rate limiter (shared with the API: one per process)."""
    return app_limiter(request.app.state, backend.settings.service.rate_limits)


def client_ip(request: Request) -> str:
    # Behind a proxy, uvicorn's --proxy-headers puts the real client here.
    return request.client.host if request.client is not None else "unknown"


def require_csrf(viewer: Viewer, form: dict[str, str], backend: Backend) -> None:
    if not cookies.csrf_valid(viewer.session, signing_key(backend), form.get("csrf_token")):
        raise forbidden("页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试。")


def safe_next(target: str | None, default: str = "/dashboard/flags") -> str:
    """``target`` if it is a dashboard path on this site, else ``default`` (no open redirect)."""
    if not target or "\\" in target or any(ord(ch) < 0x20 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    if parts.path != "/dashboard" and not parts.path.startswith("/dashboard/"):
        return default
    # Browsers resolve dot segments (also percent-encoded ones) before following a redirect.
    if parts.path.startswith("/dashboard/login") or ".." in target or "%2e" in target.lower():
        return default
    return target
