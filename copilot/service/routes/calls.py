"""Calls: upload or scripted turns for analysis, status, summary, review and confirm."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from copilot.analysis import CallSummary, summary_text
from copilot.auth import Principal
from copilot.crm import outbox
from copilot.crm.filing import CrmIdentity
from copilot.crm.models import DeliveryStatus
from copilot.service import filing_flow, jobs, uploads
from copilot.service.deps import ApiError, Permit, StateDep, call_for, check_text_size
from copilot.service.routes.models import Body, first_error
from copilot.service.state import ServiceState
from copilot.store import filing, repo
from copilot.store.models import Call, new_id
from copilot.store.unstorable import unstorable
from speech.audio import AudioTooLongError

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
    # Why the analysis failed (status ``failed``), e.g. unreadable or too long audio.
    error: str | None = None
    # The CRM records the call is filed under (account, opportunity, contact, CRM user).
    crm: CrmIdentity = Field(default_factory=CrmIdentity)


class CallAccepted(BaseModel):
    call_id: str
    status: Literal["analysing"]


class Turns(Body):
    turns: list[tuple[Literal["rep", "customer", "unknown"], str]] = Field(min_length=1)
    customer_name: str = Field(default="", max_length=200)
    crm: CrmIdentity | None = None


@router.post("", status_code=202)
async def create_call(
    request: Request,
    principal: Annotated[Principal, Depends(Permit("calls.create"))],
    state: StateDep,
) -> CallAccepted:
    """Upload a recording (multipart ``file``) or scripted turns (JSON) for analysis; the
    summary is ready when ``GET /v1/calls/{id}`` says ``ended``."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        check_text_size(state, raw)
        try:
            turns = Turns.model_validate_json(raw)
        except ValidationError as exc:
            raise ApiError(422, "invalid_body", first_error(exc)) from exc
        call_id = await state.run_db(
            jobs.create_call, state, principal, "transcript", turns.customer_name, None, turns.crm
        )
        state.spawn(jobs.analyze_turns(state, call_id, turns.turns))
        return CallAccepted(call_id=call_id, status="analysing")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415, "unsupported_media_type", "send multipart/form-data with a file, or JSON turns"
        )
    call_id = new_id()
    path = await _save_upload(request, state, principal, call_id)
    state.spawn(jobs.analyze_recording(state, call_id, path))
    return CallAccepted(call_id=call_id, status="analysing")


@router.get("")
def list_calls(
    principal: Annotated[Principal, Depends(Permit("calls.read"))],
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallInfo]:
    with state.sessions() as session:
        calls = repo.list_visible_calls(session, principal, limit=limit)
        return [call_info(state, session, call) for call in calls]


@router.get("/{call_id}")
def get_call(
    call_id: str, principal: Annotated[Principal, Depends(Permit("calls.read"))], state: StateDep
) -> CallInfo:
    with state.sessions() as session:
        return call_info(state, session, call_for(session, principal, call_id, "calls.read"))


@router.post("/{call_id}/end")
async def end_call(
    call_id: str, principal: Annotated[Principal, Depends(Permit("calls.end"))], state: StateDep
) -> CallInfo:
    """Close a call: a streaming one ends as after ``stop`` (its sockets are closed by the
    call itself), an interrupted one is summarised from what was stored."""

    def stored() -> tuple[str, str]:
        with state.sessions() as session:
            call = call_for(session, principal, call_id, "calls.end")
            return call.id, call.status

    # Resolved (and checked) first: live calls are keyed by the stored id.
    stored_id, status = await state.run_db(stored)
    live = state.live.get(stored_id)
    if live is not None:
        await live.finish()
    # A stream that dropped just before this request was still recognising what it had
    # received: it suspended, and finish() waited for it without a summary.
    if (live is not None and live.suspended) or (live is None and status == "interrupted"):
        await jobs.close_interrupted(state, stored_id)
    info: CallInfo = await state.run_db(get_call, call_id, principal, state)
    return info


