"""Compliance flags for review, and the organisation's audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from copilot.principal import Principal
from copilot.service.deps import PrincipalDep, StateDep, require_role
from copilot.service.routes.models import Body
from copilot.service.state import ServiceState
from copilot.store import audit, repo
from copilot.store.audit import ChainReport
from copilot.store.flags import FlagStatus
from copilot.store.models import AuditRecord, Flag

router = APIRouter(tags=["flags"])


class FlagInfo(BaseModel):
    id: str
    rep_id: str
    call_id: str | None
    segment_id: str | None
    source: str
    text: str
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


@router.get("/flags")
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
) -> list[FlagInfo]:
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
        return [flag_info(flag) for flag in flags]


class FlagAction(Body):
    comment: str = Field(default="", max_length=2000)


@router.post("/flags/{flag_id}/acknowledge")
def acknowledge(
    flag_id: str, body: FlagAction, principal: PrincipalDep, state: StateDep
) -> FlagInfo:
    return _review(state, principal, flag_id, "acknowledged", body.comment)


@router.post("/flags/{flag_id}/resolve")
def resolve(flag_id: str, body: FlagAction, principal: PrincipalDep, state: StateDep) -> FlagInfo:
    return _review(state, principal, flag_id, "resolved", body.comment)


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
    principal: PrincipalDep,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AuditTrail:
    require_role(principal, "manager", "admin")
    with state.sessions() as session:
        records = audit.recent(session, principal.org_id, limit)
        report = audit.verify_chain(session, principal.org_id)
        return AuditTrail(chain=report, records=[audit_record_info(r) for r in records])


def flag_info(flag: Flag) -> FlagInfo:
    return FlagInfo.model_validate(flag, from_attributes=True)


def audit_record_info(record: AuditRecord) -> AuditRecordInfo:
    return AuditRecordInfo.model_validate(record, from_attributes=True)


def _review(
    state: ServiceState, principal: Principal, flag_id: str, status: FlagStatus, comment: str
) -> FlagInfo:
    require_role(principal, "manager", "admin")
    with state.sessions.begin() as session:
        flag = repo.set_flag_status(session, principal, flag_id, status, comment)
        return flag_info(flag)
