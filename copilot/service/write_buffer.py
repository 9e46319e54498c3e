"""Writes of live calls that the database could not take yet, kept in order until it can.

A full disk, a read-only file system or a lost database connection must not end a call or
lose what it produced. Each write (one transaction: a final with its insights, flags and
events; some events; the call's end) is tried at once; when the store refuses it for a
transient reason (:func:`~copilot.service.errors.is_transient_store_error`) it is queued,
and every later write queues behind it, so each call's rows and events reach the store in
the order they were produced (``seq`` order). The queue is retried every
``retry_interval_s`` by a background task and whenever another write comes, and empties
the moment the store is back. Writes must be idempotent-safe: a transaction either
committed or not, so a retried one is written exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from copilot.service.errors import is_transient_store_error

logger = logging.getLogger(__name__)

# A write that failed is tried once more after this pause before being queued: a lock
# timeout or a dropped pooled connection usually clears at once.
QUICK_RETRY_S = 0.05


@dataclass
class _Pending:
    call_id: str
    write: Callable[[], None]
    last_seq: int
    queued_at: float


class WriteBuffer:
    def __init__(
        self,
        on_stored: Callable[[str, int], None] | None = None,
        *,
        retry_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Called (from any thread) when a queued write with events up to ``seq`` is stored.
        self._on_stored = on_stored
        self._retry_interval_s = retry_interval_s
        self._clock = clock
        self._pending: deque[_Pending] = deque()
        # One flusher at a time, so the queue is written strictly in order.
        self._lock = threading.Lock()
        self._last_try = -float("inf")
        self.last_error: str | None = None
        self.last_exception: BaseException | None = None
        self.last_error_at: float | None = None
        self.failures = 0
        self._drainer: asyncio.Task[None] | None = None

    # -- any thread ----------------------------------------------------------------------

    def write(self, call_id: str, write: Callable[[], None], last_seq: int = 0) -> bool:
        """Store now (True) or queue behind earlier writes (False). Raises what is not a
        transient store error: that is a bug, not an outage."""
        with self._lock:
            if self._pending:
                self._flush_locked(force=False)
            if self._pending:
                self._queue(call_id, write, last_seq)
                return False
        for attempt in (1, 2):
            try:
                write()
                return True
            except Exception as exc:
                if not is_transient_store_error(exc):
                    raise
                self._failed(exc)
                if attempt == 1:
                    time.sleep(QUICK_RETRY_S)
        with self._lock:
            self._queue(call_id, write, last_seq)
            self._last_try = self._clock()
        return False

    def flush(self) -> bool:
        """Try the queued writes now; True when none is left."""
        with self._lock:
            return self._flush_locked(force=True)

    def pending(self, call_id: str | None = None) -> int:
        with self._lock:
            return sum(1 for p in self._pending if call_id is None or p.call_id == call_id)

    def health(self) -> dict[str, object]:
        """For /healthz: can the store be written, and what waits to be."""
        with self._lock:
            oldest = self._pending[0].queued_at if self._pending else None
            count = len(self._pending)
        now = self._clock()
        return {
            "store": "unwritable" if count else "ok",
            "pending_writes": count,
            "oldest_pending_s": round(now - oldest, 1) if oldest is not None else None,
            "store_failures": self.failures,
            "store_last_error": self.last_error,
            "store_last_error_age_s": (
                round(now - self.last_error_at, 1) if self.last_error_at is not None else None
            ),
        }

    # -- on the event loop ---------------------------------------------------------------

    def ensure_draining(self) -> None:
        """Start the background retry of the queue, if it is not running."""
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(
                self._drain(), name="store-write-buffer"
            )

    async def close(self) -> None:
        """Shutting down: one last try; what is still queued is lost, and logged."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        if not await asyncio.to_thread(self.flush):
            logger.error(
                "shutting down with %d write(s) the database would not take (%s)",
                self.pending(),
                self.last_error,
            )

    async def _drain(self) -> None:
        while self.pending():
            await asyncio.sleep(self._retry_interval_s)
            await asyncio.to_thread(self.flush)

    # -- under the lock ------------------------------------------------------------------

    def _queue(self, call_id: str, write: Callable[[], None], last_seq: int) -> None:
        self._pending.append(_Pending(call_id, write, last_seq, self._clock()))

    def _flush_locked(self, *, force: bool) -> bool:
        now = self._clock()
        if not force and now - self._last_try < self._retry_interval_s:
            return not self._pending
        self._last_try = now
        written = 0
        while self._pending:
            head = self._pending[0]
            try:
                head.write()
            except Exception as exc:
                if not is_transient_store_error(exc):
                    # Retrying a write that can never succeed would block every call
                    # behind it: drop it, loudly.
                    logger.exception("dropping a queued write of call %s", head.call_id)
                    self._pending.popleft()
                    continue
                self._failed(exc)
                return False
            self._pending.popleft()
            written += 1
            if head.last_seq and self._on_stored is not None:
                self._on_stored(head.call_id, head.last_seq)
        if written:
            logger.info("the database takes writes again: %d queued write(s) stored", written)
        return True

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.last_exception = exc
        self.last_error = (
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        )
        self.last_error_at = self._clock()
        if self.failures == 1 or self.failures % 100 == 0:
            logger.warning("database write failed (%d so far): %s", self.failures, self.last_error)
