"""What a CRM needs to file a call: its identity, the rep's review, follow-ups, mappings.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-11

``calls`` gains ``crm`` (the account / opportunity / contact / CRM user ids the call belongs
to) and ``review`` (each summary field approved or skipped by the rep). ``users`` gains the
rep's ``crm_user_id``; ``orgs`` gains ``crm`` (which mapping shapes its payloads, its CRM's
base URL and lookup endpoint). ``crm_outbox`` gains ``target`` (the mapping a row was
rendered for) and ``steps_done`` (requests of a multi-request delivery already accepted, so
a retry resumes after them). ``crm_accounts`` remembers the identities an org's reps picked,
per customer; ``followups`` are the tasks confirmed calls committed a rep to.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=32)
NAME = sa.String(length=200)


def upgrade() -> None:
    op.add_column("calls", sa.Column("crm", sa.JSON(), nullable=True))
    op.add_column("calls", sa.Column("review", sa.JSON(), nullable=True))
    op.add_column("users", sa.Column("crm_user_id", NAME, nullable=True))
    op.add_column("orgs", sa.Column("crm", sa.JSON(), nullable=True))
    op.add_column(
        "crm_outbox",
        sa.Column("target", sa.String(length=64), nullable=False, server_default="webhook"),
    )
    op.add_column(
        "crm_outbox", sa.Column("steps_done", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "crm_accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("key", NAME, nullable=False),
        sa.Column("identity", sa.JSON(), nullable=False),
        sa.Column("search_text", sa.String(length=1000), nullable=False),
        sa.Column("updated_by", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_crm_accounts_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_accounts")),
        sa.UniqueConstraint("org_id", "key", name=op.f("uq_crm_accounts_org_id_key")),
    )
    op.create_table(
        "followups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("rep_id", ID, nullable=False),
        sa.Column("subject", NAME, nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_text", sa.String(length=100), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_followups_org_id_orgs")),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_followups_call_id_calls")),
        sa.ForeignKeyConstraint(["rep_id"], ["users.id"], name=op.f("fk_followups_rep_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    op.create_index("ix_followups_rep_due", "followups", ["rep_id", "due_date"])
    op.create_index(op.f("ix_followups_call_id"), "followups", ["call_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_followups_call_id"), table_name="followups")
    op.drop_index("ix_followups_rep_due", table_name="followups")
    op.drop_table("followups")
    op.drop_table("crm_accounts")
    with op.batch_alter_table("crm_outbox") as batch:
        batch.drop_column("steps_done")
        batch.drop_column("target")
    with op.batch_alter_table("orgs") as batch:
        batch.drop_column("crm")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("crm_user_id")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("review")
        batch.drop_column("crm")
