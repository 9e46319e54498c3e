"""End to end against a real local receiver: signed POSTs, retries, dead letter, dedupe."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from copilot.crm import outbox
from copilot.crm.config import CrmConfig
from copilot.crm.models import SUMMARY_CONFIRMED, DeliveryCounts, OutboxMessage
from copilot.crm.sender import WebhookSender
from copilot.crm.worker import DeliveryWorker
from copilot.store.models import CrmOutbox
from tests.crm.conftest import OLD_SECRET, SECRET, FakeClock, Seed, crm_config, summary_payload
from tests.crm.receiver import Receiver, Slow


def _confirm(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, payload: Any = None
) -> str:
    with sessions() as session, session.begin():
        row = outbox.enqueue(
            session,
            seed.org_id,
            seed.call_id,
            SUMMARY_CONFIRMED,
            payload if payload is not None else summary_payload(seed),
            now=clock(),
        )
        return row.id


def _row(sessions: sessionmaker[Session], msg_id: str) -> CrmOutbox:
    with sessions() as session:
        row = session.get(CrmOutbox, msg_id)
        assert row is not None
        return row


def _worker(sessions: sessionmaker[Session], config: CrmConfig, clock: FakeClock) -> DeliveryWorker:
    return DeliveryWorker(sessions, config, clock=clock, rng=random.Random(3))


def _run_when_due(
    worker: DeliveryWorker, sessions: sessionmaker[Session], msg_id: str, clock: FakeClock
) -> DeliveryCounts:
    """Move the clock to the row's next attempt (no sleeping) and run one pass."""
    clock.moment = outbox._utc(_row(sessions, msg_id).next_attempt_at)
    return worker.run_once()


def test_a_confirmed_summary_arrives_signed_with_its_chinese_text(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url)
    msg_id = _confirm(sessions, seed, clock)
    counts = _worker(sessions, config, clock).run_once()

    assert counts == DeliveryCounts(claimed=1, delivered=1)
    (request,) = receiver.requests
    assert request.verified and request.msg_id == msg_id
    assert request.headers["webhook-timestamp"] == str(int(clock.unix()))
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["user-agent"].startswith("sales-copilot/")
    # Compact UTF-8 JSON: the Chinese is there as itself, not as \u escapes.
    assert "拍板".encode() in request.body and b"\\u" not in request.body
    assert b": " not in request.body
    body = json.loads(request.body)
    assert body["type"] == SUMMARY_CONFIRMED
    assert datetime.fromisoformat(body["timestamp"]) == clock()
    assert body["data"] == summary_payload(seed)
    assert receiver.effects == {msg_id: body}

    with sessions() as session:
        status = outbox.status_of(session, seed.call_id, config=config)
    assert status is not None
    assert (status.status, status.attempts, status.last_status_code) == ("delivered", 1, 200)
    assert status.delivered_at == clock() and status.reason is None


def test_crm_down_then_up_delivers_once_with_growing_backoff(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url, backoff_base_s=60, jitter=0.1)
    worker = _worker(sessions, config, clock)
    msg_id = _confirm(sessions, seed, clock)
    receiver.stop()  # the port is closed: connection refused

    gaps = []
    for _ in range(2):
        assert _run_when_due(worker, sessions, msg_id, clock).retrying == 1
        row = _row(sessions, msg_id)
        assert "ConnectError" in (row.last_error or "")
        gaps.append((outbox._utc(row.next_attempt_at) - clock()).total_seconds())
        assert worker.run_once() == DeliveryCounts()  # not due yet: nothing is sent early

    receiver.start()  # back, but overloaded for two more attempts
    receiver.answer_next(503, 503)
    for _ in range(2):
        assert _run_when_due(worker, sessions, msg_id, clock).retrying == 1
        row = _row(sessions, msg_id)
        assert (row.last_status_code, row.last_error) == (503, "HTTP 503: scripted failure")
        gaps.append((outbox._utc(row.next_attempt_at) - clock()).total_seconds())

    assert _run_when_due(worker, sessions, msg_id, clock).delivered == 1
    row = _row(sessions, msg_id)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 5, None)
    assert len(receiver.effects) == 1 and len(receiver.requests) == 3
    # 60 s, 2, 4, 8 minutes, each within its ±10 % jitter: the back-off grows.
    for gap, nominal in zip(gaps, [60, 120, 240, 480], strict=True):
        assert nominal * 0.9 <= gap <= nominal * 1.1
    assert gaps == sorted(gaps)


def test_a_slow_crm_times_out_without_hanging_and_the_retry_is_deduped(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url, timeout_s=0.2)
    worker = _worker(sessions, config, clock)
    msg_id = _confirm(sessions, seed, clock)
    receiver.answer_next(Slow(1.0))  # it processes the webhook but answers too late

    started = time.monotonic()
    assert worker.run_once().retrying == 1
    assert time.monotonic() - started < 0.8
    assert "read timeout after 0.2 s" in (_row(sessions, msg_id).last_error or "")

    assert _run_when_due(worker, sessions, msg_id, clock).delivered == 1
    assert len(receiver.requests) == 2
    assert {r.msg_id for r in receiver.requests} == {msg_id}
    assert len(receiver.effects) == 1 and receiver.state.duplicates == 1


