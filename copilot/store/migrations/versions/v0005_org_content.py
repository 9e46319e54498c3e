"""Per-organisation knowledge-base entries, vendors and rule overrides.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

An org's own content, layered by the service on the shipped defaults: KB entries, vendors
(competitors), product names and compliance rule overrides, and ``orgs.content_version``,
raised by every change so that a running service notices it on the next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)


def _org_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f(f"fk_{table}_org_id_orgs"))


def _updated() -> sa.Column[Any]:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    # A plain ALTER, no batch mode: rebuilding ``orgs`` on SQLite would trip the foreign keys
    # of every table that points at it.
    op.add_column(
        "orgs",
        sa.Column("content_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "org_kb_entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("entry", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        _updated(),
        _org_fk("org_kb_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_kb_entries")),
        sa.UniqueConstraint("org_id", "entry_id", name=op.f("uq_org_kb_entries_org_id_entry_id")),
    )
    op.create_index(op.f("ix_org_kb_entries_org_id"), "org_kb_entries", ["org_id"])
    op.create_table(
        "org_vendors",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=True),
        _updated(),
        _org_fk("org_vendors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_vendors")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_org_vendors_org_id_name")),
    )
    op.create_index(op.f("ix_org_vendors_org_id"), "org_vendors", ["org_id"])
    op.create_table(
        "org_products",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _org_fk("org_products"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_products")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_org_products_org_id_name")),
    )
    op.create_index(op.f("ix_org_products_org_id"), "org_products", ["org_id"])
    op.create_table(
        "org_rule_overrides",
        sa.Column("org_id", ID, nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        _updated(),
        _org_fk("org_rule_overrides"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_rule_overrides")),
    )


def downgrade() -> None:
    op.drop_table("org_rule_overrides")
    op.drop_index(op.f("ix_org_products_org_id"), table_name="org_products")
    op.drop_table("org_products")
    op.drop_index(op.f("ix_org_vendors_org_id"), table_name="org_vendors")
    op.drop_table("org_vendors")
    op.drop_index(op.f("ix_org_kb_entries_org_id"), table_name="org_kb_entries")
    op.drop_table("org_kb_entries")
    with op.batch_alter_table("orgs") as batch:
        batch.drop_column("content_version")
