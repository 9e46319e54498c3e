"""HTTP routes of the service (see docs/service.md for the table)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from compliance import ScanResult
from copilot.analysis import CallSummary, summary_text
from copilot.auth import Principal, issue_socket_token
from copilot.crm import outbox
from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.service import jobs
from copilot.service.deps import ApiError, PrincipalDep, StateDep, not_found, require_role
from copilot.service.state import ServiceState
from copilot.store import audit, repo
from copilot.store.flags import FlagStatus
from copilot.store.models import Call, Flag

router = APIRouter(prefix="/v1")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- auth ------------------------------------------------------------------------------


class SocketTokenRequest(_Body):
    call_id: str = Field(min_length=1, max_length=64)


class SocketToken(BaseModel):
    token: str
    expires_at: float


@router.post("/auth/socket-token", tags=["auth"])
def socket_token(body: SocketTokenRequest, principal: PrincipalDep, state: StateDep) -> SocketToken:
    """A short-lived token for the WebSockets of one call (browsers cannot set headers)."""
    with state.sessions() as session:
        call = session.get(Call, body.call_id)
        # A new call id is fine (the audio socket creates it); someone else's is not.
        if call is not None:
            visible_call(session, principal, body.call_id)
    ttl = state.settings.auth.socket_token_ttl_s
    token = issue_socket_token(principal, body.call_id, ttl, state.settings.auth)
    return SocketToken(token=token, expires_at=time.time() + ttl)


# -- compliance ------------------------------------------------------------------------


class ScanRequest(_Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)


class ScanAnswer(ScanResult):
    flag_ids: list[str] = Field(default_factory=list)


@router.post("/compliance/scan", tags=["compliance"])
def scan(body: ScanRequest, principal: PrincipalDep, state: StateDep) -> ScanAnswer:
    """Check an outgoing message; flags are stored for the manager's audit."""
    check_text_size(state, body.text)
    result = state.scanner_for(principal.org_id).scan(body.text)
    answer = ScanAnswer(**result.model_dump())
    if result.flags:
        with state.sessions.begin() as session:
            if body.call_id is not None:
                visible_call(session, principal, body.call_id)
            answer.flag_ids = repo.add_message_flags(
                session, principal, result.flags, body.text, body.call_id, body.channel
            )
    return answer


class OverrideRequest(_Body):
    flag_ids: list[str] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/compliance/override", status_code=204, tags=["compliance"])
def override(body: OverrideRequest, principal: PrincipalDep, state: StateDep) -> Response:
    """The rep sent a flagged message anyway, with a reason: recorded for the audit."""
    with state.sessions.begin() as session:
        repo.override_flags(session, principal, body.flag_ids, body.reason)
    return Response(status_code=204)


# -- suggestions -----------------------------------------------------------------------


class SuggestRequest(_Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    k: int = Field(default=3, ge=1, le=10)


@router.post("/suggest", tags=["suggestions"])
def suggest(body: SuggestRequest, principal: PrincipalDep, state: StateDep) -> dict[str, Any]:
    """The best approved answers to what the customer said (CONTRACT ``SuggestResult``)."""
    check_text_size(state, body.text)
    feedback = state.feedback_for(principal.org_id)
    result = state.engines.suggester.suggest(body.text, None, k=body.k, feedback=feedback)
    return result.model_dump(mode="json")


class FeedbackRequest(_Body):
    entry_id: str = Field(min_length=1, max_length=100)
    action: Literal["used", "dismissed"]
    call_id: str | None = Field(default=None, max_length=64)


@router.post("/suggestions/feedback", status_code=204, tags=["suggestions"])
def feedback(body: FeedbackRequest, principal: PrincipalDep, state: StateDep) -> Response:
    with state.sessions.begin() as session:
        if body.call_id is not None:
            visible_call(session, principal, body.call_id)
        repo.add_feedback(
            session,
            org_id=principal.org_id,
            user_id=principal.user_id,
            entry_id=body.entry_id,
            action=body.action,
            call_id=body.call_id,
        )
    state.feedback_for(principal.org_id).record(body.entry_id, body.action)
    return Response(status_code=204)


# -- calls -----------------------------------------------------------------------------


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
    delivery: dict[str, Any] | None = None
    asr_lag_s: float | None = None


class Turns(_Body):
    turns: list[tuple[Literal["rep", "customer", "unknown"], str]] = Field(min_length=1)
    customer_name: str = Field(default="", max_length=200)


@router.post("/calls", status_code=202, tags=["calls"])
async def create_call(request: Request, principal: PrincipalDep, state: StateDep) -> dict[str, str]:
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
            raise ApiError(422, "invalid_body", _first_error(exc)) from exc
        call_id = await state.run_db(
            jobs.create_call, state, principal, "transcript", turns.customer_name
        )
        state.spawn(jobs.analyze_turns(state, call_id, turns.turns))
        return {"call_id": call_id, "status": "analysing"}
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415, "unsupported_media_type", "send multipart/form-data with a file, or JSON turns"
        )
    path = await _save_upload(request, state)
    call_id = await state.run_db(jobs.create_call, state, principal, "upload", "")
    state.spawn(jobs.analyze_recording(state, call_id, path))
    return {"call_id": call_id, "status": "analysing"}


