"""The outbox on a real SQLite file: idempotent enqueue, back-off, dead letter, status."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from copilot.crm import outbox
from copilot.crm.errors import OutboxError
from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.store.models import CrmOutbox
from tests.crm.conftest import FakeClock, Seed, add_call, crm_config, summary_payload


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(CrmOutbox)) or 0)


def test_enqueue_twice_returns_the_same_message(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock
) -> None:
    ids = []
    for _ in range(2):  # a double click on "confirm", two requests, two transactions
        with sessions() as session, session.begin():
            row = outbox.enqueue(
                session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, summary_payload(seed)
            )
            ids.append(row.id)
    assert ids[0] == ids[1] and ids[0].startswith("msg_")
    assert _count(sessions) == 1
    # Another event type, or another call, is another message.
    call_2 = add_call(sessions, seed.org_id, seed.rep_id)
    with sessions() as session, session.begin():
        other = outbox.enqueue(session, seed.org_id, seed.call_id, "call.note.added", {"n": 1})
        third = outbox.enqueue(session, seed.org_id, call_2, SUMMARY_CONFIRMED, {"n": 2})
    assert len({ids[0], other.id, third.id}) == 3


def test_concurrent_confirms_queue_one_message(sessions: sessionmaker[Session], seed: Seed) -> None:
    start = threading.Barrier(6)
    ids: list[str] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        try:
            start.wait()
            with sessions() as session, session.begin():
                row = outbox.enqueue(
                    session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, {"x": "确认"}
                )
                ids.append(row.id)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 1 and _count(sessions) == 1


def test_payload_must_be_json(sessions: sessionmaker[Session], seed: Seed) -> None:
    with sessions() as session, pytest.raises(OutboxError, match="not JSON"):
        outbox.enqueue(session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, {"at": object()})


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    config = crm_config("http://127.0.0.1:9/h", backoff_base_s=2, backoff_max_s=100, jitter=0.2)
    rng = random.Random(7)
    for failures, nominal in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 64), (7, 100)]:
        delays = [outbox.backoff_delay_s(config, failures, rng) for _ in range(50)]
        assert all(nominal * 0.8 <= d <= nominal * 1.2 for d in delays)
        assert max(delays) - min(delays) > 0  # jitter really spreads retries
    assert config.nominal_delay_s(60) == 100  # capped, no overflow


def test_failures_schedule_then_dead_then_manual_retry(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock
) -> None:
    config = crm_config("http://127.0.0.1:9/h", max_attempts=3, backoff_base_s=10)
    with sessions() as session, session.begin():
        msg_id = outbox.enqueue(
            session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, {}, now=clock()
        ).id
    expected_gaps = [10, 20]
    for attempt in (1, 2, 3):
        with sessions() as session, session.begin():
            row = outbox.mark_failed(
                session, msg_id, status_code=503, error="HTTP 503", now=clock(), config=config
            )
            if attempt < 3:
                gap = outbox._utc(row.next_attempt_at) - clock()
                assert gap == timedelta(seconds=expected_gaps[attempt - 1])
        with sessions() as session:
            status = outbox.status_of(session, seed.call_id, config=config)
        assert status is not None and status.attempts == attempt
        if attempt < 3:
            assert status.status == "pending"
            assert status.reason and f"attempt {attempt} of 3 failed (HTTP 503)" in status.reason
    assert status.status == "dead" and status.next_attempt_at is None
    assert status.reason and "gave up after 3 attempts" in status.reason
    with sessions() as session:
        assert outbox.due(session, clock() + timedelta(days=1), 10) == []

    # The same confirm again (or an admin) revives it: same webhook-id, a fresh series.
    with sessions() as session, session.begin():
        again = outbox.enqueue(session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, {})
        assert (again.id, again.status, again.attempts) == (msg_id, "pending", 0)
    with sessions() as session, session.begin():
        outbox.mark_delivered(session, msg_id, status_code=200, now=clock())
    with sessions() as session, session.begin(), pytest.raises(OutboxError, match="already"):
        outbox.retry_dead(session, msg_id)
    with sessions() as session, session.begin(), pytest.raises(OutboxError, match="no CRM"):
        outbox.retry_dead(session, "msg_unknown")


def test_gone_is_dead_at_once_and_retry_after_is_honoured(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock
) -> None:
    config = crm_config("http://127.0.0.1:9/h", backoff_base_s=2)
    with sessions() as session, session.begin():
        first = outbox.enqueue(session, seed.org_id, None, "t", {}, now=clock()).id
        second = outbox.enqueue(session, seed.org_id, None, "t", {}, now=clock()).id
    with sessions() as session, session.begin():
        row = outbox.mark_failed(
            session,
            first,
            status_code=429,
            error="HTTP 429",
            now=clock(),
            config=config,
            retry_after_s=120,
        )
        assert outbox._utc(row.next_attempt_at) - clock() == timedelta(seconds=120)
        gone = outbox.mark_failed(
            session,
            second,
            status_code=410,
            error="HTTP 410",
            now=clock(),
            config=config,
            gone=True,
        )
        assert (gone.status, gone.attempts) == ("dead", 1)
        reason = outbox.to_status(gone, config).reason
        assert reason is not None and "410 Gone" in reason


def test_claim_hides_rows_for_the_lease_and_release_hands_them_back(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        ids = {
            outbox.enqueue(session, seed.org_id, None, "t", {"i": i}, now=clock()).id
            for i in range(3)
        }
    with sessions() as session, session.begin():
        claimed = outbox.claim(session, clock(), limit=2, lease_s=300)
    assert len(claimed) == 2
    with sessions() as session, session.begin():
        # A second worker sees only the unclaimed one, until the lease ends.
        assert [m.id for m in outbox.claim(session, clock(), 10, 300)] == list(
            ids - {m.id for m in claimed}
        )
        assert outbox.claim(session, clock(), 10, 300) == []
        assert len(outbox.claim(session, clock() + timedelta(seconds=301), 10, 300)) == 3
    with sessions() as session, session.begin():
        assert outbox.release(session, sorted(ids), clock()) == 3
        assert len(outbox.due(session, clock(), 10)) == 3


def test_status_when_delivery_is_off_says_why(sessions: sessionmaker[Session], seed: Seed) -> None:
    with sessions() as session, session.begin():
        outbox.enqueue(session, seed.org_id, seed.call_id, SUMMARY_CONFIRMED, {})
    with sessions() as session:
        status = outbox.status_of(session, seed.call_id, config=crm_config(None))
        assert outbox.status_of(session, "no-such-call", config=crm_config(None)) is None
    assert status is not None and status.status == "pending"
    assert status.reason and "not configured" in status.reason


def test_concurrent_workers_never_claim_the_same_row(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock
) -> None:
    with sessions() as session, session.begin():
        for i in range(12):
            outbox.enqueue(session, seed.org_id, None, "t", {"i": i}, now=clock())
    start = threading.Barrier(6)
    claimed: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            with sessions() as session, session.begin():
                claimed.extend(m.id for m in outbox.claim(session, clock(), 3, 300))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(claimed) == len(set(claimed)) and len(claimed) >= 3


def test_postgres_skips_rows_another_worker_holds(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, db_backend: str
) -> None:
    if db_backend != "postgresql":
        pytest.skip("SQLite has no row locks; claim() relies on its conditional update there")
    with sessions() as session, session.begin():
        for i in range(3):
            outbox.enqueue(session, seed.org_id, None, "t", {"i": i}, now=clock())
    with sessions() as first, first.begin():
        held = {row.id for row in outbox.due(first, clock(), 2)}
        with sessions() as second, second.begin():
            others = {row.id for row in outbox.due(second, clock(), 10)}
    assert len(held) == 2 and len(others) == 1 and not held & others
