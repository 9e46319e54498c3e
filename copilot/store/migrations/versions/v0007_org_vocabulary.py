"""An organisation's correction vocabulary; what the recogniser heard, kept per segment.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

``org_vocabulary`` holds the names and terms an organisation wants recognised right (its
products, customers, people, vendors): added with ``copilot vocab`` or learned from a
manager's correction of a transcript. ``segments`` gains ``raw_text`` (the recogniser's words
when correction or a manager changed them), ``speaker_source`` (channel | inferred) and
``speaker_confidence``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)


def upgrade() -> None:
    # Plain ALTERs (nullable columns): SQLite adds them without rebuilding ``segments``.
    op.add_column("segments", sa.Column("raw_text", sa.Text(), nullable=True))
    op.add_column("segments", sa.Column("speaker_source", sa.String(length=16), nullable=True))
    op.add_column("segments", sa.Column("speaker_confidence", sa.Float(), nullable=True))
    op.create_table(
        "org_vocabulary",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_org_vocabulary_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_vocabulary")),
        sa.UniqueConstraint("org_id", "term", name=op.f("uq_org_vocabulary_org_id_term")),
    )


def downgrade() -> None:
    op.drop_table("org_vocabulary")
    with op.batch_alter_table("segments") as batch:
        batch.drop_column("speaker_confidence")
        batch.drop_column("speaker_source")
        batch.drop_column("raw_text")
