"""The call library (``/dashboard/calls``), one call's page, and its recording.

Every read goes through the visibility rules (rep own, manager team, admin org): a call
the viewer may not see answers exactly as a missing one (404), page, audio and search hits
alike. The pages use one small script of ours (the player follows the transcript), so they
widen the dashboard's content policy by ``script-src 'self'`` and ``media-src 'self'`` only.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from copilot.dashboard import call_queries, queries, scorecard_pages
from copilot.dashboard.call_detail import (
    FEEDBACK_LABELS,
    REVIEW_STATE_LABELS,
    SPEAKER_LABELS,
    clock,
    load_detail,
)
from copilot.dashboard.call_filters import (
    CRM_LABELS,
    OBJECTION_LABELS,
    SORT_LABELS,
    parse_call_filter,
)
from copilot.dashboard.deps import BackendDep, ViewerDep
from copilot.dashboard.errors import DashboardRoute, not_found
from copilot.dashboard.filters import FilterError, parse_page
from copilot.dashboard.render import SECURITY_HEADERS, page
from copilot.dashboard.views import Pager
from copilot.privacy import mask_text
from copilot.service.uploads import upload_dir
from copilot.store import recordings, repo

router = APIRouter(
    prefix="/dashboard", tags=["dashboard"], include_in_schema=False, route_class=DashboardRoute
)
_STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"calls.css": "text/css; charset=utf-8", "call.js": "text/javascript; charset=utf-8"}
PAGE_POLICY = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; media-src 'self';"
)


def _recordings_root(backend: BackendDep) -> Path:
    return recordings.recordings_root(upload_dir(backend.settings.service.upload_dir))


def _hit_parts(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """The line cut into (text, is_hit) pieces for the template to mark up."""
    parts, at = [], 0
    for start, end in spans:
        parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    parts.append((text[at:], False))
    return [part for part in parts if part[0]]


@router.get("/calls")
def calls(request: Request, viewer: ViewerDep, backend: BackendDep) -> Response:
    number = parse_page(request.query_params)
    call_filter = parse_call_filter(request.query_params)
    principal = viewer.principal
    with backend.sessions() as db:
        users = queries.org_users(db, principal.org_id)
        reps = queries.visible_reps(principal, users)
        choices = call_queries.choices(db, principal, reps)
        if call_filter.rep is not None and call_filter.rep not in {r.id for r in reps}:
            raise FilterError(f"销售「{call_filter.rep}」不存在，或不在您的团队中")
        if call_filter.team is not None and call_filter.team not in {t.id for t in choices.teams}:
            raise FilterError(f"团队「{call_filter.team}」不存在，或不在您的权限内")
        total = call_queries.count_calls(db, principal, call_filter)
        rows = call_queries.call_page(db, principal, call_filter, number, users)
        hits = call_queries.search_hits(db, principal, call_filter)
    shown_hits = [
        {
            "hit": hit,
            "rep": users[hit.rep_id].name if hit.rep_id in users else hit.rep_id,
            # Masking keeps lengths, so the hit spans still hold in the masked line.
            "parts": _hit_parts(mask_text(hit.text), hit.spans),
        }
        for hit in hits
    ]
    response = page(
        "calls.html",
        viewer=viewer,
        nav="calls",
        filter=call_filter,
        choices=choices,
        rows=rows,
        hits=shown_hits,
        pager=Pager(number, total, call_filter.query_string()),
        clock=clock,
        OBJECTION_LABELS=OBJECTION_LABELS,
        CRM_LABELS=CRM_LABELS,
        SORT_LABELS=SORT_LABELS,
        SPEAKER_LABELS=SPEAKER_LABELS,
        calls_css=_asset_url("calls.css"),
    )
    return response


@router.get("/calls/assets/{name}")
def asset(name: str) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise not_found("文件")
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response((_STATIC / name).read_bytes(), media_type=media_type, headers=headers)


@cache
def _asset_url(name: str) -> str:
    # A content hash in the URL: cached by browsers, never stale after a change.
    digest = hashlib.sha256((_STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/dashboard/calls/assets/{name}?v={digest}"


@router.get("/calls/{call_id}")
def call_page(call_id: str, viewer: ViewerDep, backend: BackendDep) -> Response:
    root = _recordings_root(backend)
    with backend.sessions() as db:
        call = repo.get_visible_call(db, viewer.principal, call_id)
        if call is None:
            raise not_found("通话")
        has_audio = recordings.resolve(root, call.recording_path) is not None
        detail = load_detail(db, call, backend.settings.crm, has_recording=has_audio)
        scorecard = scorecard_pages.scorecard_card(db, viewer.principal, call)
        users = queries.org_users(db, viewer.principal.org_id)
        rep_name = users[call.rep_id].name if call.rep_id in users else call.rep_id
    response = page(
        "call.html",
        viewer=viewer,
        nav="calls",
        d=detail,
        scorecard=scorecard,
        back=f"/dashboard/calls/{call.id}#scorecard",
        rep_name=rep_name,
        clock=clock,
        SPEAKER_LABELS=SPEAKER_LABELS,
        REVIEW_STATE_LABELS=REVIEW_STATE_LABELS,
        FEEDBACK_LABELS=FEEDBACK_LABELS,
        OBJECTION_LABELS=OBJECTION_LABELS,
        CRM_LABELS=CRM_LABELS,
        calls_css=_asset_url("calls.css"),
        call_js=_asset_url("call.js"),
        scorecards_css=scorecard_pages.css_url(),
    )
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return response


@router.get("/calls/{call_id}/audio")
def call_audio(call_id: str, viewer: ViewerDep, backend: BackendDep) -> Response:
    """The call's kept recording; Range requests make the player seekable."""
    root = _recordings_root(backend)
    with backend.sessions() as db:
        call = repo.get_visible_call(db, viewer.principal, call_id)
        path = recordings.resolve(root, call.recording_path) if call is not None else None
    if path is None:
        raise not_found("录音")
    media = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".ogg": "audio/ogg"}
    response = FileResponse(
        path, media_type=media.get(path.suffix.lower(), "application/octet-stream")
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
