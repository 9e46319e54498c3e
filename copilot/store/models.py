"""The service's tables (SQLAlchemy 2, portable between SQLite and PostgreSQL).

Ids are strings generated in Python (:func:`new_id`) so rows can be created before a flush
and the same code runs on both databases. Times are timezone-aware UTC. Payloads that are
already pydantic models at the boundary (insights, summaries, event bodies) are stored as
JSON rather than spread over columns nobody queries.

Constraint names follow :data:`NAMING_CONVENTION`, so they are the same on both databases and a
later migration can name what it alters (SQLite's batch mode needs the names).

Alembic's migrations (``copilot/store/migrations``) are the source of truth for the schema
of a deployed database; these classes must match them (a test compares the two).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a log.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zones: SQLAlchemy stores the wall-clock digits and hands back naive
    values, which then fail to compare with ``utcnow()``. Values are normalised to UTC on the
    way in and come back aware. A naive value is refused rather than guessed: on a server
    set to Asia/Shanghai a naive local time read as UTC would be eight hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Org(Base):
    __tablename__ = "orgs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # Per-organisation overrides of the compliance policy, e.g. {"max_discount_off": 0.15}.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    # A manager sees the calls of the reps in their team.
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))  # rep | manager | admin | integration
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    # The public half of the key (``cpk_<id>_<secret>``), used to find the row.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # Only a hash of the secret half is stored; a leaked table grants nothing.
    secret_hash: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class Call(Base):
    __tablename__ = "calls"
    # Listing a tenant's calls, newest first.
    __table_args__ = (Index("ix_calls_org_started", "org_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16))  # stream | upload | transcript
    # live → ended → confirmed; a call interrupted by a restart goes live → interrupted.
    status: Mapped[str] = mapped_column(String(16), default="live")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    audio_format: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The last event sequence number handed out; a resumed call continues after it.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # CONTRACT's CallSummary once the call ended; what the rep confirmed replaces it.
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))


class Segment(Base):
    """A final transcript segment, persisted as soon as it is recognised."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("call_id", "segment_id"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    segment_id: Mapped[str] = mapped_column(String(64))
    speaker: Mapped[str] = mapped_column(String(16))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallEvent(Base):
    """Every non-partial event a call emitted, so a client resumes with ``after=seq``."""

    __tablename__ = "call_events"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InsightRecord(Base):
    """The insights extracted from one customer segment (CONTRACT ``Insights``)."""

    __tablename__ = "insights"

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    segment_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Flag(Base):
    """A compliance flag, from an outgoing message or from what the rep said on a call."""

    __tablename__ = "flags"
    __table_args__ = (Index("ix_flags_org_created", "org_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), index=True)
    segment_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # speech | message
    # The scanned text (the segment or the message draft) the flag points into.
    text: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(8), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    match: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text, default="")
    # open → acknowledged → resolved; ``overridden`` when the rep sent it anyway.
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    override_reason: Mapped[str | None] = mapped_column(Text)
    # The comment given with the last acknowledge/resolve; the audit log keeps every one.
    status_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SuggestionFeedback(Base):
    __tablename__ = "suggestion_feedback"
    # The ranker reads per-org counts of each entry.
    __table_args__ = (Index("ix_suggestion_feedback_org_entry", "org_id", "entry_id"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"))
    entry_id: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(16))  # used | dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CrmOutbox(Base):
    """A webhook waiting for (or done with) delivery to the CRM; the id is ``webhook-id``."""

    __tablename__ = "crm_outbox"
    __table_args__ = (Index("ix_crm_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))  # e.g. call.summary.confirmed
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class AuditRecord(Base):
    """One append-only audit entry; ``hash`` chains it to the org's previous entry."""

    __tablename__ = "audit_log"
    # The chain is walked (and its head found) per org in id order.
    __table_args__ = (Index("ix_audit_log_org_chain", "org_id", "id"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    actor_id: Mapped[str | None] = mapped_column(String(32))  # None: the system itself
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))  # flag.created, flag.resolved, call.confirmed…
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
