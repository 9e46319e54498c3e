"""Checking outgoing messages (one, or a batch of an archive or an outbox), and the rep's
decision to send one anyway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from compliance import ScanResult
from copilot.auth import Forbidden
from copilot.permissions import Action
from copilot.principal import Principal
from copilot.service.deps import (
    ApiError,
    Permit,
    StateDep,
    call_for,
    check_owner,
    check_text_size,
    flag_for,
    text_too_large,
)
from copilot.service.routes.models import Body
from copilot.service.state import ServiceState
from copilot.store import repo

router = APIRouter(prefix="/compliance", tags=["compliance"])
BATCH: Action = "compliance.scan_batch"


class ScanRequest(Body):
    text: str
    call_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)


class ScanAnswer(ScanResult):
    flag_ids: list[str] = Field(default_factory=list)


@router.post("/scan")
def scan(
    body: ScanRequest,
    principal: Annotated[Principal, Depends(Permit("compliance.scan"))],
    state: StateDep,
) -> ScanAnswer:
    """Check an outgoing message; flags are stored for the manager's audit."""
    check_text_size(state, body.text)
    result = state.scanner_for(principal.org_id).scan(body.text)
    answer = ScanAnswer(**result.model_dump())
    if result.flags:
        with state.sessions.begin() as session:
            # The client's call id, resolved in its org to the stored one.
            call_id = None
            if body.call_id is not None:
                call_id = call_for(session, principal, body.call_id, "compliance.scan").id
            answer.flag_ids = repo.add_message_flags(
                session, principal, result.flags, body.text, call_id, body.channel
            )
    return answer


class BatchMessage(BaseModel):
    # Not a Body: the request's own check walks every message's text once.
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=128)
    text: str
    # Whose message (default: the call's rep, else the caller): within the caller's scope.
    rep_id: str | None = Field(default=None, max_length=64)
    call_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)


class BatchScanRequest(Body):
    messages: list[BatchMessage] = Field(min_length=1)


class BatchError(BaseModel):
    code: str
    message: str


class BatchScanned(ScanAnswer):
    id: str | None = None


class BatchRefused(BaseModel):
    id: str | None = None
    error: BatchError


class BatchScanAnswer(BaseModel):
    results: list[BatchScanned | BatchRefused]


@router.post("/scan/batch")
def scan_batch(
    body: BatchScanRequest,
    principal: Annotated[Principal, Depends(Permit(BATCH))],
    state: StateDep,
) -> BatchScanAnswer:
    """Check many messages at once (the scanner's bulk path): one answer per message, in
    order, ``id`` echoed. A message that is too large or not the caller's to check gets its
    error and the others go on; the flags found are stored in one transaction, so a
    database that refuses them leaves none stored and the whole batch can be sent again."""
    messages = body.messages
    sizes = [len(m.text.encode()) for m in messages]
    check_batch_size(state, len(messages), sum(sizes))
    with state.sessions.begin() as session:
        owners = [
            text_too_large(state, size) or whose_message(session, principal, message)
            for message, size in zip(messages, sizes, strict=True)
        ]
    accepted = [
        m.text for m, owner in zip(messages, owners, strict=True) if isinstance(owner, tuple)
    ]
    scanned = iter(state.scanner_for(principal.org_id).scan_many(accepted))
    results: list[BatchScanned | BatchRefused] = []
    with state.sessions.begin() as session:
        for message, owner in zip(messages, owners, strict=True):
            if isinstance(owner, ApiError):
                error = BatchError(code=owner.code, message=owner.message)
                results.append(BatchRefused(id=message.id, error=error))
                continue
            result = next(scanned)
            answer = BatchScanned(id=message.id, **result.model_dump())
            if result.flags:
                rep_id, call_id = owner
                answer.flag_ids = repo.add_message_flags(
                    session, principal, result.flags, message.text, call_id, message.channel,
                    rep_id=rep_id,
                )  # fmt: skip
            results.append(answer)
    return BatchScanAnswer(results=results)


def check_batch_size(state: ServiceState, count: int, size: int) -> None:
    """413 for the whole batch when it holds too many messages or too much text (``size``
    bytes in all)."""
    limits = state.settings.service
    if count > limits.max_scan_batch:
        message = f"{count} messages; the limit is {limits.max_scan_batch}"
        raise ApiError(413, "too_large", message)
    if size > limits.max_batch_bytes:
        message = f"{size} bytes of text in all; the limit is {limits.max_batch_bytes}"
        raise ApiError(413, "too_large", message)


def whose_message(
    session: Session, principal: Principal, message: BatchMessage
) -> tuple[str, str | None] | ApiError:
    """``(rep id, stored call id)`` the message's flags belong to, or why it is refused: a
    call the caller cannot see (404) or may not act on (403), a rep outside the caller's
    scope (403), a rep other than the call's."""
    try:
        if message.call_id is not None:
            call = call_for(session, principal, message.call_id, BATCH)
            if message.rep_id is not None and message.rep_id != call.rep_id:
                return ApiError(422, "rep_mismatch", "rep_id is not the call's rep")
            return call.rep_id, call.id
        if message.rep_id is not None:
            check_owner(session, principal, BATCH, message.rep_id)
            return message.rep_id, None
        return principal.user_id, None
    except ApiError as refused:
        return refused
    except Forbidden as refused:
        return ApiError(403, "forbidden", str(refused))


class OverrideRequest(Body):
    flag_ids: list[str] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/override", status_code=204)
def override(
    body: OverrideRequest,
    principal: Annotated[Principal, Depends(Permit("compliance.override"))],
    state: StateDep,
) -> Response:
    """The rep sent a flagged message anyway, with a reason: recorded for the audit."""
    with state.sessions.begin() as session:
        for flag_id in body.flag_ids:
            flag_for(session, principal, flag_id, "compliance.override")
        repo.override_flags(session, principal, body.flag_ids, body.reason)
    return Response(status_code=204)