def test_after_max_attempts_the_message_is_dead_and_says_so(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url, max_attempts=3)
    worker = _worker(sessions, config, clock)
    msg_id = _confirm(sessions, seed, clock)
    receiver.answer_next(500, 500, 500)
    passes = [_run_when_due(worker, sessions, msg_id, clock) for _ in range(3)]
    assert [(p.retrying, p.dead) for p in passes] == [(1, 0), (1, 0), (0, 1)]
    clock.advance(86400)
    assert worker.run_once() == DeliveryCounts()  # dead rows are not retried by themselves

    with sessions() as session:
        status = outbox.status_of(session, seed.call_id, config=config)
    assert status is not None
    assert (status.status, status.attempts, status.last_status_code) == ("dead", 3, 500)
    assert status.reason and "gave up after 3 attempts" in status.reason
    assert receiver.effects == {}

    with sessions() as session, session.begin():  # an admin retries once the CRM is fixed
        outbox.retry_dead(session, msg_id, now=clock())
    assert worker.run_once().delivered == 1
    assert list(receiver.effects) == [msg_id]


def test_410_gone_stops_at_once(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    worker = _worker(sessions, crm_config(receiver.url), clock)
    msg_id = _confirm(sessions, seed, clock)
    receiver.answer_next(410)
    assert worker.run_once().dead == 1
    assert (_row(sessions, msg_id).status, _row(sessions, msg_id).attempts) == ("dead", 1)


def test_a_double_confirm_is_delivered_once(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    worker = _worker(sessions, crm_config(receiver.url), clock)
    first = _confirm(sessions, seed, clock)
    assert _confirm(sessions, seed, clock) == first
    assert worker.run_once().delivered == 1
    assert _confirm(sessions, seed, clock) == first  # even after delivery: not sent again
    assert worker.run_once() == DeliveryCounts()
    assert len(receiver.requests) == 1


class _CrashAfterSend:
    """Posts for real, then the process "dies" before the outcome is written down."""

    def __init__(self, sender: WebhookSender) -> None:
        self._sender = sender

    def deliver(self, message: OutboxMessage, now: datetime) -> Any:
        self._sender.deliver(message, now)
        raise _Crash


class _Crash(BaseException):  # not an Exception: nothing on the way catches it, like SIGKILL
    pass


def test_a_message_resent_after_a_crash_has_one_effect(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url)
    msg_id = _confirm(sessions, seed, clock)
    crashing = DeliveryWorker(
        sessions, config, sink=_CrashAfterSend(WebhookSender(config)), clock=clock
    )
    with pytest.raises(_Crash):
        crashing.run_once()
    assert len(receiver.effects) == 1
    row = _row(sessions, msg_id)
    assert (row.status, row.attempts) == ("pending", 0)  # never marked: the outcome was lost

    restarted = _worker(sessions, config, clock)
    assert restarted.run_once() == DeliveryCounts()  # still under the dead worker's lease
    clock.advance(config.claim_lease_s)
    assert restarted.run_once().delivered == 1

    assert [r.msg_id for r in receiver.requests] == [msg_id, msg_id]  # the same webhook-id
    assert len(receiver.effects) == 1 and receiver.state.duplicates == 1
    assert _row(sessions, msg_id).status == "delivered"


def test_key_rotation_receiver_knowing_only_the_new_secret_verifies(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    # The receiver fixture knows only SECRET; we sign with the old one and the new one.
    config = crm_config(receiver.url, secrets=[OLD_SECRET, SECRET])
    msg_id = _confirm(sessions, seed, clock)
    assert _worker(sessions, config, clock).run_once().delivered == 1
    (request,) = receiver.requests
    assert request.verified and len(request.headers["webhook-signature"].split()) == 2
    assert list(receiver.effects) == [msg_id]


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(receiver.url, secrets=[OLD_SECRET])
    msg_id = _confirm(sessions, seed, clock)
    assert _worker(sessions, config, clock).run_once().retrying == 1
    assert not receiver.requests[0].verified and receiver.effects == {}
    assert _row(sessions, msg_id).last_status_code == 401  # 4xx: retried (see sender.classify)


def test_without_a_webhook_url_nothing_is_sent_and_the_status_says_why(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    config = crm_config(None)
    msg_id = _confirm(sessions, seed, clock)
    assert _worker(sessions, config, clock).run_once() == DeliveryCounts()
    assert receiver.requests == []
    with sessions() as session:
        status = outbox.status_of(session, seed.call_id, config=config)
    assert status is not None and (status.id, status.status) == (msg_id, "pending")
    assert status.reason and "COPILOT_CRM__WEBHOOK_URL" in status.reason

    # Configured later, the queued confirmation goes out; nothing was dropped meanwhile.
    clock.advance(timedelta(days=2).total_seconds())
    assert _worker(sessions, crm_config(receiver.url), clock).run_once().delivered == 1
    assert list(receiver.effects) == [msg_id]
