"""Calls: upload or scripted turns for analysis, status, summary, review and confirm."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from copilot.analysis import CallSummary, summary_text
from copilot.crm import outbox
from copilot.crm.models import SUMMARY_CONFIRMED, DeliveryStatus
from copilot.service import jobs
from copilot.service.deps import (
    ApiError,
    PrincipalDep,
    StateDep,
    check_text_size,
    require_role,
    visible_call,
)
from copilot.service.routes.models import Body, first_error
from copilot.service.state import ServiceState
from copilot.store import repo
from copilot.store.models import Call

router = APIRouter(prefix="/calls", tags=["calls"])


class CallInfo(BaseModel):
    id: str
    rep_id: str
    customer_name: str
    source: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float
    confirmed_at: datetime | None
    delivery: DeliveryStatus | None = None
    asr_lag_s: float | None = None


class CallAccepted(BaseModel):
    call_id: str
    status: Literal["analysing"]


class Turns(Body):
    turns: list[tuple[Literal["rep", "customer", "unknown"], str]] = Field(min_length=1)
    customer_name: str = Field(default="", max_length=200)


@router.post("", status_code=202)
async def create_call(request: Request, principal: PrincipalDep, state: StateDep) -> CallAccepted:
    """Upload a recording (multipart ``file``) or scripted turns (JSON) for analysis; the
    summary is ready when ``GET /v1/calls/{id}`` says ``ended``."""
    require_role(principal, "rep", "manager", "admin")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        check_text_size(state, raw)
        try:
            turns = Turns.model_validate_json(raw)
        except ValidationError as exc:
            raise ApiError(422, "invalid_body", first_error(exc)) from exc
        call_id = await state.run_db(
            jobs.create_call, state, principal, "transcript", turns.customer_name
        )
        state.spawn(jobs.analyze_turns(state, call_id, turns.turns))
        return CallAccepted(call_id=call_id, status="analysing")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415, "unsupported_media_type", "send multipart/form-data with a file, or JSON turns"
        )
    path = await _save_upload(request, state)
    call_id = await state.run_db(jobs.create_call, state, principal, "upload", "")
    state.spawn(jobs.analyze_recording(state, call_id, path))
    return CallAccepted(call_id=call_id, status="analysing")


@router.get("")
def list_calls(
    principal: PrincipalDep, state: StateDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CallInfo]:
    with state.sessions() as session:
        calls = repo.list_visible_calls(session, principal, limit=limit)
        return [call_info(state, session, call) for call in calls]


@router.get("/{call_id}")
def get_call(call_id: str, principal: PrincipalDep, state: StateDep) -> CallInfo:
    with state.sessions() as session:
        return call_info(state, session, visible_call(session, principal, call_id))


@router.post("/{call_id}/end")
async def end_call(call_id: str, principal: PrincipalDep, state: StateDep) -> CallInfo:
    """Close a call whose audio stream stopped (e.g. interrupted by a restart)."""

    def status() -> str:
        with state.sessions() as session:
            return visible_call(session, principal, call_id).status

    live = state.live.get(call_id)
    if live is not None:
        await live.finish()
    elif await state.run_db(status) == "interrupted":
        await jobs.close_interrupted(state, call_id)
    info: CallInfo = await state.run_db(get_call, call_id, principal, state)
    return info


@router.get("/{call_id}/summary")
def get_summary(call_id: str, principal: PrincipalDep, state: StateDep) -> CallSummary:
    with state.sessions() as session:
        call = visible_call(session, principal, call_id)
        if call.summary is None:
            raise ApiError(409, "not_ready", f"the call is {call.status}; no summary yet")
        return CallSummary.model_validate(call.summary)


class SummaryEdit(CallSummary):
    model_config = ConfigDict(extra="forbid")


@router.put("/{call_id}/summary")
def edit_summary(
    call_id: str, body: SummaryEdit, principal: PrincipalDep, state: StateDep
) -> CallSummary:
    """The rep's corrections; ``summary_text`` is rewritten from the fields when empty."""
    with state.sessions.begin() as session:
        call = visible_call(session, principal, call_id)
        if call.rep_id != principal.user_id and principal.role not in ("manager", "admin"):
            raise ApiError(403, "forbidden", "only the call's rep or a manager edits its summary")
        summary = body.model_copy(update={"call_id": call_id})
        if not summary.summary_text.strip():
            summary.summary_text = summary_text(summary)
        repo.save_summary_edit(session, call, principal, summary.model_dump(mode="json"))
        assert call.summary is not None
        return CallSummary.model_validate(call.summary)


class Confirmation(BaseModel):
    call_id: str
    delivery: DeliveryStatus


@router.post("/{call_id}/confirm")
def confirm(call_id: str, principal: PrincipalDep, state: StateDep) -> Confirmation:
    """The rep confirms the summary: it is queued for delivery to the CRM, once (a second
    confirm answers with the same delivery)."""
    require_role(principal, "rep", "manager", "admin")
    with state.sessions.begin() as session:
        call = visible_call(session, principal, call_id)
        if call.status != "confirmed":
            repo.confirm_call(session, call, principal)
        assert call.summary is not None and call.confirmed_at is not None
        payload = {
            **call.summary,
            "org_id": call.org_id,
            "rep_id": call.rep_id,
            "confirmed_by": call.confirmed_by,
            "confirmed_at": call.confirmed_at.isoformat(),
        }
        row = outbox.enqueue(session, call.org_id, call_id, SUMMARY_CONFIRMED, payload)
        delivery = outbox.to_status(row, state.settings.crm)
    if state.crm_worker is not None:
        state.crm_worker.notify()
    return Confirmation(call_id=call_id, delivery=delivery)


def call_info(state: ServiceState, session: Session, call: Call) -> CallInfo:
    delivery = outbox.status_of(session, call.id, config=state.settings.crm)
    live = state.live.get(call.id)
    return CallInfo(
        id=call.id,
        rep_id=call.rep_id,
        customer_name=call.customer_name,
        source=call.source,
        status=call.status,
        started_at=call.started_at,
        ended_at=call.ended_at,
        duration_s=call.duration_s,
        confirmed_at=call.confirmed_at,
        delivery=delivery,
        asr_lag_s=round(live.lag_s, 2) if live is not None else None,
    )


def _discard(name: str) -> None:
    Path(name).unlink(missing_ok=True)


async def _save_upload(request: Request, state: ServiceState) -> Path:
    """Stream the multipart upload to a temp file, refusing more than the size limit."""
    limit = state.settings.service.max_upload_mb * 1024 * 1024
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 64 * 1024:
        raise ApiError(
            413, "too_large", f"the recording is over {state.settings.service.max_upload_mb} MB"
        )
    form = await request.form(max_files=1, max_fields=5, max_part_size=limit)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ApiError(422, "invalid_body", "multipart field 'file' with the recording is missing")
    suffix = Path(upload.filename or "upload").suffix[:10]
    handle = tempfile.NamedTemporaryFile(prefix="copilot-upload-", suffix=suffix, delete=False)
    size = 0
    with handle:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > limit:
                await asyncio.to_thread(_discard, handle.name)
                raise ApiError(
                    413,
                    "too_large",
                    f"the recording is over {state.settings.service.max_upload_mb} MB",
                )
            handle.write(chunk)
    if size == 0:
        await asyncio.to_thread(_discard, handle.name)
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    return Path(handle.name)
