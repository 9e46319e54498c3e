"""Engine, sessions and schema upgrades for the service's database.

SQLite (a file in the user's data directory) is the default so ``copilot serve`` works with no
set-up; PostgreSQL is one URL away (``COPILOT_DATABASE__URL=postgresql://user@host/db``).
The schema is owned by Alembic: :func:`migrate` brings any database to the newest revision.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from copilot.store.errors import StoreError
from copilot.store.unstorable import refuse_unstorable

logger = logging.getLogger(__name__)
APP_DIRNAME = "sales-copilot"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
# pg_advisory_lock key held while migrating, so two workers starting together don't both
# run the same revision ("cpdb" in ASCII).
_MIGRATION_LOCK_KEY = 0x63706462


def data_home() -> Path:
    """Where the service keeps its files: ``$XDG_DATA_HOME/sales-copilot``.

    XDG_DATA_HOME is the desktop convention for per-user data, not one of our settings, so it
    is read here rather than through ``Settings``.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / APP_DIRNAME


def private_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter: missing ones (parents too) are
    created 0700 whatever the umask, and our data home is tightened if an older version or
    another tool made it 0755. Calls, transcripts and secrets live under it."""
    path = path.expanduser()
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            pass  # made meanwhile by another worker
    if missing or path == data_home():
        _restrict(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; an existing one loses any
    group and world bits. (An empty file is a valid empty SQLite database.)"""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        _restrict(path, path.stat().st_mode & 0o700)
    return path


def persisted_secret(path: Path, what: str) -> bytes:
    """A random secret generated once into ``path`` (0600 in a 0700 folder) and read from
    there afterwards, so a restart keeps it. When several workers start together, the first
    one's file wins: ``link()`` fails if the name exists, and everyone reads that file."""
    if not path.exists():
        private_dir(path.parent)
        staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(staging, path)
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    value = path.read_text().strip()
    if len(value) < 32:
        raise ValueError(f"{path} holds no usable {what}; restore it or delete it to start anew")
    return value.encode()


def _restrict(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:
        logger.warning("cannot restrict %s to mode %o: not its owner", path, mode)


def default_database_url() -> str:
    return f"sqlite:///{data_home() / 'copilot.db'}"


class DatabaseConfig(BaseModel):
    """``COPILOT_DATABASE__*``: where the tables live and how connections are pooled."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL; postgresql:// URLs use psycopg 3.",
    )
    echo: bool = False
    # PostgreSQL only: SQLite serialises writers anyway.
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_recycle_s: int = Field(default=1800, ge=-1)
    # How long a writer waits for SQLite's lock before giving up with "database is locked".
    sqlite_busy_timeout_s: float = Field(default=15.0, gt=0)


def normalise_url(url: str | URL) -> URL:
    """Pin PostgreSQL URLs to psycopg 3 (the only driver we ship); accept ``postgres://``."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def libpq_url(url: str | URL, *, password: bool = True) -> str:
    """The store's URL as libpq and psycopg's own connection string (``postgresql://``),
    with or without the password (programs get it from ``PGPASSWORD`` instead)."""
    parsed = normalise_url(url).set(drivername="postgresql")
    if not password:
        # ``URL.set`` reads None as "leave unchanged", so the password goes by rebuilding.
        parsed = URL.create(
            parsed.drivername,
            username=parsed.username,
            host=parsed.host,
            port=parsed.port,
            database=parsed.database,
            query=parsed.query,
        )
    return parsed.render_as_string(hide_password=False)


def display_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    return normalise_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL | None = None, config: DatabaseConfig | None = None) -> Engine:
    """An engine for ``url`` (default: ``config.url``), tuned per database.

    ``config`` supplies the pool and timeout options (defaults when not given).
    """
    config = config or DatabaseConfig()
    target = normalise_url(url if url is not None else config.url)
    if target.get_backend_name() == "sqlite":
        return _sqlite_engine(target, config)
    if target.get_backend_name() == "postgresql":
        return create_engine(
            target,
            echo=config.echo,
            pool_size=config.pool_size,
            max_overflow=config.max_overflow,
            pool_recycle=config.pool_recycle_s,
            # A restarted database must not surface as errors on the first request after it.
            pool_pre_ping=True,
        )
    raise StoreError(
        f"unsupported database {display_url(target)}: use sqlite:///PATH or postgresql://…"
    )


def _sqlite_engine(url: URL, config: DatabaseConfig) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    kwargs: dict[str, Any] = {
        # The service hands sessions between the event loop and worker threads.
        "connect_args": {"check_same_thread": False, "timeout": config.sqlite_busy_timeout_s},
        "echo": config.echo,
    }
    if in_memory:
        # One shared connection, or every new connection would see an empty database.
        kwargs["poolclass"] = StaticPool
    else:
        # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        # database file's mode, and the default umask would leave all three world-readable.
        path = private_file(Path(database).expanduser())
        for suffix in ("-wal", "-shm", "-journal"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                _restrict(sidecar, sidecar.stat().st_mode & 0o700)
    engine = create_engine(url, **kwargs)
    busy_ms = int(config.sqlite_busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite leaves foreign keys off unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        if not in_memory:
            # WAL: readers (a reconnecting side panel replaying events) never wait for the
            # writer persisting finals. synchronous stays FULL so a commit survives power loss.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the service returns them), and
    that refuse text the database cannot keep before writing it (:mod:`.unstorable`)."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", refuse_unstorable)
    return factory


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(target: Engine | str | URL | None = None, revision: str = "head") -> str | None:
    """Upgrade the database to ``revision`` (default the newest); return the revision reached.

    Safe to call on every start: an up-to-date database is left alone.
    """
    from alembic import command

    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Transaction-scoped: released with the migration's commit or rollback.
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            command.upgrade(_alembic_config(connection), revision)
        return current_revision(engine)
    finally:
        if engine is not target:
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def require_current(engine: Engine) -> None:
    """Refuse to work on a database older (or newer) than this code's schema."""
    at, head = current_revision(engine), head_revision()
    if at != head:
        raise StoreError(
            f"database {display_url(engine.url)} is at revision {at or 'none'}, this version "
            f"needs {head}: run `copilot db upgrade`"
        )
