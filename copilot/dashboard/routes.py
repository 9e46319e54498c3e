"""The dashboard's pages: login, flags (filter, review, CSV export), one flag, audit trail.

Reading and writing go through the store's visibility-scoped functions, so a manager only
ever touches their team's flags and nobody another org's; reviews are audited by
``repo.set_flag_status`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from copilot.auth import AuthError, Forbidden, authenticate_api_key
from copilot.dashboard import queries
from copilot.dashboard import session as cookies
from copilot.dashboard.csv_export import flags_csv
from copilot.dashboard.deps import (
    Backend,
    BackendDep,
    FormDep,
    Viewer,
    ViewerDep,
    client_ip,
    limiter,
    require_csrf,
    require_permission,
    safe_next,
    signing_key,
)
from copilot.dashboard.errors import DashboardRoute, bad_request, forbidden, not_found
from copilot.dashboard.filters import FilterError, FlagFilter, parse_flag_filter, parse_page
from copilot.dashboard.present import DISPLAY_TZ
from copilot.dashboard.render import error_page, page, static_file
from copilot.dashboard.views import (
    STEP_LABELS,
    STEP_PATHS,
    Pager,
    SummaryRow,
    audit_row,
    flag_row,
    user_name,
)
from copilot.permissions import authorize
from copilot.store import audit, repo
from copilot.store.flags import FlagStatus
from copilot.store.keys import parse_key
from copilot.store.models import ApiKey, User, utcnow

logger = logging.getLogger(__name__)
router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=DashboardRoute
)
MAX_COMMENT_CHARS = 2000


# -- login -----------------------------------------------------------------------------


def _set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: timedelta
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path=cookies.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        # Secure only over HTTPS: a self-hosted instance on http://127.0.0.1 must still work.
        # Behind a TLS proxy, run uvicorn with --proxy-headers so the scheme reads https.
        secure=request.url.scheme == "https",
    )


def _login_page(
    request: Request, backend: Backend, next_url: str, error: str | None, status: int = 200
) -> Response:
    nonce = cookies.new_login_nonce()
    response = page(
        "login.html",
        status=status,
        error=error,
        next_url=next_url,
        csrf=cookies.login_token(nonce, signing_key(backend)),
    )
    _set_cookie(response, request, cookies.LOGIN_COOKIE_NAME, nonce, cookies.LOGIN_TTL)
    return response


@router.get("")
def home() -> Response:
    return RedirectResponse("/dashboard/flags", status_code=303)


@router.get("/login")
def login_form(request: Request, backend: BackendDep) -> Response:
    return _login_page(request, backend, safe_next(request.query_params.get("next")), None)


@router.post("/login")
def login(request: Request, backend: BackendDep, form: FormDep) -> Response:
    """Check the pasted API key; a manager or admin gets the session cookie.

    Throttled per client IP and per account (the key id typed in); each form's token is good
    for one submission; a refused key that names a stored one is audited in its org (the
    secret never is).
    """
    key = signing_key(backend)
    next_url = safe_next(form.get("next"))
    ip = client_ip(request)
    limits = limiter(request, backend)
    if (wait := limits.take("login_ip", ip)) is not None:
        return _throttled(request, backend, next_url, wait)
    nonce = request.cookies.get(cookies.LOGIN_COOKIE_NAME)
    expired = "页面已过期，请重新输入 API 密钥。"
    if nonce is None or not cookies.login_token_valid(nonce, key, form.get("csrf_token")):
        return _login_page(request, backend, next_url, expired, status=403)
    with backend.sessions.begin() as db:
        fresh = cookies.consume_login_nonce(db, nonce)
    if not fresh:
        return _login_page(request, backend, next_url, expired, status=403)
    api_key = form.get("api_key", "").strip()
    if not api_key:
        return _login_page(request, backend, next_url, "请输入 API 密钥。", status=400)
    parsed = parse_key(api_key)
    if parsed is not None and (wait := limits.take("login_account", parsed.key_id)) is not None:
        return _throttled(request, backend, next_url, wait)
    try:
        with backend.sessions.begin() as db:
            principal = authenticate_api_key(db, api_key)
    except AuthError:
        _failed_login(backend, parsed.key_id if parsed else None, ip, "invalid_key")
        message = "API 密钥无效、已过期或已被吊销。"
        return _login_page(request, backend, next_url, message, status=401)
    assert parsed is not None  # authenticate_api_key accepted it
    try:
        authorize(principal, "dashboard.use")
    except Forbidden:
        _failed_login(backend, parsed.key_id, ip, "role")
        message = "仪表盘仅供经理和管理员使用；销售请在侧边栏查看自己的合规提示。"
        raise forbidden(message) from None
    value, session = cookies.issue(principal, parsed.key_id, key)
    with backend.sessions.begin() as db:
        cookies.record(db, session)
        audit.append(
            db, principal.org_id, principal, "dashboard.login", "user", principal.user_id,
            {"key_id": parsed.key_id, "ip": ip},
        )  # fmt: skip
    response = RedirectResponse(next_url, status_code=303)
    _set_cookie(response, request, cookies.COOKIE_NAME, value, cookies.SESSION_TTL)
    response.delete_cookie(cookies.LOGIN_COOKIE_NAME, path=cookies.COOKIE_PATH)
    return response


def _throttled(request: Request, backend: Backend, next_url: str, wait_s: float) -> Response:
    seconds = str(int(wait_s))
    message = f"登录尝试过于频繁，请 {seconds} 秒后再试。"
    response = _login_page(request, backend, next_url, message, status=429)
    response.headers["Retry-After"] = seconds
    return response


def _failed_login(backend: Backend, key_id: str | None, ip: str, reason: str) -> None:
    """A refused sign-in: audited in the org of the key it names, else only logged (a
    string that names no stored key belongs to no org's chain)."""
    with backend.sessions.begin() as db:
        row = db.get(ApiKey, key_id) if key_id is not None else None
        if row is None:
            logger.warning("dashboard sign-in with an unknown key from %s (%s)", ip, reason)
            return
        audit.append(
            db, row.org_id, None, "dashboard.login_failed", "user", row.user_id,
            {"key_id": row.id, "ip": ip, "reason": reason},
        )  # fmt: skip


@router.post("/logout")
def logout(request: Request, backend: BackendDep, form: FormDep) -> Response:
    """End the session server-side: the cookie, even a saved copy, opens nothing after it."""
    key = signing_key(backend)
    try:
        session = cookies.verify(request.cookies.get(cookies.COOKIE_NAME), key)
    except cookies.SessionInvalid:
        session = None  # nothing to protect: just clear whatever the browser holds
    if session is not None:
        if not cookies.csrf_valid(session, key, form.get("csrf_token")):
            raise forbidden("页面已过期（CSRF 校验失败），请刷新页面后重试。")
        who = session.principal
        with backend.sessions.begin() as db:
            if cookies.revoke(db, session.session_id):
                audit.append(
                    db, who.org_id, who, "dashboard.logout", "user", who.user_id,
                    {"key_id": session.key_id},
                )  # fmt: skip
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(cookies.COOKIE_NAME, path=cookies.COOKIE_PATH)
    return response


# -- flags -----------------------------------------------------------------------------


def _filter_for(
    db: Session, viewer: Viewer, request: Request
) -> tuple[FlagFilter, dict[str, User], list[User]]:
    """The checked filter of the request, the org's users and the reps the viewer sees."""
    flag_filter = parse_flag_filter(request.query_params)
    users = queries.org_users(db, viewer.principal.org_id)
    reps = queries.visible_reps(viewer.principal, users)
    if flag_filter.rep is not None and flag_filter.rep not in {rep.id for rep in reps}:
        raise FilterError(f"销售「{flag_filter.rep}」不存在，或不在您的团队中")
    return flag_filter, users, reps


@router.get("/flags")
def flags(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    number = parse_page(request.query_params)
    principal = viewer.principal
    with backend.sessions() as db:
        flag_filter, users, reps = _filter_for(db, viewer, request)
        total = queries.count_flags(db, principal, flag_filter)
        rows = [
            flag_row(flag, user_name(users, flag.rep_id))
            for flag in queries.flag_page(db, principal, flag_filter, number)
        ]
        summary = [
            SummaryRow(user_name(users, counts.rep_id), counts)
            for counts in queries.rep_summary(db, principal, flag_filter)
        ]
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return page(
        "flags.html",
        viewer=viewer,
        nav="flags",
        filter=flag_filter,
        reps=reps,
        rows=rows,
        summary=summary,
        pager=Pager(number, total, flag_filter.query_string()),
        csv_query=flag_filter.query_string(),
        back=here,
        step_paths=STEP_PATHS,
        step_labels=STEP_LABELS,
    )


@router.get("/flags.csv")
def flags_export(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    """The whole current filter (every page) as a CSV file for Excel."""
    principal = viewer.principal
    with backend.sessions.begin() as db:
        flag_filter, users, _ = _filter_for(db, viewer, request)
        # Flag text leaving the system is worth a line in the audit trail.
        audit.append(
            db, principal.org_id, principal, "flags.exported", "org", principal.org_id,
            {"filter": dict(flag_filter.query_items())},
        )  # fmt: skip

    def content() -> Iterator[str]:
        # Runs while the response streams (in a worker thread), with a session of its own.
        with backend.sessions() as db:
            yield from flags_csv(
                queries.iter_flags(db, principal, flag_filter), lambda rep: user_name(users, rep)
            )

    filename = f"compliance-flags-{utcnow().astimezone(DISPLAY_TZ):%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        content(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/flags/{flag_id}")
def flag_detail(flag_id: str, request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    """One flag, personal numbers masked; ``?reveal=1`` shows them to an admin (audited)."""
    reveal = request.query_params.get("reveal") == "1"
    if reveal and viewer.principal.role != "admin":
        raise forbidden("只有管理员可以查看未脱敏的原文。")
    with backend.sessions.begin() as db:
        if reveal:
            flag = repo.reveal_flag(db, viewer.principal, flag_id, channel="dashboard")
        else:
            flag = repo.get_flag(db, viewer.principal, flag_id)
        if flag is None:
            raise not_found()
        users = queries.org_users(db, viewer.principal.org_id)
        history = [audit_row(r, users, None) for r in queries.flag_history(db, flag)]
        row = flag_row(flag, user_name(users, flag.rep_id), full_text=True, reveal=reveal)
    return page(
        "flag.html",
        viewer=viewer,
        nav="flags",
        row=row,
        history=history,
        back=request.url.path,
        step_paths=STEP_PATHS,
        step_labels=STEP_LABELS,
    )


def _review(
    flag_id: str, status: FlagStatus, viewer: Viewer, backend: Backend, form: dict[str, str]
) -> Response:
    require_csrf(viewer, form, backend)
    require_permission(viewer.principal, "flags.review")
    comment = form.get("comment", "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise bad_request(f"备注最多 {MAX_COMMENT_CHARS} 字。")
    with backend.sessions.begin() as db:
        # NotFound (missing or not visible) and Conflict become the 404 / 409 pages.
        repo.set_flag_status(db, viewer.principal, flag_id, status, comment or None)
    back = safe_next(form.get("back"), default=f"/dashboard/flags/{flag_id}")
    return RedirectResponse(back, status_code=303)


@router.post("/flags/{flag_id}/acknowledge")
def acknowledge(flag_id: str, viewer: ViewerDep, backend: BackendDep, form: FormDep) -> Response:
    return _review(flag_id, "acknowledged", viewer, backend, form)


@router.post("/flags/{flag_id}/resolve")
def resolve(flag_id: str, viewer: ViewerDep, backend: BackendDep, form: FormDep) -> Response:
    return _review(flag_id, "resolved", viewer, backend, form)


# -- audit trail -----------------------------------------------------------------------


@router.get("/audit")
def audit_trail(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    """The audit records the viewer may read (a manager: their team's), newest first, under
    the verification result of the whole org's chain."""
    number = parse_page(request.query_params)
    org_id = viewer.principal.org_id
    with backend.sessions() as db:
        report = audit.verify_chain(db, org_id)
        records, total = queries.audit_page(db, viewer.principal, number)
        users = queries.org_users(db, org_id)
    return page(
        "audit.html",
        viewer=viewer,
        nav="audit",
        report=report,
        rows=[audit_row(r, users, report.first_broken_id) for r in records],
        pager=Pager(number, total, ""),
    )


# -- static files ----------------------------------------------------------------------


@router.get("/static/{name}")
def static(name: str) -> Response:
    return static_file(name) or error_page(404, "未找到", "没有这个文件。")
