"""Initial schema: tenants, keys, calls and what they produce, CRM outbox, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Revisions are frozen history: they spell out column types instead of importing
``copilot.store.models``, which will keep changing after this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGSERIAL.
LOG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(length=32)
CALL_ID = sa.String(length=64)

APPEND_ONLY_MESSAGE = "audit_log is append-only"


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{columns[0]}"), table, list(columns))


def upgrade() -> None:
    op.create_table(
        "orgs",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orgs")),
    )
    op.create_table(
        "teams",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _fk("org_id", "orgs.id", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    _index("teams", "org_id")
    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("created_at"),
        _fk("org_id", "orgs.id", "users"),
        _fk("team_id", "teams.id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("org_id", "email", name=op.f("uq_users_org_id_email")),
    )
    _index("users", "org_id")
    _index("users", "team_id")
    op.create_table(
        "api_keys",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        _time("created_at"),
        _time("expires_at", nullable=True),
        _time("revoked_at", nullable=True),
        _time("last_used_at", nullable=True),
        _fk("org_id", "orgs.id", "api_keys"),
        _fk("user_id", "users.id", "api_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    _index("api_keys", "org_id")
    _index("api_keys", "user_id")
    op.create_table(
        "calls",
        sa.Column("id", CALL_ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _time("started_at"),
        _time("ended_at", nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("audio_format", sa.JSON(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        _time("confirmed_at", nullable=True),
        sa.Column("confirmed_by", ID, nullable=True),
        _fk("org_id", "orgs.id", "calls"),
        _fk("rep_id", "users.id", "calls"),
        _fk("confirmed_by", "users.id", "calls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    _index("calls", "org_id")
    _index("calls", "rep_id")
    _index("calls", "org_id", "started_at", name="ix_calls_org_started")
    op.create_table(
        "segments",
        sa.Column("id", LOG_ID, autoincrement=True, nullable=False),
        sa.Column("call_id", CALL_ID, nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("speaker", sa.String(length=16), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("end", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _time("created_at"),
        _fk("call_id", "calls.id", "segments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("call_id", "segment_id", name=op.f("uq_segments_call_id_segment_id")),
    )
    _index("segments", "call_id")
    op.create_table(
        "call_events",
        sa.Column("call_id", CALL_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("created_at"),
        _fk("call_id", "calls.id", "call_events"),
        sa.PrimaryKeyConstraint("call_id", "seq", name=op.f("pk_call_events")),
    )
    op.create_table(
        "insights",
        sa.Column("id", LOG_ID, autoincrement=True, nullable=False),
        sa.Column("call_id", CALL_ID, nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _time("created_at"),
        _fk("call_id", "calls.id", "insights"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights")),
    )
    _index("insights", "call_id")
    op.create_table(
        "flags",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("call_id", CALL_ID, nullable=True),
        sa.Column("segment_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("match", sa.Text(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("status_comment", sa.Text(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _fk("org_id", "orgs.id", "flags"),
        _fk("rep_id", "users.id", "flags"),
        _fk("call_id", "calls.id", "flags"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    for column in ("org_id", "rep_id", "call_id", "category", "severity", "status"):
        _index("flags", column)
    _index("flags", "org_id", "created_at", name="ix_flags_org_created")
    op.create_table(
        "suggestion_feedback",
        sa.Column("id", LOG_ID, autoincrement=True, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("call_id", CALL_ID, nullable=True),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        _time("created_at"),
        _fk("org_id", "orgs.id", "suggestion_feedback"),
        _fk("user_id", "users.id", "suggestion_feedback"),
        _fk("call_id", "calls.id", "suggestion_feedback"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_feedback")),
    )
    _index("suggestion_feedback", "org_id")
    _index("suggestion_feedback", "entry_id")
    _index("suggestion_feedback", "org_id", "entry_id", name="ix_suggestion_feedback_org_entry")
    op.create_table(
        "crm_outbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("call_id", CALL_ID, nullable=True),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at"),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("created_at"),
        _time("delivered_at", nullable=True),
        _fk("org_id", "orgs.id", "crm_outbox"),
        _fk("call_id", "calls.id", "crm_outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_outbox")),
    )
    _index("crm_outbox", "org_id")
    _index("crm_outbox", "call_id")
    _index("crm_outbox", "status", "next_attempt_at", name="ix_crm_outbox_due")
    op.create_table(
        "audit_log",
        sa.Column("id", LOG_ID, autoincrement=True, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _time("created_at"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _fk("org_id", "orgs.id", "audit_log"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
    )
    _index("audit_log", "org_id", "id", name="ix_audit_log_org_chain")
    _make_audit_log_append_only()


def _make_audit_log_append_only() -> None:
    """The hash chain makes tampering detectable; these triggers make the easy kind (an
    UPDATE or DELETE through the application's own connection) fail outright."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_log")  # takes its triggers with it
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.drop_table("audit_log")
    for table in (
        "crm_outbox",
        "suggestion_feedback",
        "flags",
        "insights",
        "call_events",
        "segments",
        "calls",
        "api_keys",
        "users",
        "teams",
        "orgs",
    ):
        op.drop_table(table)
