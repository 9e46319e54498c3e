"""Dashboard sessions that can be revoked, and failed logins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The dashboard cookie names a row of ``dashboard_sessions`` (logout and key revocation end
it server-side); ``dashboard_used_login_tokens`` makes each login form's CSRF token single
use. Failed logins go to the audit log, which needs no new column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)


def _time(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("key_id", ID, nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_dashboard_sessions_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboard_sessions_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.id"], name=op.f("fk_dashboard_sessions_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(op.f("ix_dashboard_sessions_org_id"), "dashboard_sessions", ["org_id"])
    op.create_index(op.f("ix_dashboard_sessions_user_id"), "dashboard_sessions", ["user_id"])
    op.create_table(
        "dashboard_used_login_tokens",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        _time("used_at"),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_dashboard_used_login_tokens")),
    )
    op.create_index(
        op.f("ix_dashboard_used_login_tokens_used_at"), "dashboard_used_login_tokens", ["used_at"]
    )


def downgrade() -> None:
    op.drop_table("dashboard_used_login_tokens")
    op.drop_table("dashboard_sessions")
