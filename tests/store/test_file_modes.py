"""The data folder, the database and the secrets are private to their owner, whoever makes
them first (a retrieval command, the service, an older version)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from copilot.auth import AuthConfig, socket_secret
from copilot.store.db import DatabaseConfig, data_home, make_engine, private_dir
from retrieval.config import ChromaConfig
from retrieval.store import _connect


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh XDG data home, under the usual umask that makes files world-readable."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    old = os.umask(0o022)
    try:
        yield data_home()
    finally:
        os.umask(old)


def test_a_retrieval_index_built_first_leaves_the_data_home_private(home: Path) -> None:
    client = _connect(ChromaConfig())  # the default path: <data home>/chroma
    del client
    assert _mode(home) == 0o700
    assert _mode(home / "chroma") == 0o700
    engine = make_engine(config=DatabaseConfig())
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            database = home / "copilot.db"
            # While a connection is open in WAL mode the -wal and -shm files exist.
            for path in (database, database.with_name("copilot.db-wal")):
                assert path.exists() and _mode(path) == 0o600, path
            shm = database.with_name("copilot.db-shm")
            assert _mode(shm) == 0o600
    finally:
        engine.dispose()
    assert _mode(home) == 0o700


def test_an_existing_world_readable_data_home_and_database_are_tightened(home: Path) -> None:
    home.mkdir(parents=True, mode=0o755)
    os.chmod(home, 0o755)
    database = home / "copilot.db"
    database.touch()
    os.chmod(database, 0o644)
    make_engine(config=DatabaseConfig()).dispose()
    assert _mode(home) == 0o700
    assert _mode(database) == 0o600


def test_the_generated_socket_secret_is_private(home: Path) -> None:
    config = AuthConfig()  # secret_file under the data home
    socket_secret(config)
    assert _mode(config.secret_file) == 0o600
    assert _mode(home) == 0o700


def test_private_dir_makes_every_missing_parent_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        deep = private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b", deep):
        assert _mode(path) == 0o700
