"""Privacy: personal data kept out of flags and the audit chain, retention.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

A flag keeps a bounded window of the scanned text: ``text_offset`` is where the window starts
in the scanned text and ``text_chars`` that text's length (NULL on rows from before, which
stored the whole text). ``redacted_at`` marks a flag whose text a purge or an erasure
request removed; ``purged_at`` a call whose transcript and events were deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flags") as batch:
        batch.add_column(sa.Column("text_offset", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("text_chars", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("purged_at")
    with op.batch_alter_table("flags") as batch:
        batch.drop_column("redacted_at")
        batch.drop_column("text_chars")
        batch.drop_column("text_offset")
