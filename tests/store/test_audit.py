"""The audit trail: chained per org, verified end to end, append-only in the database,
and tampering that gets past the triggers is still found."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from copilot.auth import Principal
from copilot.store import audit, repo
from copilot.store.db import session_factory
from copilot.store.models import AuditRecord, Org


@pytest.fixture
def org(db_session: Session) -> Org:
    made = repo.create_org(db_session, "审计公司")
    db_session.commit()
    return made


def _append(s: Session, org_id: str, n: int) -> list[AuditRecord]:
    return [
        audit.append(
            s, org_id, None, "flag.created", "flag", f"f{i}", {"i": i, "文本": "保证", "x": 0.1}
        )
        for i in range(n)
    ]


def _drop_triggers(s: Session) -> None:
    """What an attacker with DDL rights does first."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_records_chain_from_genesis_and_verify(db_session: Session, org: Org) -> None:
    s = db_session
    records = _append(s, org.id, 5)
    s.commit()
    assert records[0].prev_hash == audit.GENESIS_HASH
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    s.expire_all()  # verify what the database holds, not what is cached
    report = audit.verify_chain(s, org.id)
    assert report.ok and report.count == 5 and report.head_hash == records[-1].hash
    assert audit.count_records(s, org.id) == 5
    assert [r.subject_id for r in audit.recent(s, org.id, 2)] == ["f4", "f3"]
    shown = audit.record_json(audit.recent(s, org.id, 1)[0])
    assert shown["detail"] == {"i": 4, "文本": "保证", "x": 0.1}
    assert shown["hash"] == report.head_hash


def test_each_org_has_its_own_chain(db_session: Session, org: Org) -> None:
    other = repo.create_org(db_session, "另一家")
    _append(db_session, org.id, 2)
    first_other = _append(db_session, other.id, 1)[0]
    assert first_other.prev_hash == audit.GENESIS_HASH
    assert audit.verify_chain(db_session, other.id).count == 1
    assert audit.verify_chain(db_session, "no-such-org") == audit.ChainReport(
        ok=True, count=0, head_hash=audit.GENESIS_HASH
    )


def test_actors_are_named_by_principal_or_by_id_and_role(db_session: Session, org: Org) -> None:
    s = db_session
    manager = Principal(org_id=org.id, user_id="u-m", role="manager")
    by_principal = audit.append(s, org.id, manager, "flag.resolved", "flag", "f1", {})
    by_fields = audit.append(
        s, org.id, action="call.confirmed", subject_type="call", subject_id="c1",
        actor_id="u-r", actor_role="rep",
    )  # fmt: skip
    assert (by_principal.actor_id, by_principal.actor_role) == ("u-m", "manager")
    assert (by_fields.actor_id, by_fields.actor_role) == ("u-r", "rep")
    with pytest.raises(ValueError, match="cannot write"):
        audit.append(s, org.id, manager.model_copy(update={"org_id": "x"}), "a", "b", "c")
    with pytest.raises(ValueError, match="needs an action"):
        audit.append(s, org.id, manager)
    with pytest.raises(ValueError):
        audit.append(s, org.id, None, "a", "b", "c", {"bad": float("nan")})


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'flag.deleted'",
        "DELETE FROM audit_log",
    ],
)
def test_the_database_refuses_updates_and_deletes(
    db_engine: Engine, org: Org, statement: str
) -> None:
    sessions = session_factory(db_engine)
    with sessions.begin() as s:
        _append(s, org.id, 2)
    with sessions() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text(statement))
        s.rollback()
        if db_engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE
            with pytest.raises(DBAPIError, match="append-only"):
                s.execute(text("TRUNCATE audit_log CASCADE"))
            s.rollback()
        assert audit.verify_chain(s, org.id).count == 2


def test_an_edit_behind_the_triggers_back_is_found(db_session: Session, org: Org) -> None:
    s = db_session
    records = _append(s, org.id, 4)
    s.commit()
    _drop_triggers(s)
    s.execute(
        text("UPDATE audit_log SET subject_id = 'someone-else' WHERE id = :id"),
        {"id": records[1].id},
    )
    s.commit()
    s.expire_all()
    report = audit.verify_chain(s, org.id)
    assert not report.ok
    assert (report.first_broken_id, report.count) == (records[1].id, 4)
    assert report.reason == "content does not match its hash"


def test_a_deleted_record_breaks_the_next_link(db_session: Session, org: Org) -> None:
    s = db_session
    records = _append(s, org.id, 4)
    s.commit()
    _drop_triggers(s)
    s.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": records[1].id})
    s.commit()
    s.expire_all()
    report = audit.verify_chain(s, org.id)
    assert (report.ok, report.first_broken_id, report.count) == (False, records[2].id, 3)


def test_a_recomputed_hash_still_breaks_the_chain(db_session: Session, org: Org) -> None:
    """An attacker who rewrites a record and its own hash must rewrite every later one."""
    s = db_session
    records = _append(s, org.id, 3)
    s.commit()
    _drop_triggers(s)
    target = records[0]
    forged = dict(audit._fields(target), subject_id="forged")
    s.execute(
        text("UPDATE audit_log SET subject_id = 'forged', hash = :h WHERE id = :id"),
        {"h": audit.record_hash(target.prev_hash, forged), "id": target.id},
    )
    s.commit()
    s.expire_all()
    report = audit.verify_chain(s, org.id)
    assert (report.ok, report.first_broken_id) == (False, records[1].id)


def test_appends_in_one_transaction_link_to_what_is_really_there(
    db_engine: Engine, org: Org
) -> None:
    """A transaction remembers its chain's head between appends (it holds the chain's lock):
    never past a savepoint rolled back, nor into its next transaction, where another writer
    may have appended in between."""
    sessions = session_factory(db_engine)
    with sessions() as s:
        (first,) = _append(s, org.id, 1)
        with s.begin_nested() as savepoint:
            (undone,) = _append(s, org.id, 1)
            savepoint.rollback()
        (second,) = _append(s, org.id, 1)
        assert second.prev_hash == first.hash != undone.hash
        s.commit()
        with sessions.begin() as other:  # another writer, between this session's transactions
            (elsewhere,) = _append(other, org.id, 1)
        (third,) = _append(s, org.id, 1)
        assert third.prev_hash == elsewhere.hash
        s.commit()
        s.expire_all()
        report = audit.verify_chain(s, org.id)
        assert report.ok and report.count == 4 and report.head_hash == third.hash


def test_concurrent_appends_never_fork_the_chain(db_engine: Engine, org: Org) -> None:
    sessions = session_factory(db_engine)
    workers, each = 4, 10
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(each):
                with sessions.begin() as s:
                    audit.append(s, org.id, None, "flag.created", "flag", f"w{worker}-{i}")
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with sessions() as s:
        report = audit.verify_chain(s, org.id)
        assert report.ok and report.count == workers * each
        prevs = s.scalars(select(AuditRecord.prev_hash).where(AuditRecord.org_id == org.id)).all()
        assert len(set(prevs)) == workers * each  # no two records share a predecessor