@router.get("/{call_id}/summary")
def get_summary(
    call_id: str, principal: Annotated[Principal, Depends(Permit("calls.read"))], state: StateDep
) -> CallSummary:
    with state.sessions() as session:
        call = call_for(session, principal, call_id, "calls.read")
        if call.summary is None:
            raise ApiError(409, "not_ready", f"the call is {call.status}; no summary yet")
        return CallSummary.model_validate(call.summary)


class SummaryEdit(CallSummary):
    model_config = ConfigDict(extra="forbid")


@router.put("/{call_id}/summary")
def edit_summary(
    call_id: str,
    body: SummaryEdit,
    principal: Annotated[Principal, Depends(Permit("calls.edit_summary"))],
    state: StateDep,
) -> CallSummary:
    """The rep's corrections; ``summary_text`` is rewritten from the fields when empty."""
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "calls.edit_summary")
        summary = body.model_copy(update={"call_id": call.id})
        if not summary.summary_text.strip():
            summary.summary_text = summary_text(summary)
        repo.save_summary_edit(session, call, principal, summary.model_dump(mode="json"))
        assert call.summary is not None
        return CallSummary.model_validate(call.summary)


class Confirmation(BaseModel):
    call_id: str
    delivery: DeliveryStatus


@router.post("/{call_id}/confirm")
def confirm(
    call_id: str,
    principal: Annotated[Principal, Depends(Permit("calls.confirm"))],
    state: StateDep,
) -> Confirmation:
    """The rep confirms the summary: it is queued for delivery to the CRM, once (a second
    confirm answers with the same delivery)."""
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "calls.confirm")
        row = filing_flow.confirm_and_queue(session, call, principal)
        delivery = outbox.to_status(row, state.settings.crm)
    if state.crm_worker is not None:
        state.crm_worker.notify()
    return Confirmation(call_id=call.id, delivery=delivery)


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
        error=jobs.failure_reason(call),
        crm=filing.identity_of(call),
    )


async def _save_upload(
    request: Request, state: ServiceState, principal: Principal, call_id: str
) -> Path:
    """Receive the recording into the upload directory, refuse it at once if it is larger
    than the size limit or declares more than the org's duration limit, then create its
    call: the file is kept until the analysis ends, so a restart can resume it."""
    store = uploads.UploadStore(uploads.upload_dir(state.settings.service.upload_dir))
    limit = state.settings.service.max_upload_mb * 1024 * 1024
    part, fields = await uploads.receive(request, store, call_id, limit)
    try:
        customer_name, identity = _upload_fields(fields)
        max_s: float = await state.run_db(jobs.upload_limit_s, state, principal.org_id)
        try:
            await asyncio.to_thread(uploads.check_declared_length, part, max_s)
        except AudioTooLongError as exc:
            raise ApiError(422, "too_long", str(exc).replace(f"{part}: ", "")) from exc
        await state.run_db(
            jobs.create_call, state, principal, "upload", customer_name, call_id, identity
        )
    except BaseException:
        await asyncio.to_thread(uploads.discard, part)
        raise
    return await asyncio.to_thread(store.commit, part)


_IDENTITY_FIELDS = tuple(CrmIdentity.model_fields)


def _upload_fields(fields: dict[str, str]) -> tuple[str, CrmIdentity | None]:
    """``customer_name`` and the CRM identity an upload carries: its fields by name
    (account_id=…, opportunity_id=…) or one ``crm`` field holding the JSON object."""
    if (bad := unstorable(fields)) is not None:
        raise ApiError(422, "invalid_body", bad)
    customer_name = fields.get("customer_name", "").strip()[:200]
    try:
        if "crm" in fields:
            identity = CrmIdentity.model_validate_json(fields["crm"])
        else:
            given = {k: v for k, v in fields.items() if k in _IDENTITY_FIELDS and v.strip()}
            identity = CrmIdentity.model_validate(given)
    except ValidationError as exc:
        raise ApiError(422, "invalid_body", first_error(exc)) from exc
    return customer_name, None if identity.is_empty() else identity
