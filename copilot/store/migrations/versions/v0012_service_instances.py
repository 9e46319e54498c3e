"""Service instances: who holds each live call, and their heartbeats.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-13

``service_instances`` holds one row per running service process with the time of its last
heartbeat; ``call_owners`` names, for each call whose audio streams now, the instance that
holds it (copilot/service/instances.py, docs/instances.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_instances",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("heartbeat_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_instances")),
    )
    op.create_table(
        "call_owners",
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("instance_id", ID, nullable=False),
        sa.Column("claimed_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_owners_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["service_instances.id"],
            name=op.f("fk_call_owners_instance_id_service_instances"),
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_owners")),
    )
    op.create_index(op.f("ix_call_owners_instance_id"), "call_owners", ["instance_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_call_owners_instance_id"), table_name="call_owners")
    op.drop_table("call_owners")
    op.drop_table("service_instances")
