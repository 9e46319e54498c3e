"""Every dashboard failure becomes an HTML page, decided here in one place.

The service answers its API errors as JSON from app-wide handlers; a person in a browser
needs a page instead. A router cannot register exception handlers, so the dashboard's routes
use :class:`DashboardRoute`, which catches what a page or its dependencies raise and renders
it (and puts the security headers on every answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from copilot.dashboard.filters import FilterError
from copilot.dashboard.render import error_page, secure
from copilot.store.errors import Conflict, InvalidInput, NotFound, unavailable_because

LOGIN_PATH = "/dashboard/login"
logger = logging.getLogger(__name__)


class DashboardError(Exception):
    """A page-level failure with its HTTP status and a message for the user."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


class LoginRequired(Exception):
    """No valid session: a page sends the browser to the login form, a POST is refused."""


def not_found(what: str = "标记") -> DashboardError:
    # The same page whether it never existed or belongs to someone else: nothing leaks.
    return DashboardError(404, "未找到", f"{what}不存在，或您无权查看。")


def bad_request(message: str) -> DashboardError:
    return DashboardError(400, "请求无效", message)


def forbidden(message: str) -> DashboardError:
    return DashboardError(403, "无权访问", message)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='')}", status_code=303)


def _as_page(request: Request, exc: Exception) -> Response | None:
    """The page answering ``exc``, or None when it is not ours to answer."""
    if isinstance(exc, LoginRequired):
        if request.method in ("GET", "HEAD"):
            return login_redirect(request)
        return error_page(401, "请先登录", "登录已失效，请重新登录后再操作。", login_link=True)
    if isinstance(exc, DashboardError):
        return error_page(exc.status, exc.title, exc.message)
    if isinstance(exc, FilterError | InvalidInput):
        return error_page(400, "请求无效", str(exc))
    if isinstance(exc, RequestValidationError):
        error = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in error.get("loc", ()))
        return error_page(400, "请求无效", f"参数 {where} 无效：{error.get('msg', '')}")
    if isinstance(exc, NotFound):
        return error_page(404, "未找到", "标记不存在，或您无权查看。")
    if isinstance(exc, Conflict):
        message = "该标记的当前状态不允许此操作（可能已被他人处理），请刷新页面。"
        return error_page(409, "无法执行", message)
    if (detail := unavailable_because(exc)) is not None:
        logger.warning(
            "database unavailable in %s %s: %s", request.method, request.url.path, detail
        )
        message = "数据库暂时无法访问，本次操作没有保存，请稍后重试。"
        return error_page(503, "暂时无法使用", message)
    return None


class DashboardRoute(APIRoute):
    """An ``APIRoute`` whose failures are answered as dashboard pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                page = _as_page(request, exc)
                if page is None:
                    raise
                response = page
            return secure(response)

        return answer
