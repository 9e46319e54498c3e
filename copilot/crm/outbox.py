"""The CRM outbox: plain functions over a SQLAlchemy ``Session``.

:func:`enqueue` runs inside the caller's transaction (the one that confirms the call), so
the confirmation and its webhook commit together or not at all; nothing here commits.
A row's id is the ``webhook-id`` and never changes, however often the row is sent: that is
what lets the CRM turn at-least-once delivery into exactly-once effect.

Times are timezone-aware UTC. SQLite hands them back naive (it stores no offset), so every
time read from a row goes through :func:`_utc`.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from copilot.crm.config import CrmConfig
from copilot.crm.errors import OutboxError
from copilot.crm.models import (
    SUMMARY_CONFIRMED,
    DeliveryOutcome,
    DeliveryStatus,
    OutboxMessage,
)
from copilot.store.models import Call, CrmOutbox

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
MAX_ERROR_CHARS = 500


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else _utc(now)


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _lock_call(session: Session, call_id: str) -> None:
    """Serialise enqueues for one call, so two confirm clicks cannot both insert.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite; the second
    transaction waits for the first to commit and then sees its row. (A partial unique index
    on (call_id, event_type) would say the same thing in the schema.)
    """
    session.execute(
        update(Call)
        .where(Call.id == call_id)
        .values(status=Call.status)
        .execution_options(synchronize_session=False)
    )


def enqueue(
    session: Session,
    org_id: str,
    call_id: str | None,
    event_type: str,
    payload: dict[str, Any],
    *,
    target: str = "webhook",
    message_id: str | None = None,
    now: datetime | None = None,
) -> CrmOutbox:
    """Queue one event for the CRM, or return the row already queued for it.

    The logical event is (call_id, event_type): a second enqueue returns the existing row
    — pending or delivered — so a double "confirm" sends once. A ``dead`` one is put back
    in the queue with its id unchanged: if the CRM did process an attempt whose answer was
    lost, it dedupes the resend. Events without a call are never merged.
    """
    try:
        json.dumps(payload, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        # Fail at confirm time, in front of the caller, not later inside the worker.
        raise OutboxError(f"webhook payload is not JSON: {exc}") from exc
    moment = _now(now)
    if call_id is not None:
        _lock_call(session, call_id)
        existing = session.scalars(
            select(CrmOutbox)
            .where(CrmOutbox.call_id == call_id, CrmOutbox.event_type == event_type)
            .order_by(CrmOutbox.created_at.desc())
            .limit(1)
        ).first()
        if existing is not None:
            if existing.status == DEAD:
                _requeue(existing, moment)
            return existing
    row = CrmOutbox(
        id=message_id or new_message_id(),
        org_id=org_id,
        call_id=call_id,
        event_type=event_type,
        payload=payload,
        target=target,
        steps_done=0,
        status=PENDING,
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    session.add(row)
    session.flush()
    return row


def due(session: Session, now: datetime, limit: int) -> list[CrmOutbox]:
    """Pending rows whose next attempt is due, oldest first.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED`` until the transaction
    ends, so two workers never take the same row; SQLite ignores the clause (it has one
    writer at a time anyway).
    """
    return list(
        session.scalars(
            select(CrmOutbox)
            .where(CrmOutbox.status == PENDING, CrmOutbox.next_attempt_at <= _utc(now))
            .order_by(CrmOutbox.next_attempt_at, CrmOutbox.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def _message(row: CrmOutbox) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        org_id=row.org_id,
        call_id=row.call_id,
        event_type=row.event_type,
        payload=row.payload,
        attempts=row.attempts,
        created_at=_utc(row.created_at),
        target=row.target,
        steps_done=row.steps_done,
    )


def claim(session: Session, now: datetime, limit: int, lease_s: float) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows for sending and hide them for ``lease_s``.

    The lease replaces a transaction held open across HTTP calls: commit right after this,
    send, then record each outcome. A worker that dies in between leaves its rows pending;
    they fall due again when the lease ends and go out with the same webhook-id.
    """
    moment = _utc(now)
    hidden_until = moment + timedelta(seconds=lease_s)
    claimed = []
    for row in due(session, moment, limit):
        # Conditional, so that where FOR UPDATE is ignored (SQLite) a second worker that read
        # the same row before this write finds it no longer due and leaves it alone.
        result = session.execute(
            update(CrmOutbox)
            .where(
                CrmOutbox.id == row.id,
                CrmOutbox.status == PENDING,
                CrmOutbox.next_attempt_at <= moment,
            )
            .values(next_attempt_at=hidden_until)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) == 1:
            claimed.append(_message(row))
    return claimed


