"""Scorecards: each org's checklist items and every call's result per item.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12

``scorecard_items`` are an org's checklist (none: the default template of
copilot/scorecards/default_items.yaml applies). ``scorecard_results`` hold, per call and
item, whether the rep said it, the evidence segment, and the rep's dispute and the
manager's decision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scorecard_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("cues", sa.JSON(), nullable=False),
        sa.Column("must_say", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_scorecard_items_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_items")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_scorecard_items_org_id_key")),
    )
    op.create_table(
        "scorecard_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("item_key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("must_say", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("evidence_segment_id", sa.String(length=64), nullable=True),
        sa.Column("evidence_text", sa.Text(), nullable=True),
        sa.Column("dispute", sa.String(length=16), nullable=False),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("disputed_by", ID, nullable=True),
        sa.Column("disputed_at", WHEN, nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_scorecard_results_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_scorecard_results_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_scorecard_results_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_results")),
        sa.UniqueConstraint(
            "call_id", "item_key", name=op.f("uq_scorecard_results_call_id_item_key")
        ),
    )
    op.create_index("ix_scorecard_results_org_dispute", "scorecard_results", ["org_id", "dispute"])


def downgrade() -> None:
    op.drop_index("ix_scorecard_results_org_dispute", table_name="scorecard_results")
    op.drop_table("scorecard_results")
    op.drop_table("scorecard_items")
