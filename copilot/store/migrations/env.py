"""Alembic's entry point. ``copilot.store.db.migrate`` passes an open connection in
``config.attributes["connection"]``; the ``alembic`` command line gets an engine from the
settings instead."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from copilot.store.models import Base
from copilot.store.search import is_search_index

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can't ALTER most things: autogenerate "move and copy" batch operations.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The transcript search index (0010) is dialect-specific DDL outside the models.
        include_name=lambda name, *_: not is_search_index(name),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    from copilot.settings import get_settings
    from copilot.store.db import make_engine

    engine = make_engine(config=get_settings().database)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_online()
