"""Fixtures for CRM delivery: a real SQLite file, a real local receiver, a movable clock."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from copilot.crm.config import CrmConfig
from copilot.store.db import session_factory
from copilot.store.models import Call, Org, User, new_id
from tests.crm.receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"sales-copilot-test-secret-32byte").decode()
OLD_SECRET = "an-old-plain-secret"


@dataclass
class FakeClock:
    """The worker's clock: tests move it to a row's next attempt instead of sleeping."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)

    def unix(self) -> float:
        return self.moment.timestamp()


@dataclass(frozen=True)
class Seed:
    org_id: str
    rep_id: str
    call_id: str


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    # The store's fixture: the service's own engine on a fresh, migrated database, once on a
    # SQLite file and once on a throwaway PostgreSQL (where FOR UPDATE SKIP LOCKED is real).
    return session_factory(db_engine)


def add_call(sessions: sessionmaker[Session], org_id: str, rep_id: str) -> str:
    with sessions() as session, session.begin():
        call = Call(id=new_id(), org_id=org_id, rep_id=rep_id, source="stream", status="ended")
        session.add(call)
    return call.id


@pytest.fixture
def seed(sessions: sessionmaker[Session]) -> Seed:
    with sessions() as session, session.begin():
        org = Org(id=new_id(), name="华东制造")
        rep = User(id=new_id(), org_id=org.id, name="王磊", email="wang@example.cn", role="rep")
        session.add_all([org, rep])
    return Seed(org.id, rep.id, add_call(sessions, org.id, rep.id))


@pytest.fixture
def receiver(clock: FakeClock) -> Iterator[Receiver]:
    # It checks timestamps against the same clock the worker signs with.
    crm = Receiver([SECRET], now=clock.unix)
    crm.start()
    yield crm
    crm.stop()


def crm_config(url: str | None, **overrides: Any) -> CrmConfig:
    options: dict[str, Any] = {
        "webhook_url": url,
        "secrets": [SecretStr(SECRET)] if url else [],
        "timeout_s": 0.5,
        "jitter": 0.0,
        "backoff_base_s": 60.0,
        "backoff_max_s": 3600.0,
        "poll_interval_s": 0.05,
    }
    options.update(overrides)
    return CrmConfig(**options)


def summary_payload(seed: Seed) -> dict[str, Any]:
    """A confirmed CallSummary as the service sends it, Chinese text included."""
    return {
        "call_id": seed.call_id,
        "duration_s": 612.4,
        "summary_text": "客户预算三十万到五十万，李总（财务总监）拍板；担心实施周期。",
        "budget": {
            "amount_min": 300000,
            "amount_max": 500000,
            "currency": "CNY",
            "period": "year",
            "evidence": {"segment_id": "seg-0007", "text": "预算大概三五十万吧"},
        },
        "decision_chain": [{"name": "李总", "role": "财务总监"}],
        "pain_points": [],
        "objections": [{"type": "price", "text": "比纷享销客贵了不少"}],
        "competitors": [{"name": "纷享销客"}],
        "commitments": [{"who": "rep", "what": "发报价单", "due": "明天下午"}],
        "transcript": [],
        "compliance_flags": [],
        "org_id": seed.org_id,
        "rep_id": seed.rep_id,
        "confirmed_by": seed.rep_id,
        "confirmed_at": "2025-03-04T08:30:00Z",
    }
