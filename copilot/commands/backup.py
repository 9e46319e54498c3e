"""``copilot backup OUT`` and ``copilot restore IN``: the database and the data files in
one archive (docs/deploy.md).

The archive is a gzipped tar, 0600 (it holds transcripts and the PII key):

- ``manifest.json``: format, backend, schema revision, when, what is inside;
- ``database.sqlite`` (SQLite's online backup API: a consistent copy while the service
  writes) or ``database.pgdump`` (``pg_dump -Fc``, one snapshot);
- ``data/uploads``, ``data/org_models`` and ``data/pii-hmac.secret``: uploads waiting for
  analysis and kept recordings, each organisation's trained models, and the key its
  pseudonymised references are made with (without it they no longer match).

``restore`` refuses a database that holds an organisation, or data folders that hold
files, unless ``--force``; afterwards it migrates the database to this version's schema,
so an archive from an older version restores into a newer one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.common import UserError, err, require_file, user_errors
from copilot.settings import Settings, get_settings
from copilot.store.db import libpq_url

ARCHIVE_FORMAT = 1
_SQLITE_NAME, _PGDUMP_NAME = "database.sqlite", "database.pgdump"
# Where Debian and Ubuntu install each PostgreSQL major version's programs.
PG_LIB = Path("/usr/lib/postgresql")


def data_paths(settings: Settings) -> dict[str, Path]:
    """The files besides the database that a restore needs, by their name in the archive."""
    from copilot.service.org_learning import org_models_dir
    from copilot.service.uploads import upload_dir

    return {
        # Kept recordings live under the upload folder (copilot/store/recordings.py).
        "uploads": upload_dir(settings.service.upload_dir),
        "org_models": org_models_dir(settings.service.learning),
        "pii-hmac.secret": settings.privacy.key_file,
    }


# -- backup -------------------------------------------------------------------------------


def backup(settings: Settings, out: Path, *, pg_bin: Path | None = None) -> dict[str, Any]:
    """Write the archive to ``out`` (replaced atomically); its manifest."""
    from copilot.store.db import current_revision, make_engine, normalise_url

    url = normalise_url(settings.database.url)
    out = out.expanduser().resolve()
    if out.exists() and not out.is_file():
        # Replacing it would swap a folder's or a device's name for the archive.
        raise UserError(f"{out}: exists and is not a file; give the archive's file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config=settings.database)
    try:
        revision = current_revision(engine)
        if revision is None:
            raise UserError("the database has no schema yet: nothing to back up")
        with tempfile.TemporaryDirectory(prefix=".copilot-backup-", dir=out.parent) as tmp:
            staging = Path(tmp)
            if url.get_backend_name() == "sqlite":
                database = staging / _SQLITE_NAME
                _sqlite_copy(_sqlite_path(url), database)
            else:
                database = staging / _PGDUMP_NAME
                tool = pg_tool("pg_dump", _server_major(engine), pg_bin)
                _run([str(tool), "-Fc", "--no-owner", "-f", str(database)], url)
            present = {name: path for name, path in data_paths(settings).items() if path.exists()}
            manifest = {
                "format": ARCHIVE_FORMAT,
                "backend": url.get_backend_name(),
                "revision": revision,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": database.name,
                "data": sorted(present),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
            archive = staging / "archive.tar.gz"
            # Created 0600 before anything is written into it.
            os.close(os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            with tarfile.open(archive, "w:gz") as tar:
                tar.add(staging / "manifest.json", "manifest.json")
                tar.add(database, database.name)
                for name, path in present.items():
                    tar.add(path, f"data/{name}")
            os.replace(archive, out)
    finally:
        engine.dispose()
    return manifest


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise UserError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database).expanduser()


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: page by page, consistent even while the service writes."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:  # a full disk where the copy goes, a damaged database
        raise UserError(f"copying the database {source} failed: {exc}") from None
    finally:
        dst.close()
        src.close()


# -- restore ------------------------------------------------------------------------------


def restore(
    settings: Settings, archive: Path, *, force: bool = False, pg_bin: Path | None = None
) -> dict[str, Any]:
    """Put the archive's database and files in place of the configured ones; its manifest."""
    from copilot.store.db import make_engine, migrate, normalise_url

    url = normalise_url(settings.database.url)
    with tempfile.TemporaryDirectory(prefix=".copilot-restore-") as tmp:
        staging = Path(tmp)
        manifest = _unpack(archive, staging)
        if manifest["backend"] != url.get_backend_name():
            raise UserError(
                f"the archive holds a {manifest['backend']} database; the configured one is "
                f"{url.get_backend_name()} (restore into the same kind)"
            )
        targets = data_paths(settings)
        engine = make_engine(config=settings.database)
        try:
            if not force:
                _refuse_if_in_use(engine, targets, staging / "data")
            database = staging / str(manifest["database"])
            if url.get_backend_name() == "sqlite":
                engine.dispose()  # no connection of ours in the way of the copy
                _sqlite_copy(database, _sqlite_path(url))
            else:
                tool = pg_tool("pg_restore", _server_major(engine), pg_bin)
                engine.dispose()
                # --clean --if-exists: a target that was migrated (empty tables) is fine.
                _run(
                    [str(tool), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                     "--single-transaction", "-d", "{url}", str(database)],
                    url,
                )  # fmt: skip
            for name in manifest["data"]:
                _put_in_place(staging / "data" / name, targets[name])
            migrate(engine)
        finally:
            engine.dispose()
    return manifest


