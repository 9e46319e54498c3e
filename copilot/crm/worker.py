"""The delivery worker: claims due outbox rows, sends them, records each outcome.

Each pass is three short steps with no transaction held across HTTP:

1. claim a batch (one transaction; the rows are hidden for a lease),
2. send each row (:class:`~copilot.crm.sender.CrmSink`),
3. record each outcome as soon as it is known (one transaction per row).

A row is only marked after its HTTP outcome is known. If the process dies between 2 and
3, the row stays pending, falls due when its lease ends and is sent again with the *same*
webhook-id; the receiver dedupes on it. That is the exactly-once effect: at-least-once
delivery plus an idempotency key.

Back-off never sleeps: it is a timestamp in the row, so the clock is injectable and tests
move it forward instead of waiting. In the service the loop is an asyncio task that runs
each pass in a thread (:func:`asyncio.to_thread`) and waits for the poll interval or a
:meth:`DeliveryWorker.notify` between passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from copilot.crm import outbox
from copilot.crm.config import CrmConfig
from copilot.crm.models import DeliveryCounts, DeliveryOutcome, OutboxMessage
from copilot.crm.sender import CrmSink, WebhookSender

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryWorker:
    """Delivers the CRM outbox; one per service process (several are safe on PostgreSQL)."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        config: CrmConfig,
        *,
        sink: CrmSink | None = None,
        clock: Clock = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = session_factory
        self._config = config
        self._owns_sink = sink is None
        self._sink: CrmSink = sink or WebhookSender(config)
        self._clock = clock
        self._rng = rng or random.Random()
        # Checked between rows, from the worker thread: a stop never waits for a whole batch.
        self._stopping = threading.Event()
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # -- one pass: plain synchronous code, what tests call -------------------------------

    def run_once(self, now: datetime | None = None) -> DeliveryCounts:
        """Claim the due rows, send them, record the outcomes; ``now`` pins the clock."""
        if not self._config.enabled or self._stopping.is_set():
            return DeliveryCounts()  # disabled: rows stay pending; status_of says why
        clock: Clock = self._clock if now is None else (lambda: now)
        with self._sessions() as session, session.begin():
            messages = outbox.claim(
                session, clock(), self._config.batch_size, self._config.claim_lease_s
            )
        delivered = retrying = dead = 0
        for index, message in enumerate(messages):
            if self._stopping.is_set():
                released = self._release([m.id for m in messages[index:]], clock())
                log.info("CRM worker stopping: %d claimed message(s) handed back", released)
                return DeliveryCounts(
                    claimed=len(messages),
                    delivered=delivered,
                    retrying=retrying,
                    dead=dead,
                    released=released,
                )
            outcome = self._attempt(message, clock)
            # Only now, with the outcome known, is the row touched.
            with self._sessions() as session, session.begin():
                row = outbox.record_outcome(
                    session, message.id, outcome, now=clock(), config=self._config, rng=self._rng
                )
                state, attempts = row.status, row.attempts
            if state == outbox.DELIVERED:
                delivered += 1
            elif state == outbox.DEAD:
                dead += 1
                log.warning(
                    "CRM webhook %s (%s, call %s) is dead after %d attempt(s): %s",
                    message.id,
                    message.event_type,
                    message.call_id,
                    attempts,
                    outcome.error,
                )
            else:
                retrying += 1
                log.info(
                    "CRM webhook %s attempt %d failed: %s", message.id, attempts, outcome.error
                )
        return DeliveryCounts(
            claimed=len(messages), delivered=delivered, retrying=retrying, dead=dead
        )

    def _attempt(self, message: OutboxMessage, clock: Clock) -> DeliveryOutcome:
        try:
            return self._sink.deliver(message, clock())
        except Exception as exc:  # a bug in a sink must not wedge the queue behind one row
            log.exception("CRM sink failed on %s", message.id)
            return DeliveryOutcome(result="retry", error=f"internal error: {exc!r}")

    def _release(self, ids: list[str], now: datetime) -> int:
        with self._sessions() as session, session.begin():
            return outbox.release(session, ids, now)

    # -- the service loop ------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop as a task on the running event loop (the app's lifespan)."""
        if self._task is not None and not self._task.done():
            return
        if not self._config.enabled:
            log.warning(
                "CRM delivery is off (COPILOT_CRM__WEBHOOK_URL unset): confirmations queue up"
            )
        self._stopping.clear()
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="crm-delivery")

    def notify(self) -> None:
        """Look for work now rather than at the next poll (call after committing a confirm).

        Safe from any thread; a no-op when the loop is not running.
        """
        loop, wakeup = self._loop, self._wakeup
        if loop is None or wakeup is None or loop.is_closed():
            return
        if _running(loop):
            wakeup.set()
            return
        # asyncio.Event is not thread-safe: from another thread, set it on its own loop.
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(wakeup.set)

    async def stop(self, timeout_s: float | None = None) -> None:
        """Finish the row in flight, hand back the rest of the batch, and end the loop.

        Waits at most ``timeout_s`` (default: one request's timeouts plus a margin). If the
        in-flight request takes longer, the task is abandoned; its row stays pending under
        its lease and is re-sent later with the same webhook-id, never lost.
        """
        task = self._task
        if task is None:
            return
        self._stopping.set()
        if self._wakeup is not None:
            self._wakeup.set()
        wait_s = timeout_s if timeout_s is not None else 2 * self._config.timeout_s + 5.0
        try:
            await asyncio.wait_for(asyncio.shield(task), wait_s)
        except TimeoutError:
            log.warning("CRM worker did not stop within %.0f s; abandoning it", wait_s)
            task.cancel()
        finally:
            self._task = None
        if self._owns_sink and isinstance(self._sink, WebhookSender) and task.done():
            self._sink.close()

    async def _run(self) -> None:
        assert self._wakeup is not None
        while not self._stopping.is_set():
            counts = DeliveryCounts()
            try:
                counts = await asyncio.to_thread(self.run_once)
            except Exception:  # the database may be briefly away; the next pass retries
                log.exception("CRM delivery pass failed")
            if counts.claimed >= self._config.batch_size:
                continue  # a backlog (the CRM just came back): drain it without waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._config.poll_interval_s)
            self._wakeup.clear()


def _running(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
