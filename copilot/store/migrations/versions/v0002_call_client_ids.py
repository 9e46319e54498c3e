"""Call ids scoped per organisation: the id a client chose, kept beside the stored one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

A client names its streamed call; that name used to be the global primary key, so one org
could take an id first and lock another out. ``calls.client_id`` keeps the client's name,
unique per org; ``calls.id`` stays the stored key. Existing calls keep ``client_id`` NULL and
are still found by ``id`` within their org.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs, no batch mode: rebuilding ``calls`` on SQLite would trip the foreign
    # keys of segments and events that point at it. Hence a unique index, not a constraint.
    op.add_column("calls", sa.Column("client_id", sa.String(length=64), nullable=True))
    op.create_index("uq_calls_org_id_client_id", "calls", ["org_id", "client_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_calls_org_id_client_id", table_name="calls")
    op.drop_column("calls", "client_id")  # SQLite ≥ 3.35 drops a column in place
