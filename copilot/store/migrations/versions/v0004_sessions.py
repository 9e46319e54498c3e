"""Dashboard sessions that can be revoked, and failed logins.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Owned by the change named above. Empty until that change needs a table or a column; it keeps
the chain of revisions linear while several changes are made at once.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
