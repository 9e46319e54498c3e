"""Local worker processes: a worker that dies loses only its jobs, and the pool goes on."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

from copilot.batch.pools import ClusterUnreachable, LocalPool, reachable
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


def test_a_ray_address_nobody_answers_is_refused_in_seconds() -> None:
    """Ray itself retried such an address for minutes (the command seemed to hang)."""
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        open_port, closed_port = listening.getsockname()[1], closed.getsockname()[1]
        reachable(f"127.0.0.1:{open_port}")
        reachable(f"ray://127.0.0.1:{open_port}")
        reachable("auto")  # Ray finds the cluster itself
        reachable("local")
        started = time.monotonic()
        for address in (f"127.0.0.1:{closed_port}", f"ray://127.0.0.1:{closed_port}"):
            target = address.removeprefix("ray://")
            with pytest.raises(
                ClusterUnreachable, match=f"cannot reach the Ray cluster at {target}: "
            ):
                reachable(address)
        assert time.monotonic() - started < 10
