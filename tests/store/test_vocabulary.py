"""An org's correction vocabulary in the store; what the recogniser heard kept per segment;
migration 0007 up and down (each on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from copilot.insights import Insights
from copilot.service.pipeline import FinalResult, StageTimes
from copilot.service.recorder import SqlCallRecorder, load_progress
from copilot.store import repo
from copilot.store.db import _alembic_config, make_engine, migrate, session_factory
from copilot.store.errors import InvalidInput, NotFound
from copilot.store.models import AuditRecord
from copilot.store.vocabulary import (
    VocabularyTerm,
    add_terms,
    list_terms,
    read_terms_file,
    remove_terms,
    vocabulary_version,
)
from speech.types import Segment


def test_terms_are_added_once_listed_per_org_and_removed(db_session: Session) -> None:
    s = db_session
    org, other = repo.create_org(s, "甲公司"), repo.create_org(s, "乙公司")
    empty = vocabulary_version(s, org.id)
    assert empty == (0, None)

    new = add_terms(s, org.id, [VocabularyTerm("慧销通", "product"), VocabularyTerm(" 孙建国 ")])
    assert new == ["慧销通", "孙建国"]
    added = vocabulary_version(s, org.id)
    assert added[0] == 2 and added[1] is not None and added[1].tzinfo is not None
    # A duplicate is no error and changes nothing (nor the version a service compares).
    assert add_terms(s, org.id, [VocabularyTerm("慧销通", "vendor")]) == []
    assert vocabulary_version(s, org.id) == added
    rows = list_terms(s, org.id)
    assert [(r.term, r.kind, r.source) for r in rows] == [
        ("慧销通", "product", "manual"),
        ("孙建国", "vocab", "manual"),
    ]
    assert list_terms(s, other.id) == []

    remove_terms(s, org.id, ["孙建国"])
    assert [r.term for r in list_terms(s, org.id)] == ["慧销通"]
    assert vocabulary_version(s, org.id)[0] == 1
    with pytest.raises(NotFound, match="no term 孙建国"):
        remove_terms(s, org.id, ["孙建国"])
    actions = s.scalars(select(AuditRecord.action).where(AuditRecord.org_id == org.id)).all()
    assert actions == ["org.vocabulary.added", "org.vocabulary.removed"]


@pytest.mark.parametrize(
    ("term", "kind", "message"),
    [
        ("  ", "vocab", "cannot be empty"),
        ("长" * 65, "vocab", "at most 64"),
        ("慧销通", "company", "kind must be one of"),
    ],
)
def test_bad_terms_are_refused(db_session: Session, term: str, kind: str, message: str) -> None:
    org = repo.create_org(db_session, "甲公司")
    with pytest.raises(InvalidInput, match=message):
        add_terms(db_session, org.id, [VocabularyTerm(term, kind)])  # type: ignore[arg-type]
    assert list_terms(db_session, org.id) == []


def test_an_unknown_org_is_named(db_session: Session) -> None:
    with pytest.raises(NotFound, match="no org"):
        add_terms(db_session, "nope", [VocabularyTerm("慧销通")])


def test_a_terms_file_is_read_as_lines_or_csv(tmp_path: Path) -> None:
    good = tmp_path / "terms.csv"
    good.write_text("# 产品\n慧销通,product\n\n孙建国,person\n云帆软件\n", encoding="utf-8")
    assert read_terms_file(good) == [
        VocabularyTerm("慧销通", "product"),
        VocabularyTerm("孙建国", "person"),
        VocabularyTerm("云帆软件", "vocab"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"慧销通,company\n,\n{'长' * 70}\n好,vocab,x\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        read_terms_file(bad)
    message = str(raised.value)
    assert "3 problem(s)" in message
    assert f"{bad}:1: kind must be one of" in message
    assert f"{bad}:3: term" in message and f"{bad}:4: 3 columns" in message


def test_what_was_heard_and_who_spoke_are_stored_and_restored(db_session: Session) -> None:
    s = db_session
    org = repo.create_org(s, "甲公司")
    rep = repo.create_user(s, org.id, name="李", email="l@a.example", role="rep")
    call = repo.create_call(s, org_id=org.id, rep_id=rep.id, source="upload")
    s.commit()
    heard = Segment(
        id="seg-0001",
        start=0.0,
        end=2.0,
        speaker="customer",
        text="我们打算上慧销通",
        raw_text="我们打算上会销通",
        speaker_source="inferred",
        speaker_confidence=0.82,
    )
    sessions = session_factory(s.get_bind())  # type: ignore[arg-type]
    recorder = SqlCallRecorder(sessions, org.id, rep.id)
    recorder.record_final(call.id, FinalResult(heard, [], Insights(), [], StageTimes()), [])
    row = repo.list_segments(s, call.id)[0]
    assert (row.raw_text, row.speaker_source, row.speaker_confidence) == (
        "我们打算上会销通",
        "inferred",
        0.82,
    )
    # A resumed call continues with the segments exactly as they were heard.
    assert load_progress(s, call.id)[0] == [heard]


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_migration_0007_up_and_down(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        migrate(engine)
        assert "org_vocabulary" in inspect(engine).get_table_names()
        heard = {"raw_text", "speaker_source", "speaker_confidence"}
        assert heard <= _columns(engine, "segments")
        with engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "0006")
        assert "org_vocabulary" not in inspect(engine).get_table_names()
        assert not heard & _columns(engine, "segments")
        migrate(engine)
        assert heard <= _columns(engine, "segments")
    finally:
        engine.dispose()
