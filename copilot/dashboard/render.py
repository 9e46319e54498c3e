"""Jinja2 templates and the static files shipped with the dashboard package."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from copilot.dashboard.present import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    ROLE_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUBJECT_LABELS,
    label,
    local_time,
)

_HERE = Path(__file__).resolve().parent
STATIC_DIR = _HERE / "static"
# The only files /dashboard/static/ serves: a fixed list, so no path ever reaches the disk.
STATIC_FILES = {
    "dashboard.css": "text/css; charset=utf-8",
    "analytics.css": "text/css; charset=utf-8",
    "scorecards.css": "text/css; charset=utf-8",
    "analytics.js": "text/javascript; charset=utf-8",
    "vendor/echarts.min.js": "text/javascript; charset=utf-8",
}

# Every dashboard response carries these. The pages use no inline script or style and no
# third-party resource, so the policy can be this strict; frame-ancestors stops clickjacking
# of the resolve buttons; no-store keeps flag text out of shared caches and the back button.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    # A misspelt variable fails the test that renders the page, not silently in production.
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _static_version(name: str) -> str:
    # A content hash in the stylesheet's URL lets browsers cache it and still see changes.
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


_env.globals.update(
    label=label,
    local_time=local_time,
    CATEGORY_LABELS=CATEGORY_LABELS,
    SEVERITY_LABELS=SEVERITY_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    SOURCE_LABELS=SOURCE_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    ACTION_LABELS=ACTION_LABELS,
    SUBJECT_LABELS=SUBJECT_LABELS,
    css_url=f"/dashboard/static/dashboard.css?v={_static_version('dashboard.css')}",
)


def page(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """The rendered template as an HTML response."""
    context.setdefault("viewer", None)
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status)


def error_page(status: int, title: str, message: str, *, login_link: bool = False) -> HTMLResponse:
    return page(
        "error.html",
        status=status,
        code=status,
        title=title,
        message=message,
        login_link=login_link,
    )


def static_file(name: str) -> Response | None:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return None
    # Its URL carries a content hash (css_url), so a day of caching never shows a stale one.
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response((STATIC_DIR / name).read_bytes(), media_type=media_type, headers=headers)


def secure(response: Response) -> Response:
    """Add :data:`SECURITY_HEADERS` to a response (headers it already has are kept)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
