"""Local worker processes: a worker that dies loses only its jobs, and the pool goes on."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from copilot.batch.pools import LocalPool
from copilot.batch.worker import TranscribeJob, TranscribeResult
from copilot.settings import Settings


def collect(pool: LocalPool, count: int) -> list[TranscribeResult]:
    results: list[TranscribeResult] = []
    deadline = time.monotonic() + 120
    while len(results) < count and time.monotonic() < deadline:
        results += pool.results(timeout_s=0.5)
    return results


def test_a_killed_worker_loses_its_jobs_and_a_fresh_one_takes_the_retries(
    clips: list[Path],
) -> None:
    pool = LocalPool(Settings(), workers=1)
    try:
        pool.submit(TranscribeJob(1, str(clips[0])))
        (first,) = collect(pool, 1)  # the worker is up and has its model
        assert first.segments and first.error is None and not first.lost

        pool.submit(TranscribeJob(2, str(clips[1])))
        pool.submit(TranscribeJob(3, str(clips[2])))
        worker = int(first.worker.split("@")[0])
        os.kill(worker, signal.SIGKILL)
        lost = collect(pool, 2)
        assert sorted(r.item_id for r in lost) == [2, 3]
        assert all(r.lost and r.segments is None for r in lost)

        pool.submit(TranscribeJob(2, str(clips[1])))
        (retried,) = collect(pool, 1)
        assert retried.item_id == 2 and retried.segments
        assert retried.worker != first.worker
    finally:
        pool.close(cancel=True)
