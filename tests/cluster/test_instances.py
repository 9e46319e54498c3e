"""Claims on live calls: one instance at a time, taken over only from a dead one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from copilot.service.instances import CallHeldElsewhere, InstanceRegistry
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Call, CallOwner, ServiceInstance, utcnow
from copilot.store.repo import ensure_demo_tenant
from copilot.store.tenants import DEMO_ORG_ID


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with factory.begin() as session:
        tenant = ensure_demo_tenant(session)
        for call_id in ("c1", "c2"):
            call = repo.create_call(
                session, org_id=tenant.org.id, rep_id=tenant.rep.id, source="stream",
                client_id=call_id,
            )  # fmt: skip
            call.status = "live"
    yield factory
    engine.dispose()


def registry(sessions: sessionmaker[Session], name: str) -> InstanceRegistry:
    instance = InstanceRegistry(sessions, instance_id=name, stale_s=15.0)
    instance.register()
    return instance


def claim(instance: InstanceRegistry, client_id: str) -> str | None:
    with instance.sessions.begin() as session:
        call = repo.find_call(session, DEMO_ORG_ID, client_id)
        assert call is not None
        return instance.claim(session, call)


def age_heartbeat(sessions: sessionmaker[Session], name: str, seconds: float) -> None:
    with sessions.begin() as session:
        session.execute(
            update(ServiceInstance)
            .where(ServiceInstance.id == name)
            .values(heartbeat_at=utcnow() - timedelta(seconds=seconds))
        )


def test_a_live_instance_keeps_its_call_and_a_dead_one_loses_it(
    sessions: sessionmaker[Session],
) -> None:
    one, two = registry(sessions, "one"), registry(sessions, "two")
    assert claim(one, "c1") is None
    assert claim(one, "c1") is None  # its own claim again: fine
    with pytest.raises(CallHeldElsewhere, match="streaming on instance"):
        claim(two, "c1")
    assert claim(two, "c2") is None  # another call: no conflict
    age_heartbeat(sessions, "one", 20)
    assert claim(two, "c1") == "one"  # taken over
    with pytest.raises(CallHeldElsewhere):
        claim(one, "c1")  # back from the dead, it cannot grab it again


def test_a_call_no_longer_live_may_move_even_if_its_instance_lives(
    sessions: sessionmaker[Session],
) -> None:
    one, two = registry(sessions, "one"), registry(sessions, "two")
    claim(one, "c1")
    with sessions.begin() as session:
        session.execute(update(Call).where(Call.client_id == "c1").values(status="interrupted"))
    assert claim(two, "c1") == "one"
    two.release(repo_id(sessions, "c1"))
    with sessions() as session:
        assert session.get(CallOwner, repo_id(sessions, "c1")) is None


def repo_id(sessions: sessionmaker[Session], client_id: str) -> str:
    with sessions() as session:
        call = repo.find_call(session, DEMO_ORG_ID, client_id)
        assert call is not None
        return call.id


def test_starting_an_instance_interrupts_only_orphaned_calls(
    sessions: sessionmaker[Session],
) -> None:
    one = registry(sessions, "one")
    claim(one, "c1")  # c2 is live with no instance holding it (its process crashed)
    three = registry(sessions, "three")
    with sessions.begin() as session:
        assert three.mark_orphaned_calls(session) == [repo_id(sessions, "c2")]
    age_heartbeat(sessions, "one", 20)
    with sessions.begin() as session:
        assert three.mark_orphaned_calls(session) == [repo_id(sessions, "c1")]
        assert session.get(CallOwner, repo_id(sessions, "c1")) is None


def test_a_retired_instance_leaves_no_claims(sessions: sessionmaker[Session]) -> None:
    one = registry(sessions, "one")
    claim(one, "c1")
    one.retire()
    with sessions() as session:
        assert session.get(ServiceInstance, "one") is None
        assert session.get(CallOwner, repo_id(sessions, "c1")) is None
    one.beat()  # a heartbeat after retiring puts the row back rather than failing
    with sessions() as session:
        assert session.get(ServiceInstance, "one") is not None
