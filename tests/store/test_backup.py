"""``copilot backup`` and ``copilot restore``: a call, its transcript, its audit trail and
the data files come back in a fresh database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from copilot.commands import backup
from copilot.settings import get_settings
from copilot.store import audit, repo
from copilot.store.calls import add_segment, create_call
from copilot.store.db import make_engine, migrate, session_factory
from copilot.store.models import Call, Segment
from copilot.store.tenants import ensure_demo_tenant
from tests.dbfixtures import PgServer

runner = CliRunner()
app = typer.Typer()
backup.register(app)

SAID = ["您好，我是华东销售的李明。", "预算大概五十万，年底前要上线。"]


def use(monkeypatch: pytest.MonkeyPatch, db_url: str, root: Path) -> None:
    """Point the settings at ``db_url`` and at data folders under ``root``."""
    monkeypatch.setenv("COPILOT_DATABASE__URL", db_url)
    monkeypatch.setenv("COPILOT_SERVICE__UPLOAD_DIR", str(root / "uploads"))
    monkeypatch.setenv("COPILOT_SERVICE__LEARNING__ORG_MODELS_DIR", str(root / "org_models"))
    monkeypatch.setenv("COPILOT_PRIVACY__KEY_FILE", str(root / "pii-hmac.secret"))
    get_settings.cache_clear()


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the same kind: where the archive is restored."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_cluster")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


def seed(db_url: str, root: Path) -> tuple[str, str]:
    """A call with two segments and two audit records; files in each data folder."""
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        tenant = ensure_demo_tenant(session)
        org_id = tenant.org.id
        call = create_call(
            session, org_id=org_id, rep_id=tenant.rep.id, source="stream", call_id="bk-1"
        )
        for n, text in enumerate(SAID):
            speaker = "rep" if n == 0 else "customer"
            add_segment(
                session, call.id, segment_id=f"bk-1-{n}", speaker=speaker,
                start=4.0 * n, end=4.0 * n + 3.5, text=text,
            )  # fmt: skip
        audit.append(session, org_id, None, "call.confirmed", "call", call.id, {"n": 1})
        audit.append(session, org_id, None, "flag.overridden", "call", call.id, {"n": 2})
    engine.dispose()
    (root / "uploads" / "recordings").mkdir(parents=True)
    (root / "uploads" / "recordings" / "bk-1.wav").write_bytes(b"RIFF-kept-recording")
    (root / "org_models" / org_id).mkdir(parents=True)
    (root / "org_models" / org_id / "model.json").write_text('{"version": "v3"}')
    (root / "pii-hmac.secret").write_text("k" * 48)
    return org_id, call.id


def run(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def test_backup_and_restore_into_a_fresh_database(
    db_url: str, fresh_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    org_id, call_id = seed(db_url, source)
    archive = tmp_path / "copilot-backup.tar.gz"
    use(monkeypatch, db_url, source)
    run("backup", str(archive))
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds transcripts and keys

    use(monkeypatch, fresh_url, target)
    run("restore", str(archive))
    engine = make_engine(fresh_url)
    try:
        with session_factory(engine)() as session:
            call = session.get(Call, call_id)
            assert call is not None and call.org_id == org_id
            segments = repo.list_segments(session, call_id)
            assert [s.text for s in segments] == SAID
            report = audit.verify_chain(session, org_id)
            assert report.ok and report.count >= 2
    finally:
        engine.dispose()
    assert (target / "uploads" / "recordings" / "bk-1.wav").read_bytes() == b"RIFF-kept-recording"
    assert (target / "org_models" / org_id / "model.json").read_text() == '{"version": "v3"}'
    assert (target / "pii-hmac.secret").read_text() == "k" * 48

    # Restoring again over what is now in use needs --force, and then replaces it.
    (target / "uploads" / "stray.bin").write_bytes(b"x")
    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code == 1
    assert "refusing to restore over data in use" in refused.stderr
    assert "--force" in refused.stderr
    run("restore", "--force", str(archive))
    assert not (target / "uploads" / "stray.bin").exists()
    engine = make_engine(fresh_url)
    try:
        with session_factory(engine)() as session:
            assert session.query(Segment).filter_by(call_id=call_id).count() == len(SAID)
            assert audit.verify_chain(session, org_id).ok
    finally:
        engine.dispose()


def test_an_archive_of_another_database_kind_or_no_archive_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope.tar.gz")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    not_ours = tmp_path / "junk.tar.gz"
    not_ours.write_bytes(b"not a tar")
    junk = runner.invoke(app, ["restore", str(not_ours)])
    assert junk.exit_code == 1 and "not a copilot backup" in junk.stderr


def _disk_of(limit_bytes: int) -> None:
    """In the child: files cannot grow past ``limit_bytes`` (a write beyond fails as on a
    full disk, with EFBIG instead of the signal that would kill the process)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


def test_a_backup_that_cannot_be_written_says_why_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    use(monkeypatch, db_url, tmp_path / "a")
    migrate(db_url)
    seed(db_url, tmp_path / "a")
    folder = tmp_path / "backups"
    folder.mkdir()
    onto_folder = runner.invoke(app, ["backup", str(folder)])
    assert onto_folder.exit_code == 1
    assert f"{folder}: exists and is not a file" in onto_folder.stderr
    assert folder.is_dir() and not list(folder.iterdir())

    # The database (about half a megabyte) does not fit where the archive goes.
    command = [sys.executable, "-c", "from copilot.cli import app; app()"]
    full = subprocess.run(
        [*command, "backup", str(folder / "a.tar.gz")],
        preexec_fn=lambda: _disk_of(100_000),
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert full.returncode == 1, full.stderr
    assert f"copying the database {tmp_path / 'a.db'} failed:" in full.stderr
    assert "Traceback" not in full.stderr
    assert not list(folder.iterdir())  # no archive, no staging folder
