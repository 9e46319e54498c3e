"""The append-only, hash-chained audit trail (one chain per org).

Each record's ``hash`` is ``sha256(prev_hash + canonical JSON of its fields)`` and its
``prev_hash`` is the org's previous record's hash (64 zeros for the first). Editing,
deleting or reordering any record breaks every later link, which :func:`verify_chain` finds.
Database triggers (migration 0001) reject UPDATE and DELETE on the table outright; the chain
catches what bypasses them (a superuser who drops the trigger, a restored backup).

Truncating the newest records leaves a valid shorter chain: keep ``ChainReport.head_hash``
somewhere else (an export, a ticket) when that must be provable too.

No personal number ever enters a record: :func:`append` replaces each one in ``detail`` by its
keyed reference (``copilot.privacy``), since a record can never be erased. Who may read which
records is :func:`visible_audit_query`'s business; the chain is verified whole regardless.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, and_, event, func, or_, select, text, update
from sqlalchemy.orm import Session, SessionTransaction

from copilot.principal import Principal
from copilot.privacy import pii_key, pseudonymize_json
from copilot.store.models import ApiKey, AuditRecord, Call, Flag, Org, User, utcnow
from copilot.store.visibility import visible_calls_query, visible_flags_query

GENESIS_HASH = "0" * 64
SYSTEM_ROLE = "system"  # actor_role of records written by the service itself (actor_id None)
# First key of the two-key pg_advisory_xact_lock that serialises appends per org ("aud").
_LOCK_NAMESPACE = 0x617564
# session.info key of the chain heads the session's transaction appended (_chain_heads).
_HEADS = "audit_chain_heads"


class ChainReport(BaseModel):
    """The result of :func:`verify_chain`: ``count`` records, all linked when ``ok``."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    count: int
    first_broken_id: int | None = None
    reason: str | None = None
    # The newest record's hash when the chain is whole: an anchor to keep elsewhere.
    head_hash: str | None = None


def canonical_json(value: Any) -> str:
    """One byte sequence per value: sorted keys, no spaces, UTF-8 as is, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _timestamp(moment: datetime) -> str:
    # Microseconds survive both databases; a fixed format keeps the hash reproducible.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode()).hexdigest()


def _fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "org_id": record.org_id,
        "actor_id": record.actor_id,
        "actor_role": record.actor_role,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "detail": record.detail,
        "created_at": _timestamp(record.created_at),
    }


def _lock_org_chain(session: Session, org_id: str) -> None:
    """Serialise appends per org until this transaction ends, so two writers never chain
    onto the same predecessor."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:org_id))"),
            {"namespace": _LOCK_NAMESPACE, "org_id": org_id},
        )
        return
    # SQLite: any write takes the database-wide write lock until commit. A no-op UPDATE
    # takes it *before* we read the chain's head; reading first could let two writers read
    # the same head.
    session.execute(update(Org).where(Org.id == org_id).values(id=Org.id))


def head_hash(session: Session, org_id: str) -> str:
    latest = session.scalar(
        select(AuditRecord.hash)
        .where(AuditRecord.org_id == org_id)
        .order_by(AuditRecord.id.desc())
        .limit(1)
    )
    return latest or GENESIS_HASH


def append(
    session: Session,
    org_id: str,
    actor: Principal | None = None,
    action: str = "",
    subject_type: str = "",
    subject_id: str = "",
    detail: Mapping[str, Any] | None = None,
    *,
    actor_id: str | None = None,
    actor_role: str | None = None,
    now: datetime | None = None,
    key: bytes | None = None,
) -> AuditRecord:
    """Add one record to the org's chain (flushed; the caller commits with its change).

    Name the actor either as a ``Principal`` or as ``actor_id``/``actor_role``; neither
    means the service itself (role ``system``). ``detail`` must be JSON (it is stored as the
    JSON it was hashed as); personal numbers in its strings become keyed references
    (``key``: the HMAC key, default the configured one). Appends to one org's chain wait for
    each other; a transaction appending many (a batch of flags) locks the chain and reads its
    head once.
    """
    if not (action and subject_type and subject_id):
        raise ValueError("an audit record needs an action, a subject_type and a subject_id")
    if actor is not None:
        if actor_id is not None or actor_role is not None:
            raise ValueError("give either actor or actor_id/actor_role, not both")
        if actor.org_id != org_id:
            raise ValueError(f"actor of org {actor.org_id} cannot write org {org_id}'s log")
        actor_id, actor_role = actor.user_id, actor.role
    stored_detail = json.loads(canonical_json(dict(detail or {})))
    stored_detail = pseudonymize_json(stored_detail, key if key is not None else pii_key())
    heads = _chain_heads(session)
    prev_hash = heads.get(org_id)
    if prev_hash is None:
        _lock_org_chain(session, org_id)
        prev_hash = head_hash(session, org_id)
    record = AuditRecord(
        org_id=org_id,
        actor_id=actor_id,
        actor_role=actor_role or SYSTEM_ROLE,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=stored_detail,
        created_at=(now or utcnow()).astimezone(UTC),
        prev_hash=prev_hash,
    )
    record.hash = record_hash(record.prev_hash, _fields(record))
    session.add(record)
    session.flush()
    heads[org_id] = record.hash
    return record


