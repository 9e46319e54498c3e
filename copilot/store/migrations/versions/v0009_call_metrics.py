"""Per-call figures for the analytics pages: ``call_metrics`` and ``call_tags``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12

``call_metrics`` holds one row per call with a summary (talk times, talk ratio, longest
monologue, questions, interactivity, patience, 需求挖掘深度, objections answered,
suggestions shown/used/dismissed, flags), computed when the summary is stored
(docs/metrics.md). ``call_tags`` holds what the call library filters on: objection types,
vendors, flag categories, pain categories and the account, one row per distinct value.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
CALL_ID = sa.String(length=64)


def upgrade() -> None:
    op.create_table(
        "call_metrics",
        sa.Column("call_id", CALL_ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("rep_talk_s", sa.Float(), nullable=False),
        sa.Column("customer_talk_s", sa.Float(), nullable=False),
        sa.Column("talk_ratio", sa.Float(), nullable=True),
        sa.Column("longest_monologue_s", sa.Float(), nullable=False),
        sa.Column("rep_questions", sa.Integer(), nullable=False),
        sa.Column("question_rate", sa.Float(), nullable=True),
        sa.Column("interactivity", sa.Float(), nullable=True),
        sa.Column("patience_s", sa.Float(), nullable=True),
        sa.Column("depth_score", sa.Integer(), nullable=False),
        sa.Column("depth", sa.JSON(), nullable=False),
        sa.Column("objections", sa.Integer(), nullable=False),
        sa.Column("objections_answered", sa.Integer(), nullable=False),
        sa.Column("suggestions_shown", sa.Integer(), nullable=False),
        sa.Column("suggestions_used", sa.Integer(), nullable=False),
        sa.Column("suggestions_dismissed", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_metrics_call_id_calls")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_call_metrics_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["users.id"], name=op.f("fk_call_metrics_rep_id_users")
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_metrics")),
    )
    op.create_index("ix_call_metrics_org_week", "call_metrics", ["org_id", "week"])
    op.create_index("ix_call_metrics_rep_week", "call_metrics", ["rep_id", "week"])
    op.create_index("ix_call_metrics_team_week", "call_metrics", ["team_id", "week"])

    op.create_table(
        "call_tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("call_id", CALL_ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_call_tags_call_id_calls")),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_call_tags_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_tags")),
        sa.UniqueConstraint(
            "call_id", "kind", "value", name=op.f("uq_call_tags_call_id_kind_value")
        ),
    )
    op.create_index("ix_call_tags_org_kind_value", "call_tags", ["org_id", "kind", "value"])


def downgrade() -> None:
    op.drop_index("ix_call_tags_org_kind_value", table_name="call_tags")
    op.drop_table("call_tags")
    op.drop_index("ix_call_metrics_team_week", table_name="call_metrics")
    op.drop_index("ix_call_metrics_rep_week", table_name="call_metrics")
    op.drop_index("ix_call_metrics_org_week", table_name="call_metrics")
    op.drop_table("call_metrics")
