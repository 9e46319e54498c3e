"""The migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from copilot.store.db import (
    _alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    require_current,
)
from copilot.store.errors import StoreError
from copilot.store.models import Base
from copilot.store.search import is_search_index


def _schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        # The transcript search index is dialect-specific DDL of migration 0010, not models.
        opts = {"compare_type": True, "include_name": lambda name, *_: not is_search_index(name)}
        context = MigrationContext.configure(connection, opts=opts)
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_from_empty_creates_every_table_and_matches_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        assert migrate(engine) == head_revision()
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        assert _schema_diff(engine) == []
        # Running it again (every service start does) changes nothing.
        assert migrate(engine) == head_revision()
        require_current(engine)
    finally:
        engine.dispose()


def test_downgrade_removes_everything_and_upgrade_rebuilds_it(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        migrate(engine)
        with engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_command_to_run(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        try:
            require_current(engine)
        except StoreError as exc:
            assert "copilot db upgrade" in str(exc)
        else:
            raise AssertionError("an empty database passed require_current")
    finally:
        engine.dispose()
