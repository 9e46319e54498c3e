"""Compliance flags for review, and the organisation's audit trail.

Flags are shown with personal numbers masked; an admin sees one unmasked through
``POST /v1/flags/{id}/reveal``, which is audited. A manager reads only the audit records
about their team (the chain's report covers the whole org)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from copilot.principal import Principal
from copilot.privacy import mask_text
from copilot.service.deps import ApiError, Permit, StateDep, check_owner, flag_for
from copilot.service.routes.labels import found_labels
from copilot.service.routes.models import Body
from copilot.service.state import ServiceState
from copilot.store import audit, repo
from copilot.store.audit import ChainReport
from copilot.store.flags import FlagStatus, Verdict, set_flag_verdict
from copilot.store.labels import add_label
from copilot.store.models import AuditRecord, Flag

router = APIRouter(tags=["flags"])


class FlagInfo(BaseModel):
    id: str
    rep_id: str
    call_id: str | None
    segment_id: str | None
    source: str
    # A window of the scanned text around the match (start/end index it); text_offset is
    # where it starts in the scanned text of text_chars characters (null: not known).
    text: str
    text_offset: int
    text_chars: int | None
    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    match: str
    suggestion: str
    status: str
    override_reason: str | None
    status_comment: str | None
    created_at: datetime
    # Which engine raised it (rule | model; null before 0006), how sure, a manager's ruling.
    detected_by: str | None = None
    confidence: float | None = None
    verdict: str | None = None
    # Whether personal numbers in text, match and comments are masked (138****5678).
    masked: bool = True
    redacted_at: datetime | None = None


@router.get("/flags")
def list_flags(
    principal: Annotated[Principal, Depends(Permit("flags.list"))],
    state: StateDep,
    rep_id: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[FlagInfo]:
    with state.sessions() as session:
        if rep_id is not None:
            check_owner(session, principal, "flags.list", rep_id)
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
        return [flag_info(flag) for flag in flags]


class FlagAction(Body):
    comment: str = Field(default="", max_length=2000)


@router.post("/flags/{flag_id}/acknowledge")
def acknowledge(
    flag_id: str,
    body: FlagAction,
    principal: Annotated[Principal, Depends(Permit("flags.review"))],
    state: StateDep,
) -> FlagInfo:
    return _review(state, principal, flag_id, "acknowledged", body.comment)


@router.post("/flags/{flag_id}/reveal")
def reveal(
    flag_id: str,
    principal: Annotated[Principal, Depends(Permit("flags.reveal"))],
    state: StateDep,
) -> FlagInfo:
    """The flag with personal numbers unmasked: admins only, and audited."""
    with state.sessions.begin() as session:
        flag = repo.reveal_flag(session, principal, flag_id, channel="api")
        if flag is None:
            raise ApiError(404, "not_found", f"no flag {flag_id!r}")
        return flag_info(flag, reveal=True)


@router.post("/flags/{flag_id}/resolve")
def resolve(
    flag_id: str,
    body: FlagAction,
    principal: Annotated[Principal, Depends(Permit("flags.review"))],
    state: StateDep,
) -> FlagInfo:
    return _review(state, principal, flag_id, "resolved", body.comment)


class VerdictBody(Body):
    verdict: Verdict
    comment: str = Field(default="", max_length=2000)


@router.post("/flags/{flag_id}/verdict")
def verdict(
    flag_id: str,
    body: VerdictBody,
    principal: Annotated[Principal, Depends(Permit("flags.verdict"))],
    state: StateDep,
) -> FlagInfo:
    """A violation or not: resolves the flag and becomes a labelled example of the org
    (its text with the flag's category, or without it), docs/learning.md."""
    with state.sessions() as session:
        flag = flag_for(session, principal, flag_id, "flags.verdict")
        text, category = flag.text, flag.category
    found = found_labels(state.engines_for(principal.org_id), "rep", text)
    labels = found | {category} if body.verdict == "violation" else found - {category}
    with state.sessions.begin() as session:
        flag_for(session, principal, flag_id, "flags.verdict")
        flag = set_flag_verdict(session, principal, flag_id, body.verdict, body.comment)
        add_label(
            session,
            principal,
            side="rep",
            text=text,
            labels=sorted(labels),
            taught=[category],
            source="flag_verdict",
            subject_id=flag_id,
        )
        info = flag_info(flag)
    state.retrainer.labels_added(principal.org_id)
    return info


class AuditRecordInfo(BaseModel):
    id: int
    created_at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditTrail(BaseModel):
    chain: ChainReport
    records: list[AuditRecordInfo]


@router.get("/audit")
def audit_log(
    principal: Annotated[Principal, Depends(Permit("audit.read"))],
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AuditTrail:
    with state.sessions() as session:
        records = list(session.scalars(audit.visible_audit_query(principal).limit(limit)))
        report = audit.verify_chain(session, principal.org_id)
        return AuditTrail(chain=report, records=[audit_record_info(r) for r in records])


def flag_info(flag: Flag, *, reveal: bool = False) -> FlagInfo:
    """The flag as the API shows it; masking keeps lengths, so offsets still hold."""
    info = FlagInfo.model_validate(flag, from_attributes=True)
    if reveal:
        return info.model_copy(update={"masked": False})
    return info.model_copy(
        update={
            "text": mask_text(info.text),
            "match": mask_text(info.match),
            "override_reason": mask_text(info.override_reason) or None,
            "status_comment": mask_text(info.status_comment) or None,
        }
    )


def audit_record_info(record: AuditRecord) -> AuditRecordInfo:
    return AuditRecordInfo.model_validate(record, from_attributes=True)


def _review(
    state: ServiceState, principal: Principal, flag_id: str, status: FlagStatus, comment: str
) -> FlagInfo:
    with state.sessions.begin() as session:
        flag_for(session, principal, flag_id, "flags.review")
        flag = repo.set_flag_status(session, principal, flag_id, status, comment)
        return flag_info(flag)
