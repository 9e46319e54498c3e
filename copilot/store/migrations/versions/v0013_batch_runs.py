"""Bulk analysis: batch runs and their items (one row per recording).

A batch resumes and never analyses a recording twice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-13

``batch_runs`` is one ``copilot batch`` source (a folder or a manifest); running the same
source again continues its run. ``batch_items`` is one recording of a run: its content hash,
who it belongs to, where it stands (pending → running → done | failed | duplicate) and the
call it became. A recording is found again by (org, content hash), across runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "batch_runs",
        sa.Column("id", ID, nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("org_id", ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("backend", sa.String(length=200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_batch_runs_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_runs")),
    )
    op.create_index(op.f("ix_batch_runs_source"), "batch_runs", ["source"])
    op.create_table(
        "batch_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["batch_runs.id"], name=op.f("fk_batch_items_run_id_batch_runs")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_batch_items_org_id_orgs")),
        sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_batch_items_rep_id_users")),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_batch_items_call_id_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_items")),
        sa.UniqueConstraint("run_id", "path", name=op.f("uq_batch_items_run_id_path")),
    )
    op.create_index(
        "ix_batch_items_org_hash", "batch_items", ["org_id", "content_hash"], unique=False
    )
    op.create_index("ix_batch_items_run_status", "batch_items", ["run_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_batch_items_run_status", table_name="batch_items")
    op.drop_index("ix_batch_items_org_hash", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index(op.f("ix_batch_runs_source"), table_name="batch_runs")
    op.drop_table("batch_runs")
