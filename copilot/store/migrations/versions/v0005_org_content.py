"""Per-organisation knowledge-base entries, vendors and rule overrides.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Owned by the change named above. Empty until that change needs a table or a column; it keeps
the chain of revisions linear while several changes are made at once.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
