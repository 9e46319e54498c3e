"""Transcript search indexes and kept recordings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12

Full-text search over ``segments.text`` (Chinese: no word boundaries, so substring search
by character trigrams), one index per database:

- SQLite: an FTS5 table ``segments_fts`` with the ``trigram`` tokenizer (SQLite ≥ 3.34),
  an external-content index over ``segments`` kept in step by triggers on insert, update
  and delete, so every writer (the live recorder, uploads, corrections, retention's purge,
  erasure requests, bulk loads) keeps it current without knowing it exists.
- PostgreSQL: the ``pg_trgm`` extension and a GIN trigram index on ``segments.text``,
  used by ``ILIKE '%…%'``; the table is its own index content, so nothing can drift.

Neither object is in the models (dialect-specific); ``copilot.store.search`` names them
and the model comparison skips them. A later migration that rebuilds ``segments`` in
SQLite batch mode drops the triggers with the old table: it must recreate them
(``copilot.store.search.SQLITE_TRIGGERS``) and rebuild the index.

``calls`` gains ``recording_path`` (a recording kept after analysis or written while the
call streamed, when the org's policy keeps recordings) and ``recording_notice_at`` (when
the rep told the customer the call is recorded: 录音告知).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here (a migration never imports the code it migrates for).
_SQLITE_UP = [
    "CREATE VIRTUAL TABLE segments_fts USING fts5("
    "text, content='segments', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER segments_fts_ai AFTER INSERT ON segments BEGIN "
    "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER segments_fts_ad AFTER DELETE ON segments BEGIN "
    "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER segments_fts_au AFTER UPDATE ON segments BEGIN "
    "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END",
    # Transcripts stored before this revision.
    "INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS segments_fts_au",
    "DROP TRIGGER IF EXISTS segments_fts_ad",
    "DROP TRIGGER IF EXISTS segments_fts_ai",
    "DROP TABLE IF EXISTS segments_fts",
]
PG_INDEX = "ix_segments_text_trgm"


def _sqlite_trigram_available(connection: sa.Connection) -> None:
    version = tuple(int(part) for part in connection.dialect.dbapi.sqlite_version.split("."))  # type: ignore[union-attr]
    if version < (3, 34, 0):
        raise RuntimeError(
            f"SQLite {'.'.join(map(str, version))} has no FTS5 trigram tokenizer (3.34+ "
            "needed for transcript search); use a Python built with a newer SQLite"
        )


def _pg_trgm(connection: sa.Connection) -> None:
    """Create ``pg_trgm`` unless present; a role that may not create it gets told who can."""
    present = connection.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
    if present:
        return
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        database = connection.scalar(sa.text("SELECT current_database()"))
        role = connection.scalar(sa.text("SELECT current_user"))
        raise RuntimeError(
            f"transcript search needs the PostgreSQL extension pg_trgm, and role {role!r} "
            f"may not create it ({exc.orig}). Ask a superuser or the database owner to run "
            f"`CREATE EXTENSION pg_trgm;` in database {database!r} (package "
            "postgresql-contrib), then run `copilot db upgrade` again."
        ) from exc


def upgrade() -> None:
    op.add_column("calls", sa.Column("recording_path", sa.String(length=500), nullable=True))
    op.add_column(
        "calls", sa.Column("recording_notice_at", sa.DateTime(timezone=True), nullable=True)
    )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        _sqlite_trigram_available(connection)
        for statement in _SQLITE_UP:
            op.execute(statement)
    elif connection.dialect.name == "postgresql":
        _pg_trgm(connection)
        op.execute(f"CREATE INDEX {PG_INDEX} ON segments USING gin (text gin_trgm_ops)")


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    elif connection.dialect.name == "postgresql":
        # The extension stays: other objects may use it, and dropping is the DBA's.
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("recording_notice_at")
        batch.drop_column("recording_path")