def _chain_heads(session: Session) -> dict[str, str]:
    """The heads of the chains this transaction has appended to (it holds their locks, so
    nobody else can have appended since): the next append skips the lock and the read.
    Forgotten when the transaction or a savepoint ends, committed or not."""
    heads: dict[str, str] | None = session.info.get(_HEADS)
    if heads is None:
        heads = session.info[_HEADS] = {}
        if not event.contains(session, "after_transaction_end", _forget_heads):
            event.listen(session, "after_transaction_end", _forget_heads)
    return heads


def _forget_heads(session: Session, transaction: SessionTransaction) -> None:
    # A flush runs in a transaction of its own inside the session's: not an end that counts.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_HEADS, None)


def verify_chain(session: Session, org_id: str) -> ChainReport:
    """Walk the org's chain in order; report the first record whose link or hash is wrong."""
    expected_prev = GENESIS_HASH
    count = 0
    broken: tuple[int, str] | None = None
    query = (
        select(AuditRecord)
        .where(AuditRecord.org_id == org_id)
        .order_by(AuditRecord.id)
        .execution_options(yield_per=500)
    )
    for record in session.scalars(query):
        count += 1
        if broken is not None:
            continue  # keep counting: the report says how long the chain is
        if record.prev_hash != expected_prev:
            broken = (record.id, "prev_hash does not match the previous record's hash")
        elif record.hash != record_hash(record.prev_hash, _fields(record)):
            broken = (record.id, "content does not match its hash")
        expected_prev = record.hash
    if broken is not None:
        return ChainReport(ok=False, count=count, first_broken_id=broken[0], reason=broken[1])
    return ChainReport(ok=True, count=count, head_hash=expected_prev)


def audit_query(
    org_id: str, *, subject_type: str | None = None, subject_id: str | None = None
) -> Select[AuditRecord]:
    """The org's records, newest first; add ``.limit()`` / ``.where(AuditRecord.id < …)``."""
    query = select(AuditRecord).where(AuditRecord.org_id == org_id)
    if subject_type is not None:
        query = query.where(AuditRecord.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditRecord.subject_id == subject_id)
    return query.order_by(AuditRecord.id.desc())


def _about_visible(principal: Principal) -> ColumnElement[bool]:
    """Records a manager may read: their own actions, and those about the flags, calls,
    users and API keys of their team (what visibility.py lets them see)."""
    flags = visible_flags_query(principal).with_only_columns(Flag.id)
    calls = visible_calls_query(principal).with_only_columns(Call.id)
    users = select(User.id).where(User.org_id == principal.org_id)
    if principal.team_id is not None:
        users = users.where(or_(User.team_id == principal.team_id, User.id == principal.user_id))
    else:
        users = users.where(User.id == principal.user_id)
    keys = select(ApiKey.id).where(ApiKey.user_id.in_(users))
    return or_(
        AuditRecord.actor_id == principal.user_id,
        and_(AuditRecord.subject_type == "flag", AuditRecord.subject_id.in_(flags)),
        and_(AuditRecord.subject_type == "call", AuditRecord.subject_id.in_(calls)),
        and_(AuditRecord.subject_type == "user", AuditRecord.subject_id.in_(users)),
        and_(AuditRecord.subject_type == "api_key", AuditRecord.subject_id.in_(keys)),
    )


def visible_audit_query(principal: Principal) -> Select[AuditRecord]:
    """The records the principal may read, newest first: the whole org's for an admin, a
    manager's team's (and their own actions) for a manager.

    Verify the chain with :func:`verify_chain` over the whole org: a manager is shown its
    report, never the records outside their team."""
    query = select(AuditRecord).where(AuditRecord.org_id == principal.org_id)
    if principal.role != "admin":
        query = query.where(_about_visible(principal))
    return query.order_by(AuditRecord.id.desc())


def count_visible(session: Session, principal: Principal) -> int:
    subquery = visible_audit_query(principal).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def recent(session: Session, org_id: str, limit: int = 200) -> list[AuditRecord]:
    """The org's newest records, newest first."""
    return list(session.scalars(audit_query(org_id).limit(limit)))


def record_json(record: AuditRecord) -> dict[str, Any]:
    """A record as the API and exports show it."""
    return {
        "id": record.id,
        "created_at": record.created_at.isoformat(),
        "actor_id": record.actor_id,
        "actor_role": record.actor_role,
        "action": record.action,
        "subject_type": record.subject_type,
        "subject_id": record.subject_id,
        "detail": record.detail,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
    }


def count_records(session: Session, org_id: str) -> int:
    query = select(func.count()).select_from(AuditRecord).where(AuditRecord.org_id == org_id)
    return int(session.scalar(query) or 0)
