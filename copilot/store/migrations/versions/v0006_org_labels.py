"""Labelled examples per organisation (flag verdicts, insight corrections); flags' origin.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``org_labels`` holds what an organisation's people taught the copilot: a manager's verdict
on a flag (a violation or not) and a rep's correction of an insight. ``copilot train --org``
trains that org's own model on them. ``flags`` gains ``detected_by`` (rule | model | llm) and
``confidence`` (which engine raised it, how sure) and ``verdict`` (a manager's ruling).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)


def upgrade() -> None:
    # Plain ALTERs (nullable columns): SQLite adds them without rebuilding ``flags``.
    op.add_column("flags", sa.Column("detected_by", sa.String(length=16), nullable=True))
    op.add_column("flags", sa.Column("confidence", sa.Float(), nullable=True))
    op.add_column("flags", sa.Column("verdict", sa.String(length=16), nullable=True))
    op.create_table(
        "org_labels",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("taught", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_org_labels_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_labels")),
    )
    op.create_index("ix_org_labels_org_created", "org_labels", ["org_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_org_labels_org_created", table_name="org_labels")
    op.drop_table("org_labels")
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("verdict")
        batch.drop_column("confidence")
        batch.drop_column("detected_by")