def _unpack(archive: Path, staging: Path) -> dict[str, Any]:
    require_file(archive)
    try:
        with tarfile.open(archive, "r:*") as tar:
            # "data": no absolute paths, no links out of the folder, no device files.
            tar.extractall(staging, filter="data")
        manifest: dict[str, Any] = json.loads((staging / "manifest.json").read_text())
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise UserError(f"{archive}: not a copilot backup ({exc})") from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise UserError(f"{archive}: backup format {manifest.get('format')} is not supported")
    return manifest


def _refuse_if_in_use(engine: Engine, targets: dict[str, Path], incoming: Path) -> None:
    in_use: list[str] = []
    if "orgs" in inspect(engine).get_table_names():
        with engine.connect() as connection:
            if connection.execute(text("SELECT 1 FROM orgs LIMIT 1")).first() is not None:
                in_use.append("the database holds organisations")
    for name, path in targets.items():
        if path.is_dir() and any(p.is_file() for p in path.rglob("*")):
            in_use.append(f"{path} holds files")
        elif path.is_file():
            archived = incoming / name
            if not archived.is_file() or archived.read_bytes() != path.read_bytes():
                in_use.append(f"{path} exists and differs from the archive's")
    if in_use:
        raise UserError(
            f"refusing to restore over data in use: {'; '.join(in_use)} (--force replaces it)"
        )


def _put_in_place(source: Path, target: Path) -> None:
    """``target`` becomes ``source``: moved beside it first, then swapped in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(f".{target.name}.restoring")
    old = target.with_name(f".{target.name}.replaced")
    for leftover in (incoming, old):
        _remove(leftover)
    shutil.move(str(source), incoming)
    if target.exists():
        target.rename(old)
    incoming.rename(target)
    _remove(old)
    (target.chmod(0o700) if target.is_dir() else target.chmod(0o600))


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


# -- PostgreSQL's programs ----------------------------------------------------------------


def _server_major(engine: Engine) -> int:
    with engine.connect() as connection:
        number = connection.execute(text("SHOW server_version_num")).scalar_one()
    return int(number) // 10000


def pg_tool(name: str, server_major: int, configured: Path | None = None) -> Path:
    """``pg_dump``/``pg_restore`` able to read this server: from ``configured``, else beside
    the server's own binaries (same major version), else a newer installed one, else PATH."""
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured / name)
    installed = sorted(
        (int(d.name), d / "bin" / name) for d in PG_LIB.glob("*") if d.name.isdigit()
    )
    candidates += [path for major, path in installed if major == server_major]
    candidates += [path for major, path in reversed(installed) if major > server_major]
    on_path = shutil.which(name)
    if on_path is not None:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise UserError(
        f"{name} for PostgreSQL {server_major} not found: install postgresql-client-"
        f"{server_major} or give --pg-bin DIR"
    )


def _run(command: list[str], url: URL) -> None:
    """Run a PostgreSQL program against ``url``; the password goes in the environment,
    never on the command line (``ps`` shows that to every user)."""
    connect = libpq_url(url, password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    args = [connect if arg == "{url}" else arg for arg in command]
    if "-d" not in command:  # pg_dump: the database is the last argument
        args.append(connect)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = _no_password(done.stderr.strip().splitlines()[-1:] or ["no output"], url)
        raise UserError(f"{Path(command[0]).name} failed: {detail}")


def _no_password(lines: list[str], url: URL) -> str:
    message = " ".join(lines)
    if url.password:
        message = message.replace(str(url.password), "[REDACTED]")
    return re.sub(r"\s+", " ", message)


# -- the commands -------------------------------------------------------------------------

PgBinOpt = Annotated[
    Path | None,
    typer.Option(
        "--pg-bin",
        help="Folder holding pg_dump/pg_restore (default: beside the server's, then PATH).",
        show_default=False,
    ),
]


def backup_command(
    out: Annotated[Path, typer.Argument(help="Archive to write (a .tar.gz, mode 0600).")],
    pg_bin: PgBinOpt = None,
) -> None:
    """Back up the database (online) and the data files into one archive."""
    with user_errors(OSError, SQLAlchemyError):
        manifest = backup(get_settings(), out, pg_bin=pg_bin)
    extra = ", ".join(manifest["data"]) or "no data files"
    err.print(f"backed up the {manifest['backend']} database ({manifest['revision']}) and {extra}")
    print(out)


def restore_command(
    archive: Annotated[Path, typer.Argument(help="Archive written by `copilot backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database and files already in use.")
    ] = False,
    pg_bin: PgBinOpt = None,
) -> None:
    """Restore an archive of `copilot backup` into the configured database and folders."""
    with user_errors(OSError, SQLAlchemyError):
        manifest = restore(get_settings(), archive, force=force, pg_bin=pg_bin)
    err.print(
        f"restored the {manifest['backend']} database of {manifest['created_at']} "
        "and migrated it to this version's schema"
    )


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
