"""Engine set-up: where the default database lives, URL handling, SQLite's pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from copilot.settings import Settings
from copilot.store.db import (
    DatabaseConfig,
    data_home,
    display_url,
    libpq_url,
    make_engine,
    normalise_url,
)
from copilot.store.errors import StoreError


def test_the_default_database_is_a_file_under_xdg_data_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_home() == tmp_path / "sales-copilot"
    assert DatabaseConfig().url == f"sqlite:///{tmp_path}/sales-copilot/copilot.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_home() == tmp_path / "home" / ".local" / "share" / "sales-copilot"


def test_the_url_comes_from_copilot_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_DATABASE__URL", "postgresql://app:s3cret@db.internal/copilot")
    monkeypatch.setenv("COPILOT_DATABASE__POOL_SIZE", "3")
    config = Settings().database
    assert config.pool_size == 3
    assert normalise_url(config.url).drivername == "postgresql+psycopg"
    assert "s3cret" not in display_url(config.url)
    monkeypatch.setenv("COPILOT_DATABASE__POOL_SIZ", "3")
    with pytest.raises(ValueError, match="pool_siz"):
        Settings()


def test_postgres_scheme_and_unknown_databases() -> None:
    assert normalise_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    with pytest.raises(StoreError, match="unsupported database"):
        make_engine("mysql://u@h/d")


def test_libpq_urls_keep_or_drop_the_password() -> None:
    url = "postgres://app:s3cret@db.internal:5433/copilot"
    assert libpq_url(url) == "postgresql://app:s3cret@db.internal:5433/copilot"
    assert libpq_url(url, password=False) == "postgresql://app@db.internal:5433/copilot"


def test_sqlite_runs_in_wal_with_foreign_keys_and_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "copilot.db"
    engine = make_engine(f"sqlite:///{path}", DatabaseConfig(sqlite_busy_timeout_s=2))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 2000
        assert path.exists()
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_shared_database() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()
