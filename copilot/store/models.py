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
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    # Raised by every change to the org's own KB entries, vendors, products or rule
    # overrides: the service compares it per request and rebuilds that org's engines.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Where and how its confirmed calls are filed (copilot.crm.targets.OrgCrm as JSON):
    # the mapping, the CRM's base URL, the lookup endpoint. None: the generic webhook.
    crm: Mapped[dict[str, Any] | None] = mapped_column(JSON)


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
    # The rep as a user of the org's CRM: the owner of what their calls file there.
    crm_user_id: Mapped[str | None] = mapped_column(String(200))
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


class DashboardSessionRecord(Base):
    """A dashboard sign-in; the cookie carries its signed id, logout revokes it."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    # The API key it was opened with: revoking the key ends the session too.
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class UsedLoginToken(Base):
    """A login form's CSRF nonce already submitted once: a second use is refused."""

    __tablename__ = "dashboard_used_login_tokens"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Call(Base):
    __tablename__ = "calls"
    # Listing a tenant's calls, newest first; a client's call id names one call per org.
    __table_args__ = (
        Index("ix_calls_org_started", "org_id", "started_at"),
        # A unique index, not a constraint: SQLite adds one without rebuilding the table.
        Index("uq_calls_org_id_client_id", "org_id", "client_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    # The id the client chose for a streamed call, unique within its org only. ``id`` is the
    # same string unless another org already held it (then a generated one); clients' ids
    # are resolved by ``copilot.store.calls.find_call`` (docs/service.md, "Call ids").
    client_id: Mapped[str | None] = mapped_column(String(64))
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
    # The CRM records the call belongs to (copilot.crm.filing.CrmIdentity as JSON).
    crm: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The rep's review of the summary: field -> {"state", "by", "at"}.
    review: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    # Set when retention deleted the transcript and events (``copilot purge``).
    purged_at: Mapped[datetime | None] = mapped_column()
    # The recording kept when the org's policy keeps them (``keep_recordings``), relative to
    # the recordings directory (copilot/store/recordings.py); None: transcript only.
    recording_path: Mapped[str | None] = mapped_column(String(500))
    # When the rep told the customer the call is recorded (录音告知); None: not seen.
    recording_notice_at: Mapped[datetime | None] = mapped_column()


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
    # What the recogniser heard when correction or a manager changed ``text`` (audit);
    # None: unchanged (or stored before 0007).
    raw_text: Mapped[str | None] = mapped_column(Text)
    # channel | inferred (a mono call's voices, docs/diarization.md) and, when inferred, how sure.
    speaker_source: Mapped[str | None] = mapped_column(String(16))
    speaker_confidence: Mapped[float | None] = mapped_column(Float)


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
    # A window of the scanned text (the segment or the message draft) around the match;
    # start/end index the window. text_offset: where it starts in the scanned text,
    # text_chars: that text's length (None: rows from before 0003 kept the whole text).
    text: Mapped[str] = mapped_column(Text)
    text_offset: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    text_chars: Mapped[int | None] = mapped_column(Integer)
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
    # Set when retention or an erasure request removed the text (personal data masked).
    redacted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Which engine raised it (rule | model | llm) and how sure (None: rows from before 0006).
    detected_by: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    # A manager's ruling: violation | not_violation; becomes a labelled example of the org.
    verdict: Mapped[str | None] = mapped_column(String(16))


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
    # The mapping the payload was rendered for: "webhook" (the generic Standard-Webhooks
    # body) or a CRM mapping, whose payload is {"requests": [...]} sent in order.
    target: Mapped[str] = mapped_column(String(64), default="webhook", server_default="webhook")
    # Requests of a mapped delivery the CRM already accepted; a retry resumes after them.
    steps_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CrmAccount(Base):
    """A CRM identity an org's rep picked for a customer, offered again next time."""

    __tablename__ = "crm_accounts"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    # The account id, or the account name when only a name was given.
    key: Mapped[str] = mapped_column(String(200))
    identity: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Names and ids in one lower-cased string, searched with LIKE.
    search_text: Mapped[str] = mapped_column(String(1000))
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """A task a confirmed call committed someone to, on its rep's reminder list."""

    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_rep_due", "rep_id", "due_date"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), index=True)
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(16))  # rep | customer
    due_date: Mapped[date | None] = mapped_column(Date)
    due_text: Mapped[str | None] = mapped_column(String(100))
    evidence: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


# --- an organisation's own content, layered on the shipped defaults (org_content.py) ----


class OrgKbEntry(Base):
    """One knowledge-base entry of an org (the validated entry as JSON)."""

    __tablename__ = "org_kb_entries"
    __table_args__ = (UniqueConstraint("org_id", "entry_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(100))
    entry: Mapped[dict[str, Any]] = mapped_column()
    # The file and line it was added from, for messages.
    source: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgVendor(Base):
    """A competitor an org wants recognised (and, with a tag, boosted in suggestions)."""

    __tablename__ = "org_vendors"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16), default="crm")  # crm | platform
    tag: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgProduct(Base):
    """A product name of an org: speech recognition is biased to spell it right."""

    __tablename__ = "org_products"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class OrgRuleOverrides(Base):
    """An org's compliance overrides (the overrides-file schema as JSON), one per org."""

    __tablename__ = "org_rule_overrides"

    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgLabel(Base):
    """A labelled example an org's people gave (a flag verdict, an insight correction):
    ``labels`` are the label names the text has (copilot/learning/corpus.py), every other
    label of its side it has not. ``copilot train --org`` trains on them."""

    __tablename__ = "org_labels"
    __table_args__ = (Index("ix_org_labels_org_created", "org_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    side: Mapped[str] = mapped_column(String(8))  # customer | rep
    text: Mapped[str] = mapped_column(Text)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The labels the person ruled on (added, removed, a flag's category): the org's model
    # decides these for the org; ``labels`` also carries what the engines found unchallenged.
    taught: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(32))  # flag_verdict | insight_correction | …
    # The flag or ``call_id/segment_id`` it came from.
    subject_id: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrgVocabulary(Base):
    """A name or term an org wants recognised right on its calls (copilot/store/vocabulary.py):
    added by hand (``copilot vocab``) or learned from a manager's transcript correction."""

    __tablename__ = "org_vocabulary"
    __table_args__ = (UniqueConstraint("org_id", "term"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    term: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # product | customer | person | vendor | vocab
    source: Mapped[str] = mapped_column(String(16))  # manual | correction
    created_by: Mapped[str | None] = mapped_column(String(32))  # None: the command line
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- per-call figures for the analytics pages (copilot/store/call_metrics.py) ------------


class CallMetrics(Base):
    """One call's figures, computed once when its summary is stored (docs/metrics.md), so
    the analytics pages aggregate rows instead of re-reading transcripts."""

    __tablename__ = "call_metrics"
    __table_args__ = (
        Index("ix_call_metrics_org_week", "org_id", "week"),
        Index("ix_call_metrics_rep_week", "rep_id", "week"),
        Index("ix_call_metrics_team_week", "team_id", "week"),
    )

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The rep's team when computed: a rep who moves keeps their past weeks in the old team.
    team_id: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column()
    # Monday of the call's week in Asia/Shanghai.
    week: Mapped[date] = mapped_column(Date)
    duration_s: Mapped[float] = mapped_column(Float)
    rep_talk_s: Mapped[float] = mapped_column(Float)
    customer_talk_s: Mapped[float] = mapped_column(Float)
    talk_ratio: Mapped[float | None] = mapped_column(Float)
    longest_monologue_s: Mapped[float] = mapped_column(Float)
    rep_questions: Mapped[int] = mapped_column(Integer)
    question_rate: Mapped[float | None] = mapped_column(Float)
    interactivity: Mapped[float | None] = mapped_column(Float)
    # Mean pause before the rep answers the customer (Gong's "patience"); None: no replies.
    patience_s: Mapped[float | None] = mapped_column(Float)
    depth_score: Mapped[int] = mapped_column(Integer)
    depth: Mapped[dict[str, Any]] = mapped_column(JSON)
    objections: Mapped[int] = mapped_column(Integer)
    objections_answered: Mapped[int] = mapped_column(Integer)
    suggestions_shown: Mapped[int] = mapped_column(Integer)
    suggestions_used: Mapped[int] = mapped_column(Integer)
    suggestions_dismissed: Mapped[int] = mapped_column(Integer)
    flags: Mapped[int] = mapped_column(Integer)
    # The definitions' version (copilot.analytics.METRICS_VERSION): backfill redoes older rows.
    version: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallTag(Base):
    """A filterable fact of a call (an objection type, a vendor, a flag category, a pain
    category, the account), rewritten with its metrics."""

    __tablename__ = "call_tags"
    __table_args__ = (
        UniqueConstraint("call_id", "kind", "value"),
        Index("ix_call_tags_org_kind_value", "org_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    kind: Mapped[str] = mapped_column(String(16))  # objection | vendor | flag | pain | account
    value: Mapped[str] = mapped_column(String(200))


# --- scorecards (copilot/scorecards/, copilot/store/scorecards.py) ------------------------


class ScorecardItemRow(Base):
    """One checklist item of an org's scorecard; an org with none uses the default template."""

    __tablename__ = "scorecard_items"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(40))
    cues: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_say: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScorecardResult(Base):
    """Whether one call's rep said one item, with the evidence and any dispute of it."""

    __tablename__ = "scorecard_results"
    __table_args__ = (
        UniqueConstraint("call_id", "item_key"),
        # The disputes queue: open disputes of an org, newest first.
        Index("ix_scorecard_results_org_dispute", "org_id", "dispute"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"))
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    item_key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(40))
    must_say: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool] = mapped_column(Boolean)
    evidence_segment_id: Mapped[str | None] = mapped_column(String(64))
    evidence_text: Mapped[str | None] = mapped_column(Text)
    dispute: Mapped[str] = mapped_column(String(16), default="none")  # none|open|accepted|rejected
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    disputed_by: Mapped[str | None] = mapped_column(String(32))
    disputed_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_comment: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- bulk analysis (copilot/batch/, ``copilot batch``) ------------------------------------


class BatchRun(Base):
    """One ``copilot batch`` source (a folder or a manifest); running it again continues it."""

    __tablename__ = "batch_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(1000), index=True)
    # The org given with --org (a manifest may name others per row).
    org_id: Mapped[str | None] = mapped_column(ForeignKey("orgs.id"))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|finished|stopped
    backend: Mapped[str] = mapped_column(String(200), default="local")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BatchItem(Base):
    """One recording of a batch run and the call it became."""

    __tablename__ = "batch_items"
    __table_args__ = (
        UniqueConstraint("run_id", "path"),
        # A recording is stored once per org: found again by its content, across runs.
        Index("ix_batch_items_org_hash", "org_id", "content_hash"),
        Index("ix_batch_items_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("batch_runs.id"))
    path: Mapped[str] = mapped_column(String(1000))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the file's bytes
    org_id: Mapped[str] = mapped_column(ForeignKey("orgs.id"))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    # pending → running → done | failed; duplicate: the same recording is another item's call.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    call_id: Mapped[str | None] = mapped_column(ForeignKey("calls.id"))
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float | None] = mapped_column(Float)
    # Times it was handed to a worker: a recording that kills its worker is given up on.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ServiceInstance(Base):
    """One running service process and its last heartbeat (copilot/service/instances.py)."""

    __tablename__ = "service_instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # host and pid, for people
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallOwner(Base):
    """The instance whose process holds a call's audio socket now: another instance takes
    the call over only once that instance's heartbeat is stale."""

    __tablename__ = "call_owners"

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("service_instances.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
