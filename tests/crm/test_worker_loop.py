"""The worker as the service runs it: an asyncio task, woken by confirms, stopped cleanly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from copilot.crm import outbox
from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.crm.worker import DeliveryWorker
from copilot.store.models import CrmOutbox
from tests.crm.conftest import Seed, crm_config, summary_payload
from tests.crm.receiver import Receiver, Slow


async def _until(condition: Callable[[], object], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def test_a_confirm_wakes_the_loop_and_stop_is_prompt(
    sessions: sessionmaker[Session], seed: Seed, receiver: Receiver
) -> None:
    # A poll interval far longer than the test: only notify() can explain a quick delivery.
    worker = DeliveryWorker(sessions, crm_config(receiver.url, poll_interval_s=60))

    async def scenario() -> float:
        worker.start()
        await asyncio.sleep(0.05)  # the first pass found nothing; the loop now waits
        with sessions() as session, session.begin():
            outbox.enqueue(
                session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, summary_payload(seed)
            )
        await asyncio.to_thread(worker.notify)  # from a request thread, as a route would
        await _until(lambda: receiver.effects)
        started = time.monotonic()
        await worker.stop()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.5
    with sessions() as session:
        status = outbox.status_of(session, seed.call_id, config=crm_config(receiver.url))
    assert status is not None and status.status == "delivered"


def test_stop_mid_batch_finishes_the_row_in_flight_and_hands_back_the_rest(
    sessions: sessionmaker[Session], seed: Seed, receiver: Receiver
) -> None:
    config = crm_config(receiver.url, timeout_s=2.0)
    with sessions() as session, session.begin():
        for i in range(3):
            outbox.enqueue(session, seed.org_id, None, "call.note.added", {"第": i})
    receiver.answer_next(Slow(0.3))
    worker = DeliveryWorker(sessions, config)

    async def scenario() -> None:
        worker.start()
        await _until(lambda: receiver.requests)  # the first POST is in flight
        await worker.stop()

    asyncio.run(scenario())
    with sessions() as session:
        rows = session.query(CrmOutbox).all()
    assert sorted(r.status for r in rows) == ["delivered", "pending", "pending"]
    now = datetime.now(UTC)
    for row in rows:
        if row.status == "pending":  # handed back unsent: due at once, no attempt counted
            assert row.attempts == 0 and outbox._utc(row.next_attempt_at) <= now
    assert len(receiver.requests) == 1

    assert DeliveryWorker(sessions, config).run_once().delivered == 2  # the next process
    assert len(receiver.effects) == 3


def test_a_disabled_worker_starts_and_stops_without_sending(
    sessions: sessionmaker[Session], seed: Seed, receiver: Receiver
) -> None:
    worker = DeliveryWorker(sessions, crm_config(None, poll_interval_s=0.01))

    async def scenario() -> None:
        worker.start()
        worker.notify()
        await asyncio.sleep(0.05)
        await worker.stop()
        await worker.stop()  # twice is harmless

    asyncio.run(scenario())
    assert receiver.requests == []
