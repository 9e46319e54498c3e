"""Where recordings are recognised: in this process, in local worker processes, or on a Ray
cluster. Each pool takes :class:`TranscribeJob`s and hands back :class:`TranscribeResult`s
as they finish; the driver never waits on one slow recording while others are done."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from copilot.batch.worker import TranscribeJob, TranscribeResult, transcribe, worker_settings
from copilot.settings import Settings
from speech.engine import SpeechEngine

RAY_MISSING = "Ray is not installed — run: pip install 'sales-copilot[cluster]'"


class Pool(Protocol):
    name: str
    # How many recordings it recognises at once (the driver keeps twice that many queued).
    slots: int
    # True: jobs carry the file's bytes (workers may not see the driver's files).
    ships_audio: bool

    def submit(self, job: TranscribeJob) -> None:
        """Queue one recording."""

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        """Those finished since the last call; waits up to ``timeout_s`` for the first."""

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers; ``cancel``: without finishing what they hold."""


class InlinePool:
    """Recognition in the driver's own process (``--workers 0``): for debugging and tests."""

    name = "inline"
    slots = 1
    ships_audio = False

    def __init__(self, engine: SpeechEngine) -> None:
        from copilot.batch.worker import transcribe_with

        self._transcribe = transcribe_with
        self._engine = engine
        self._done: deque[TranscribeResult] = deque()

    def submit(self, job: TranscribeJob) -> None:
        self._done.append(self._transcribe(self._engine, job))

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        done = list(self._done)
        self._done.clear()
        return done

    def close(self, *, cancel: bool = False) -> None:
        pass


def _ignore_interrupt() -> None:
    # Ctrl-C is the driver's to handle: it stops the workers itself, and a worker's own
    # traceback would only bury the message that says how to resume.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalPool:
    """``workers`` spawned processes, each loading the model once and using
    ``cores // workers`` threads. A worker that dies (killed, out of memory) loses the jobs
    in flight; they come back as ``lost`` and the pool starts fresh processes."""

    ships_audio = False

    def __init__(self, settings: Settings, workers: int) -> None:
        self.slots = max(1, workers)
        cores = os.cpu_count() or 1
        self._settings = worker_settings(settings, max(1, cores // self.slots))
        self.name = f"local×{self.slots}"
        self._executor = self._start()
        self._futures: dict[Future[TranscribeResult], int] = {}

    def _start(self) -> ProcessPoolExecutor:
        # spawn: the driver holds database connections and threads a fork would copy.
        return ProcessPoolExecutor(
            self.slots,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_interrupt,
        )

    def submit(self, job: TranscribeJob) -> None:
        future = self._executor.submit(transcribe, job, self._settings)
        self._futures[future] = job.item_id

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        if not self._futures:
            return []
        done, _ = wait(list(self._futures), timeout=timeout_s, return_when=FIRST_COMPLETED)
        results = []
        broken = False
        for future in done:
            item_id = self._futures.pop(future)
            try:
                results.append(future.result())
            except BrokenProcessPool:
                broken = True
                results.append(_lost(item_id, "a worker process died"))
            except Exception as exc:  # a bug in one job must not stop the batch
                results.append(TranscribeResult(item_id, None, error=f"worker error: {exc}"))
        if broken:
            # Every job the broken pool held is lost with it; a new pool takes the retries.
            results += [_lost(i, "a worker process died") for i in self._futures.values()]
            self._futures.clear()
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
        return results

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=not cancel, cancel_futures=cancel)


class ClusterUnreachable(RuntimeError):
    """Nothing answers at the Ray cluster's address."""


def reachable(address: str, timeout_s: float = 5.0) -> None:
    """A cluster named by host and port (``host:6379``, ``ray://host:10001``) answers there:
    Ray itself retries an address nobody answers for minutes before it gives up."""
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return  # auto, local: Ray finds or starts the cluster itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ClusterUnreachable(f"cannot reach the Ray cluster at {target}: {reason}") from None


class RayPool:
    """Ray tasks on a cluster (``address``: ``auto``, ``ray://host:10001``, ``host:6379``, or
    ``local`` to start a head here). Jobs carry the audio, so nodes need no shared storage."""

    ships_audio = True

    def __init__(
        self, settings: Settings, address: str, *, cpus_per_task: int = 1, **init: Any
    ) -> None:
        try:
            import ray
        except ModuleNotFoundError as exc:
            raise ModuleNotFoundError(RAY_MISSING) from exc
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            reachable(address)
            ray.init(address=address, log_to_driver=False, **init)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.slots = max(1, cpus // cpus_per_task)
        self.name = f"ray({address})×{self.slots}"
        self._remote = ray.remote(num_cpus=cpus_per_task)(transcribe)
        self._settings = ray.put(worker_settings(settings, cpus_per_task))
        self._refs: dict[Any, int] = {}

    def submit(self, job: TranscribeJob) -> None:
        self._refs[self._remote.remote(job, self._settings)] = job.item_id

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        if not self._refs:
            return []
        ready, _ = self._ray.wait(list(self._refs), num_returns=1, timeout=timeout_s)
        # Take whatever else finished meanwhile too, without waiting again.
        more, _ = self._ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        results = []
        for ref in dict.fromkeys([*ready, *more]):
            item_id = self._refs.pop(ref)
            try:
                results.append(self._ray.get(ref))
            except self._ray.exceptions.RayError as exc:
                results.append(_lost(item_id, f"the Ray task failed: {type(exc).__name__}"))
        return results

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for ref in self._refs:
                self._ray.cancel(ref, force=True)
        self._refs.clear()
        if self._owns:
            self._ray.shutdown()


def _lost(item_id: int, reason: str) -> TranscribeResult:
    return TranscribeResult(item_id, None, error=reason, lost=True)
