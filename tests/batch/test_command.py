"""``copilot batch`` as a user runs it: worker processes, killed mid-batch, run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from copilot.store.models import BatchItem, Call, CallEvent
from tests.batch.conftest import CALL, Store, cut

COMMAND = [sys.executable, "-c", "from copilot.cli import app; app(prog_name='copilot')", "batch"]


def batch(db_url: str, *args: str, wait: bool = True) -> subprocess.Popen[str]:
    env = {**os.environ, "COPILOT_DATABASE__URL": db_url}
    process = subprocess.Popen(
        [*COMMAND, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the kill takes its workers too
    )
    if wait:
        process.wait(timeout=300)
    return process


def test_a_batch_killed_mid_way_resumes_with_nothing_lost_or_done_twice(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    for n in range(5):  # five different 3-second recordings
        cut(CALL, 0.15 * n, 0.15 * n + 0.2, folder / f"call{n}.wav")
    (folder / "broken.wav").write_bytes(b"RIFF")

    driver = batch(store.settings.database.url, str(folder), "--workers", "1", wait=False)
    deadline = time.monotonic() + 180
    done = 0
    while done < 1:
        assert driver.poll() is None, driver.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no recording finished in time"
        time.sleep(0.1)
        with store.sessions() as session:
            done = (
                session.scalar(
                    select(func.count()).select_from(BatchItem).where(BatchItem.status == "done")
                )
                or 0
            )
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its worker, mid-batch
    driver.wait(timeout=30)
    with store.sessions() as session:
        left = Counter(session.scalars(select(BatchItem.status)))
    assert left["done"] < 5 and left["running"] >= 1, left

    resumed = batch(store.settings.database.url, str(folder), "--workers", "1", "--json")
    out, errors = resumed.communicate()
    assert resumed.returncode == 0, errors[-2000:]
    counts = json.loads(out.strip().splitlines()[-1])
    assert (counts["done"], counts["failed"]) == (5, 1)
    with store.sessions() as session:
        calls = session.scalars(select(Call)).all()
        per_content = Counter(c.audio_format["sha256"] for c in calls)
        summaries = session.scalar(
            select(func.count()).select_from(CallEvent).where(CallEvent.type == "call.summary")
        )
    assert len(per_content) == 6 and set(per_content.values()) == {1}
    assert summaries == 5  # one per analysed call, none twice
    assert sorted(c.status for c in calls) == ["ended"] * 5 + ["failed"]
