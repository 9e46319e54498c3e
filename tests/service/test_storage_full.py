"""A full disk under the real server (a ``copilot serve`` process whose files cannot grow past
a limit, as on a full disk): an upload that does not fit is refused with 507 saying so,
nothing of it is left behind, and the service goes on answering."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from copilot.store.db import make_engine, migrate, session_factory
from copilot.store.repo import ensure_demo_tenant
from tests import processes
from tests.crm.receiver import free_port
from tests.service.conftest import DEVSET_AUDIO

COPILOT = str(Path(sys.executable).parent / "copilot")
# Files of the server may not grow past this: room for its database and index, not for a
# recording of three times as much.
LIMIT_BYTES = 8 * 1024 * 1024


@dataclass
class Server:
    url: str
    rep_key: str
    uploads: Path
    log: Path


def _disk_of(limit_bytes: int) -> None:
    """In the child: a write past ``limit_bytes`` fails with EFBIG, as on a full disk
    (SIGXFSZ, which would kill the process instead, is ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


@pytest.fixture
def server_on_a_full_disk(tmp_path: Path) -> Iterator[Server]:
    db_url = f"sqlite:///{tmp_path / 'copilot.db'}"
    migrate(db_url)
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        rep_key = ensure_demo_tenant(session).rep_key
    engine.dispose()
    uploads = tmp_path / "uploads"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env.update(
        {
            "COPILOT_DATABASE__URL": db_url,
            "COPILOT_SERVICE__PRELOAD_SPEECH": "false",
            "COPILOT_SERVICE__UPLOAD_DIR": str(uploads),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [COPILOT, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: _disk_of(LIMIT_BYTES),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until_answering(f"{url}/healthz", process, log, 90, "copilot serve")
        yield Server(url, rep_key, uploads, log)
    finally:
        processes.stop(process, timeout_s=20)


def test_an_upload_that_does_not_fit_is_a_507_and_leaves_nothing(
    server_on_a_full_disk: Server,
) -> None:
    server = server_on_a_full_disk
    headers = {"Authorization": f"Bearer {server.rep_key}"}
    recording = os.urandom(3 * LIMIT_BYTES)
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        refused = http.post("/v1/calls", files={"file": ("big.wav", recording)})
        assert refused.status_code == 507, refused.text
        assert refused.headers["Retry-After"] == "60"
        assert refused.json()["error"] == {
            "code": "storage_full",
            "message": "the server cannot store this now (File too large); nothing was kept, "
            "retry later",
        }
        assert str(server.uploads) not in refused.text
        # Nothing of it is left where uploads wait, and no call was created for it.
        assert [p.name for p in server.uploads.iterdir()] == []
        assert http.get("/v1/calls").json() == []
        # The service goes on: a recording that fits is taken.
        small = (DEVSET_AUDIO / "dc02.mono.wav").read_bytes()
        taken = http.post("/v1/calls", files={"file": ("dc02.wav", small)})
        assert taken.status_code == 202, taken.text
        assert http.get("/healthz").status_code == 200
    assert "Traceback" not in server.log.read_text()