@router.get("/calls", tags=["calls"])
def list_calls(
    principal: PrincipalDep, state: StateDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CallInfo]:
    with state.sessions() as session:
        calls = repo.list_visible_calls(session, principal, limit=limit)
        return [call_info(state, session, call) for call in calls]


@router.get("/calls/{call_id}", tags=["calls"])
def get_call(call_id: str, principal: PrincipalDep, state: StateDep) -> CallInfo:
    with state.sessions() as session:
        return call_info(state, session, visible_call(session, principal, call_id))


@router.post("/calls/{call_id}/end", tags=["calls"])
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


@router.get("/calls/{call_id}/summary", tags=["calls"])
def get_summary(call_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, Any]:
    with state.sessions() as session:
        call = visible_call(session, principal, call_id)
        if call.summary is None:
            raise ApiError(409, "not_ready", f"the call is {call.status}; no summary yet")
        return call.summary


class SummaryEdit(CallSummary):
    model_config = ConfigDict(extra="forbid")


@router.put("/calls/{call_id}/summary", tags=["calls"])
def edit_summary(
    call_id: str, body: SummaryEdit, principal: PrincipalDep, state: StateDep
) -> dict[str, Any]:
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
        return call.summary


@router.post("/calls/{call_id}/confirm", tags=["calls"])
def confirm(call_id: str, principal: PrincipalDep, state: StateDep) -> dict[str, Any]:
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
    return {"call_id": call_id, "delivery": delivery.model_dump(mode="json")}


# -- flags and audit ---------------------------------------------------------------------


@router.get("/flags", tags=["flags"])
def list_flags(
    principal: PrincipalDep,
    state: StateDep,
    rep_id: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    with state.sessions() as session:
        flags = repo.list_flags(
            session,
            principal,
            rep_id=rep_id,
            category=category,
            severity=severity,
            status=status,
            since=since,
            until=until,
            limit=limit,
        )
        return [flag_json(flag) for flag in flags]


class FlagAction(_Body):
    comment: str = Field(default="", max_length=2000)


@router.post("/flags/{flag_id}/acknowledge", tags=["flags"])
def acknowledge(
    flag_id: str, body: FlagAction, principal: PrincipalDep, state: StateDep
) -> dict[str, Any]:
    return _review(state, principal, flag_id, "acknowledged", body.comment)


@router.post("/flags/{flag_id}/resolve", tags=["flags"])
def resolve(
    flag_id: str, body: FlagAction, principal: PrincipalDep, state: StateDep
) -> dict[str, Any]:
    return _review(state, principal, flag_id, "resolved", body.comment)


@router.get("/audit", tags=["flags"])
def audit_log(
    principal: PrincipalDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    require_role(principal, "manager", "admin")
    with state.sessions() as session:
        records = audit.recent(session, principal.org_id, limit)
        report = audit.verify_chain(session, principal.org_id)
        return {
            "chain": report.model_dump(mode="json"),
            "records": [audit.record_json(r) for r in records],
        }


# -- helpers -----------------------------------------------------------------------------


def visible_call(session: Session, principal: Principal, call_id: str) -> Call:
    call = repo.get_visible_call(session, principal, call_id)
    if call is None:
        raise not_found()
    return call


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
        delivery=delivery.model_dump(mode="json") if delivery else None,
        asr_lag_s=round(live.lag_s, 2) if live is not None else None,
    )


def flag_json(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "rep_id": flag.rep_id,
        "call_id": flag.call_id,
        "segment_id": flag.segment_id,
        "source": flag.source,
        "text": flag.text,
        "rule_id": flag.rule_id,
        "category": flag.category,
        "severity": flag.severity,
        "start": flag.start,
        "end": flag.end,
        "match": flag.match,
        "suggestion": flag.suggestion,
        "status": flag.status,
        "override_reason": flag.override_reason,
        "status_comment": flag.status_comment,
        "created_at": flag.created_at.isoformat(),
    }


def check_text_size(state: ServiceState, text: str | bytes) -> None:
    size = len(text.encode() if isinstance(text, str) else text)
    limit = state.settings.service.max_text_bytes
    if size > limit:
        raise ApiError(413, "too_large", f"{size} bytes of text; the limit is {limit}")


def _review(
    state: ServiceState, principal: Principal, flag_id: str, status: FlagStatus, comment: str
) -> dict[str, Any]:
    require_role(principal, "manager", "admin")
    with state.sessions.begin() as session:
        flag = repo.set_flag_status(session, principal, flag_id, status, comment)
        return flag_json(flag)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


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
