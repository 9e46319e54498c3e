"""Database fixtures for any test directory: every test that asks for ``db_url`` (or
``db_engine`` / ``db_session``) runs twice, on a SQLite file and on a real PostgreSQL.

Registered for the whole suite by ``pytest_plugins`` in ``tests/conftest.py``.

- ``db_url``: a fresh database at the newest schema (copied from a template migrated once
  per run, so a test costs a file copy or a ``CREATE DATABASE … TEMPLATE``).
- ``empty_db_url``: a fresh database with no tables, for migration tests.
- ``db_engine``, ``db_session``: an engine and a session on ``db_url``, closed afterwards.
- ``pg_cluster``: the throwaway PostgreSQL server itself (session-wide).

PostgreSQL comes from the Debian binaries (``/usr/lib/postgresql/*/bin``): one cluster per
test run in a temporary directory, trust auth, listening on 127.0.0.1 only. PostgreSQL
refuses to run as root, so under uid 0 its commands run as the ``postgres`` user. Set
``TEST_POSTGRES_URL`` (an admin URL such as ``postgresql://postgres@host:5432/postgres``) to
use an existing server instead. Without either, PostgreSQL tests are skipped — unless ``CI``
is set, where they fail: CI must never pass by silently skipping a database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from copilot.store.db import make_engine, migrate, session_factory

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql: runs against a real PostgreSQL server")


@dataclass
class PgServer:
    """A PostgreSQL server we may create and drop databases on."""

    admin_url: str  # libpq URL of the maintenance database
    stop: list[str] | None = None  # command that stops it, when we started it
    root: Path | None = None
    databases: list[str] = field(default_factory=list)

    def url(self, database: str) -> str:
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{database}".replace("postgresql://", "postgresql+psycopg://", 1)

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create_database(self, template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        clause = f" TEMPLATE {template}" if template else ""
        self.execute(f"CREATE DATABASE {name}{clause}")
        self.databases.append(name)
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> NoReturn:
    if _on_ci():
        pytest.fail(f"PostgreSQL tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _pg_bindir() -> Path | None:
    def version(path: Path) -> float:
        try:
            return float(path.parent.parent.name)
        except ValueError:
            return 0.0

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_cluster(bindir: Path) -> PgServer:
    # Not under pytest's basetemp: that is private to root, and the server may run as postgres.
    root = Path(tempfile.mkdtemp(prefix="copilot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        + ["-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
        check=True,
        capture_output=True,
    )
    # Durability is pointless for a throwaway server; turning it off makes DDL fast.
    options = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probing and binding
        port = _free_port()
        started = subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log")]
            + ["-w", "-t", "30", "-s", "start"]
            + ["-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 {options}"],
            capture_output=True,
            text=True,
        )
        if started.returncode == 0:
            stop = [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate"]
            return PgServer(
                f"postgresql://postgres@127.0.0.1:{port}/postgres", [*stop, "-s", "stop"], root
            )
        last_error = started.stderr + _tail(root / "server.log")
    shutil.rmtree(root, ignore_errors=True)
    raise RuntimeError(f"could not start PostgreSQL: {last_error}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgServer]:
    given = os.environ.get("TEST_POSTGRES_URL")
    if given:
        server = PgServer(given.replace("postgresql+psycopg://", "postgresql://", 1))
    else:
        bindir = _pg_bindir()
        if bindir is None:
            _unavailable(
                "no initdb found (install the Debian package: apt-get install postgresql, "
                "or set TEST_POSTGRES_URL)"
            )
        server = _start_cluster(bindir)
    try:
        yield server
    finally:
        if server.stop is not None:
            subprocess.run(server.stop, capture_output=True, timeout=60)
        else:  # a shared server: leave it as we found it
            for name in server.databases:
                server.drop_database(name)
        if server.root is not None:
            shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def _pg_template(pg_cluster: PgServer) -> str:
    """A database at the newest schema that per-test databases are cloned from."""
    name = pg_cluster.create_database()
    engine = make_engine(pg_cluster.url(name))
    migrate(engine)
    engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template to have no sessions
    return name


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection checkpoints the WAL into the main file
    return path


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: the database this test instance runs on."""
    return str(request.param)


def _fresh_database(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, migrated: bool
) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "copilot.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PgServer = request.getfixturevalue("pg_cluster")
    template = request.getfixturevalue("_pg_template") if migrated else None
    name = server.create_database(template)
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest schema, on each backend in turn."""
    yield from _fresh_database(request, db_backend, tmp_path, migrated=True)


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table, on each backend in turn."""
    yield from _fresh_database(request, db_backend, tmp_path, migrated=False)


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    with session_factory(db_engine)() as session:
        yield session