def release(session: Session, ids: Sequence[str], now: datetime) -> int:
    """Hand claimed rows back unsent (a stopping worker), due again at once."""
    if not ids:
        return 0
    result = session.execute(
        update(CrmOutbox)
        .where(CrmOutbox.id.in_(list(ids)), CrmOutbox.status == PENDING)
        .values(next_attempt_at=_utc(now))
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


def steps_of(target: str, payload: dict[str, Any]) -> int:
    """How many requests a row's delivery takes."""
    if target == "webhook":
        return 1
    requests = payload.get("requests")
    return len(requests) if isinstance(requests, list) else 1


def _rowcount(result: object) -> int:
    # Session.execute is typed as returning Result; DML gives a CursorResult with rowcount.
    return int(getattr(result, "rowcount", 0) or 0)


def _get(session: Session, msg_id: str) -> CrmOutbox:
    row = session.get(CrmOutbox, msg_id, with_for_update=True)
    if row is None:
        raise OutboxError(f"no CRM outbox message {msg_id!r}")
    return row


def _short(error: str | None) -> str | None:
    if error is None or len(error) <= MAX_ERROR_CHARS:
        return error
    return error[: MAX_ERROR_CHARS - 1] + "…"


def mark_delivered(
    session: Session, msg_id: str, *, status_code: int | None, now: datetime
) -> CrmOutbox:
    """Record a 2xx. Also from ``dead``: a late success is still the truth."""
    row = _get(session, msg_id)
    row.attempts += 1
    row.status = DELIVERED
    row.last_status_code = status_code
    row.last_error = None
    row.delivered_at = _utc(now)
    session.flush()
    return row


def backoff_delay_s(config: CrmConfig, failures: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` failed attempts: exponential, capped, jittered."""
    nominal = config.nominal_delay_s(failures)
    spread = (rng or random).uniform(-config.jitter, config.jitter)
    return max(0.0, nominal * (1.0 + spread))


def mark_failed(
    session: Session,
    msg_id: str,
    *,
    status_code: int | None,
    error: str | None,
    now: datetime,
    config: CrmConfig,
    rng: random.Random | None = None,
    retry_after_s: float | None = None,
    gone: bool = False,
) -> CrmOutbox:
    """Record a failed attempt: schedule the next one, or give up (``dead``).

    ``gone`` (HTTP 410) gives up at once. A ``Retry-After`` from the receiver stretches the
    wait, never beyond ``backoff_max_s``. A row another worker already delivered (its lease
    ran out while this one was still waiting) stays delivered.
    """
    row = _get(session, msg_id)
    row.attempts += 1
    row.last_status_code = status_code
    row.last_error = _short(error)
    if row.status == DELIVERED:
        session.flush()
        return row
    if gone or row.attempts >= config.max_attempts:
        row.status = DEAD
    else:
        delay = backoff_delay_s(config, row.attempts, rng)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, config.backoff_max_s))
        row.status = PENDING
        row.next_attempt_at = _utc(now) + timedelta(seconds=delay)
    session.flush()
    return row


def record_outcome(
    session: Session,
    msg_id: str,
    outcome: DeliveryOutcome,
    *,
    now: datetime,
    config: CrmConfig,
    rng: random.Random | None = None,
) -> CrmOutbox:
    """Apply what the sender reported to the row."""
    if outcome.steps_done is not None:
        _get(session, msg_id).steps_done = outcome.steps_done
    if outcome.result == "delivered":
        return mark_delivered(session, msg_id, status_code=outcome.status_code, now=now)
    return mark_failed(
        session,
        msg_id,
        status_code=outcome.status_code,
        error=outcome.error,
        now=now,
        config=config,
        rng=rng,
        retry_after_s=outcome.retry_after_s,
        gone=outcome.result == "gone",
    )


def _requeue(row: CrmOutbox, now: datetime) -> None:
    # attempts restart so the row gets a whole new series; last_error stays as a clue.
    row.status = PENDING
    row.attempts = 0
    row.next_attempt_at = now


def retry_dead(session: Session, msg_id: str, *, now: datetime | None = None) -> CrmOutbox:
    """Put a message back in the queue by hand (an admin, once the CRM is fixed).

    A ``dead`` row gets a fresh series of attempts; a ``pending`` one is simply made due
    now ("retry now"). Same webhook-id either way. A delivered row is refused: sending
    it again would be a no-op at a receiver that dedupes, and a surprise at one that does not.
    """
    row = _get(session, msg_id)
    moment = _now(now)
    if row.status == DELIVERED:
        raise OutboxError(f"CRM message {msg_id} was already delivered; nothing to retry")
    if row.status == DEAD:
        _requeue(row, moment)
    else:
        row.next_attempt_at = moment
    session.flush()
    return row


def _reason(row: CrmOutbox, config: CrmConfig) -> str | None:
    if row.status == DELIVERED:
        return None
    last = row.last_error or (f"HTTP {row.last_status_code}" if row.last_status_code else "")
    if row.status == DEAD:
        if row.last_status_code == 410:
            return "the CRM answered 410 Gone (endpoint retired); fix the URL, then retry"
        return f"gave up after {row.attempts} attempts ({last}); an admin can retry it"
    if not config.enabled:
        return "CRM webhook not configured (COPILOT_CRM__WEBHOOK_URL); it waits to be sent"
    if row.attempts == 0:
        return "queued for delivery"
    when = _utc(row.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"attempt {row.attempts} of {config.max_attempts} failed ({last}); next at {when}"


def to_status(row: CrmOutbox, config: CrmConfig) -> DeliveryStatus:
    return DeliveryStatus(
        id=row.id,
        call_id=row.call_id,
        event_type=row.event_type,
        status=row.status,  # type: ignore[arg-type]  # the column only ever holds the three
        attempts=row.attempts,
        max_attempts=config.max_attempts,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        next_attempt_at=_utc(row.next_attempt_at) if row.status == PENDING else None,
        created_at=_utc(row.created_at),
        delivered_at=_utc(row.delivered_at) if row.delivered_at else None,
        target=row.target,
        steps_done=row.steps_done,
        steps=steps_of(row.target, row.payload),
        reason=_reason(row, config),
    )


def status_of(
    session: Session,
    call_id: str,
    *,
    config: CrmConfig,
    event_type: str = SUMMARY_CONFIRMED,
) -> DeliveryStatus | None:
    """The delivery status of a call's event for the call view; None if never queued."""
    row = session.scalars(
        select(CrmOutbox)
        .where(CrmOutbox.call_id == call_id, CrmOutbox.event_type == event_type)
        .order_by(CrmOutbox.created_at.desc())
        .limit(1)
    ).first()
    return None if row is None else to_status(row, config)
