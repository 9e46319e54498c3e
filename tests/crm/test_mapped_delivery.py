"""A CRM mapping's requests go out in order, each signed with its own idempotency key; a
failure stops the series and the retry resumes at the failed request (real receiver)."""

from __future__ import annotations

import json
import random

from sqlalchemy.orm import Session, sessionmaker

from copilot.crm import outbox
from copilot.crm.models import SUMMARY_CONFIRMED
from copilot.crm.worker import DeliveryWorker
from copilot.store.models import CrmOutbox
from tests.crm.conftest import FakeClock, Seed, crm_config
from tests.crm.receiver import Receiver

REQUESTS = [
    {"method": "POST", "path": "/crm/v3/objects/notes", "body": {"properties": {"a": "纪要"}}},
    {"method": "POST", "path": "/crm/v3/objects/tasks", "body": {"properties": {"b": 1}}},
    {"method": "PATCH", "path": "/crm/v3/objects/deals/42", "body": {"properties": {"c": 2}}},
]


def test_a_failed_request_is_retried_without_resending_the_accepted_ones(
    sessions: sessionmaker[Session], seed: Seed, clock: FakeClock, receiver: Receiver
) -> None:
    base = receiver.url.rsplit("/hooks", 1)[0]
    with sessions() as session, session.begin():
        row = outbox.enqueue(
            session,
            seed.org_id,
            seed.call_id,
            SUMMARY_CONFIRMED,
            {"requests": REQUESTS, "base_url": base},
            target="hubspot",
            now=clock(),
        )
        msg_id = row.id
        assert outbox.to_status(row, crm_config(receiver.url)).steps == 3
    worker = DeliveryWorker(sessions, crm_config(receiver.url), clock=clock, rng=random.Random(1))
    receiver.answer_next(201, 503)  # the notes are created; the task fails once
    first = worker.run_once()
    assert first.retrying == 1
    with sessions() as session:
        stored = session.get(CrmOutbox, msg_id)
        assert stored is not None and stored.steps_done == 1 and stored.status == "pending"
        assert stored.last_error is not None and stored.last_error.startswith("request 2 of 3")
        clock.moment = outbox._utc(stored.next_attempt_at)
    second = worker.run_once()
    assert second.delivered == 1
    assert receiver.state.methods == [
        ("POST", "/crm/v3/objects/notes"),
        ("POST", "/crm/v3/objects/tasks"),
        ("POST", "/crm/v3/objects/tasks"),
        ("PATCH", "/crm/v3/objects/deals/42"),
    ]
    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert keys == [f"{msg_id}:0", f"{msg_id}:1", f"{msg_id}:1", f"{msg_id}:2"]
    assert all(r.verified for r in receiver.requests)  # signed like a webhook
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert bodies[0] == REQUESTS[0]["body"] and "纪要".encode() in receiver.requests[0].body
    with sessions() as session:
        stored = session.get(CrmOutbox, msg_id)
        assert stored is not None and stored.status == "delivered" and stored.steps_done == 3
