"""Calls and what they produce while live: final segments, events, insights.

Finals are written as they are recognised, so a call survives a restart mid-call: on start
the service marks calls left ``live`` as ``interrupted`` (:func:`mark_interrupted_calls`),
and a reconnecting side panel replays :func:`list_events_after` its last ``seq``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Insert, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.principal import Principal
from copilot.store import audit, scorecards
from copilot.store.call_metrics import record_call_metrics
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import Call, CallEvent, InsightRecord, Segment, User, new_id, utcnow
from copilot.store.visibility import visible_calls_query

CallStatus = Literal["live", "analysing", "ended", "interrupted", "confirmed", "failed"]
CALL_STATUSES: tuple[str, ...] = get_args(CallStatus)
CALL_SOURCES = ("stream", "upload", "transcript")


def create_call(
    session: Session,
    *,
    org_id: str,
    rep_id: str,
    source: str,
    call_id: str | None = None,
    client_id: str | None = None,
    customer_name: str = "",
    audio_format: dict[str, Any] | None = None,
    status: CallStatus = "live",
    started_at: datetime | None = None,
) -> Call:
    """A new call. ``client_id`` is the id the client chose (unique in its org; see
    :func:`find_call`); the stored id is the same string when no call anywhere holds it,
    else a generated one, so no org can claim an id to lock another out."""
    if source not in CALL_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(CALL_SOURCES)}, not {source!r}")
    _check_status(status)
    rep = session.get(User, rep_id)
    if rep is None or rep.org_id != org_id:
        raise InvalidInput(f"user {rep_id!r} is not a member of org {org_id}")
    if call_id is not None and session.get(Call, call_id) is not None:
        # Whoever owns it, the answer is the same: ids are not a way to probe other tenants.
        raise Conflict(f"call id {call_id!r} is taken")
    fields: dict[str, Any] = dict(
        org_id=org_id,
        rep_id=rep_id,
        source=source,
        client_id=client_id,
        customer_name=customer_name,
        audio_format=audio_format or {},
        status=status,
        started_at=started_at or utcnow(),
    )
    if call_id is not None or client_id is None:
        call = Call(**fields, id=call_id or new_id())
        session.add(call)
        session.flush()
        return call
    if session.get(Call, client_id) is None:
        # Likely free; another worker may take it between this look and the insert.
        inserted = _insert_call(session, fields, client_id)
        if inserted is not None:
            return inserted
    inserted = _insert_call(session, fields, new_id())
    if inserted is None:
        # Only the org's own (org_id, client_id) can collide with a fresh uuid.
        raise Conflict(f"call id {client_id!r} is taken")
    return inserted


def _insert_call(session: Session, fields: dict[str, Any], call_id: str) -> Call | None:
    """Insert in a savepoint: None when a unique key is taken (the transaction goes on)."""
    call = Call(**fields, id=call_id)
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        return None
    return call


def _named(org_id: str, name: str) -> Any:
    return (Call.org_id == org_id) & or_(Call.client_id == name, Call.id == name)


def find_call(session: Session, org_id: str, name: str) -> Call | None:
    """The org's call a client calls ``name``: the one it created under that id, else the
    one stored under it. The one place a call id from a client is resolved; calls of other
    orgs are never found, whatever their ids."""
    query = (
        select(Call)
        .where(_named(org_id, name))
        .order_by(case((Call.client_id == name, 0), else_=1))
        .limit(1)
    )
    return session.scalar(query)


def get_call(session: Session, call_id: str) -> Call | None:
    """Unscoped: for the pipeline, which already knows whose call it runs. Requests from a
    user go through :func:`get_visible_call`."""
    return session.get(Call, call_id)


def get_visible_call(session: Session, principal: Principal, call_id: str) -> Call | None:
    """The call the principal names ``call_id`` (:func:`find_call`) if they may see it; None
    both when it is missing and when it is not theirs."""
    call = find_call(session, principal.org_id, call_id)
    if call is None:
        return None
    return session.scalar(visible_calls_query(principal).where(Call.id == call.id))


def list_visible_calls(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    rep_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Call]:
    """The principal's visible calls, newest first."""
    query = visible_calls_query(principal)
    if status is not None:
        query = query.where(Call.status == status)
    if rep_id is not None:
        query = query.where(Call.rep_id == rep_id)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    query = query.order_by(Call.started_at.desc(), Call.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def update_call(
    session: Session,
    call: Call | str,
    *,
    status: CallStatus | None = None,
    ended_at: datetime | None = None,
    duration_s: float | None = None,
    summary: dict[str, Any] | None = None,
    last_seq: int | None = None,
    customer_name: str | None = None,
) -> Call:
    """Set the given fields (None leaves a field as it is)."""
    row = _load(session, call)
    if status is not None:
        _check_status(status)
        row.status = status
    if ended_at is not None:
        row.ended_at = ended_at
    if duration_s is not None:
        row.duration_s = duration_s
    if summary is not None:
        row.summary = summary
    if last_seq is not None:
        row.last_seq = last_seq
    if customer_name is not None:
        row.customer_name = customer_name
    session.flush()
    if summary is not None:
        # Scored once the call's summary is stored (copilot/store/scorecards.py).
        scorecards.score_call_on_summary(session, row)
    if summary is not None or customer_name is not None:
        # Its figures and tags for the analytics pages (docs/metrics.md).
        record_call_metrics(session, row)
    return row


def save_summary_edit(
    session: Session, call: Call, actor: Principal, summary: dict[str, Any]
) -> Call:
    """The rep's edited summary replaces the generated one; audited as an edit."""
    if call.status in ("live", "analysing"):
        raise Conflict(f"call {call.id} is {call.status}: its summary is not ready")
    if call.status == "confirmed":
        raise Conflict(f"call {call.id} is already confirmed")
    call.summary = summary
    session.flush()
    record_call_metrics(session, call)
    audit.append(
        session,
        call.org_id,
        actor,
        "call.summary_edited",
        "call",
        call.id,
        {"fields": sorted(summary)},
    )
    return call


def confirm_call(
    session: Session,
    call: Call,
    actor: Principal,
    *,
    now: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Call:
    """Mark the summary confirmed (the CRM outbox entry is the caller's, same transaction)."""
    if call.summary is None or call.status in ("live", "analysing"):
        raise Conflict(f"call {call.id} has no summary to confirm yet")
    if call.status == "confirmed":
        raise Conflict(f"call {call.id} is already confirmed")
    call.status = "confirmed"
    call.confirmed_at = now or utcnow()
    call.confirmed_by = actor.user_id
    session.flush()
    audit.append(session, call.org_id, actor, "call.confirmed", "call", call.id, detail or {})
    return call


def mark_interrupted_calls(session: Session, *, now: datetime | None = None) -> list[str]:
    """At start-up, before any call streams: calls still ``live`` lost their stream in a
    restart. Mark them ``interrupted`` (their finals and events are kept) and return their
    ids, so the service can tell their side panels."""
    ids = list(session.scalars(select(Call.id).where(Call.status == "live")))
    mark_suspended_calls(session, ids, ended_at=now or utcnow())
    session.flush()
    return ids


def mark_suspended_calls(
    session: Session, call_ids: Sequence[str], *, ended_at: datetime | None = None
) -> None:
    """Calls whose streams stopped without ``stop`` (the client went away, the server shuts
    down or restarted): those still ``live`` become ``interrupted``, in one conditional
    update. An end asked for meanwhile may have summarised one already; a read-then-write
    would put it back to interrupted (seen on PostgreSQL in test_call_ids)."""
    if not call_ids:
        return
    values: dict[str, Any] = {"status": "interrupted"}
    if ended_at is not None:
        values["ended_at"] = ended_at
    session.execute(
        update(Call).where(Call.id.in_(list(call_ids)), Call.status == "live").values(**values)
    )


def _load(session: Session, call: Call | str) -> Call:
    if isinstance(call, Call):
        return call
    row = session.get(Call, call)
    if row is None:
        raise NotFound(f"no call {call!r}")
    return row


def _check_status(status: str) -> None:
    if status not in CALL_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(CALL_STATUSES)}, not {status!r}")


def _insert_ignoring_duplicates(session: Session, table: Any, values: dict[str, Any]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: safe when two workers (or a retry) write the same
    row at once, where "select, then insert" would race."""
    statement: Insert
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    session.execute(statement)


# --- segments -------------------------------------------------------------------------


def add_segment(
    session: Session,
    call_id: str,
    *,
    segment_id: str,
    speaker: str,
    start: float,
    end: float,
    text: str,
    raw_text: str | None = None,
    speaker_source: str | None = None,
    speaker_confidence: float | None = None,
) -> Segment:
    """Persist a final segment; adding the same ``segment_id`` again returns the first.
    ``raw_text``: the recogniser's words when correction changed them; ``speaker_source``
    and ``speaker_confidence``: how the speaker was told (docs/diarization.md)."""
    _insert_ignoring_duplicates(
        session,
        Segment,
        dict(
            call_id=call_id,
            segment_id=segment_id,
            speaker=speaker,
            start=start,
            end=end,
            text=text,
            created_at=utcnow(),
            raw_text=raw_text,
            speaker_source=speaker_source,
            speaker_confidence=speaker_confidence,
        ),
    )
    segment = get_segment(session, call_id, segment_id)
    assert segment is not None  # inserted just now, or there before
    return segment


def relabel_segment(
    session: Session,
    call_id: str,
    segment_id: str,
    *,
    speaker: str,
    speaker_source: str | None,
    speaker_confidence: float | None,
) -> Segment | None:
    """Give a stored segment its revised speaker (None when the call has no such segment)."""
    segment = get_segment(session, call_id, segment_id)
    if segment is not None:
        segment.speaker = speaker
        segment.speaker_source = speaker_source
        segment.speaker_confidence = speaker_confidence
        session.flush()
    return segment


def get_segment(session: Session, call_id: str, segment_id: str) -> Segment | None:
    """One segment of a call by the id its events carry (``seg-0003``)."""
    return session.scalar(
        select(Segment).where(Segment.call_id == call_id, Segment.segment_id == segment_id)
    )


def list_segments(session: Session, call_id: str) -> list[Segment]:
    query = select(Segment).where(Segment.call_id == call_id)
    return list(session.scalars(query.order_by(Segment.start, Segment.id)))


# --- events ---------------------------------------------------------------------------


def append_event(
    session: Session,
    call_id: str,
    seq: int,
    type: str,
    payload: dict[str, Any],
) -> CallEvent:
    """Persist an event (partials are not persisted) and advance the call's ``last_seq``.

    A second event with the same ``seq`` is a bug in the numbering and fails loudly.
    """
    event = CallEvent(call_id=call_id, seq=seq, type=type, payload=payload)
    session.add(event)
    session.flush()
    session.execute(
        update(Call).where(Call.id == call_id, Call.last_seq < seq).values(last_seq=seq)
    )
    return event


def list_events_after(
    session: Session, call_id: str, after_seq: int = 0, *, limit: int | None = None
) -> list[CallEvent]:
    """Events with ``seq > after_seq`` in order: what a reconnecting client missed."""
    query = (
        select(CallEvent)
        .where(CallEvent.call_id == call_id, CallEvent.seq > after_seq)
        .order_by(CallEvent.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


# --- insights -------------------------------------------------------------------------


def add_insight(
    session: Session, call_id: str, segment_id: str, payload: dict[str, Any]
) -> InsightRecord:
    record = InsightRecord(call_id=call_id, segment_id=segment_id, payload=payload)
    session.add(record)
    session.flush()
    return record


def replace_insight(
    session: Session, call_id: str, segment_id: str, payload: dict[str, Any] | None
) -> None:
    """A segment's insights as now extracted; None when it gives none any more."""
    session.execute(
        delete(InsightRecord).where(
            InsightRecord.call_id == call_id, InsightRecord.segment_id == segment_id
        )
    )
    if payload is not None:
        add_insight(session, call_id, segment_id, payload)


def list_insights(session: Session, call_id: str) -> list[InsightRecord]:
    query = select(InsightRecord).where(InsightRecord.call_id == call_id)
    return list(session.scalars(query.order_by(InsightRecord.id)))
