"""The manager's analytics pages: team analytics and the customers' decision chains.

Each page renders its tables on the server and embeds the same numbers as JSON for
``static/analytics.js``, which draws them with the ECharts build shipped in
``static/vendor/`` (no CDN): a reader without JavaScript still has every number.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from copilot.auth import Principal
from copilot.dashboard import queries
from copilot.dashboard.account_queries import ACCOUNTS_PAGE_SIZE, account_chain, list_accounts
from copilot.dashboard.analytics_filters import (
    MAX_WEEKS,
    AnalyticsFilter,
    NotVisible,
    Scope,
    parse_analytics_filter,
    resolve_scope,
)
from copilot.dashboard.analytics_queries import team_analytics
from copilot.dashboard.analytics_views import (
    KIND_LABELS,
    METRIC_HEADERS,
    OBJECTION_LABELS,
    TRENDS,
    AnalyticsView,
    account_graph,
    analytics_view,
    user_name,
)
from copilot.dashboard.deps import BackendDep, ViewerDep
from copilot.dashboard.errors import DashboardRoute, not_found
from copilot.dashboard.filters import FilterError, parse_page
from copilot.dashboard.render import SECURITY_HEADERS, STATIC_DIR, error_page, page, static_file
from copilot.dashboard.views import Pager
from copilot.store.models import utcnow
from copilot.store.tenants import list_teams

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=DashboardRoute
)
# The chart pages run our own scripts (and only those): the dashboard's policy plus
# script-src 'self'. The chart data sits in a JSON block, which is data, never run.
CHART_CSP = SECURITY_HEADERS["Content-Security-Policy"] + "; script-src 'self'"
MAX_SEARCH_CHARS = 100


@cache
def asset_url(name: str) -> str:
    """A static file's URL with a hash of its content: cached a day, never stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/dashboard/static/{name}?v={digest}"


def _chart_page(template: str, **context: Any) -> Response:
    response = page(
        template,
        echarts_url=asset_url("vendor/echarts.min.js"),
        script_url=asset_url("analytics.js"),
        analytics_css_url=asset_url("analytics.css"),
        **context,
    )
    response.headers["Content-Security-Policy"] = CHART_CSP
    return response


def analytics_page_data(
    db: Session, principal: Principal, analytics_filter: AnalyticsFilter, now: datetime
) -> tuple[Scope, list[date], AnalyticsView]:
    """Everything the analytics page shows (what the bench times without HTTP):
    :class:`NotVisible` for a team or rep the principal may not see."""
    users = queries.org_users(db, principal.org_id)
    teams = list_teams(db, principal.org_id)
    visible = queries.visible_reps(principal, users)
    scope = resolve_scope(principal, analytics_filter, visible, teams)
    weeks = analytics_filter.week_list(now)
    data = team_analytics(db, scope, weeks)
    return scope, weeks, analytics_view(data, users, {team.id: team for team in teams})


@router.get("/analytics")
def analytics(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    """Per rep and per team, by week, over the last ``weeks`` weeks (default 8)."""
    analytics_filter = parse_analytics_filter(request.query_params)
    with backend.sessions() as db:
        try:
            scope, weeks, view = analytics_page_data(
                db, viewer.principal, analytics_filter, utcnow()
            )
        except NotVisible as exc:
            raise not_found(str(exc)) from None
    return _chart_page(
        "analytics.html",
        viewer=viewer,
        nav="analytics",
        filter=analytics_filter,
        scope=scope,
        weeks=weeks,
        max_weeks=MAX_WEEKS,
        view=view,
        metric_headers=METRIC_HEADERS,
        trends=TRENDS,
        objection_labels=OBJECTION_LABELS,
    )


@router.get("/accounts")
def accounts(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    """The customer accounts of the calls the viewer may see, latest call first."""
    number = parse_page(request.query_params)
    search = (request.query_params.get("q") or "").strip()
    if len(search) > MAX_SEARCH_CHARS:
        raise FilterError(f"搜索词最多 {MAX_SEARCH_CHARS} 字")
    with backend.sessions() as db:
        rows, total = list_accounts(db, viewer.principal, number, search or None)
    query = f"q={quote(search)}" if search else ""
    return page(
        "accounts.html",
        viewer=viewer,
        nav="accounts",
        rows=rows,
        search=search,
        pager=Pager(number, total, query),
        page_size=ACCOUNTS_PAGE_SIZE,
        account_url=account_url,
    )


def account_url(key: str) -> str:
    return "/dashboard/accounts/" + quote(key, safe="")


@router.get("/accounts/{account:path}")
def account(account: str, viewer: ViewerDep, backend: BackendDep) -> Response:
    """客户决策链图谱 of one account, from the calls the viewer may see (else 404)."""
    with backend.sessions() as db:
        chain = account_chain(db, viewer.principal, account)
        if chain is None:
            raise not_found("客户")
        users = queries.org_users(db, viewer.principal.org_id)
    rep_names = {call.rep_id: user_name(users, call.rep_id) for call in chain.calls}
    return _chart_page(
        "account.html",
        viewer=viewer,
        nav="accounts",
        chain=chain,
        rep_names=rep_names,
        graph=account_graph(chain),
        kind_labels=KIND_LABELS,
    )


@router.get("/static/vendor/{name}")
def vendor_static(name: str) -> Response:
    # The fixed list in render.STATIC_FILES decides: no path from the URL reaches the disk.
    return static_file(f"vendor/{name}") or error_page(404, "未找到", "没有这个文件。")
