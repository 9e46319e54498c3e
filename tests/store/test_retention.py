"""Retention: ``copilot purge`` deletes old recordings, transcripts and message texts,
audited with counts only; afterwards no personal number is left in any column and the
audit chain still verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import JSON, String, Text, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from compliance.detectors.pii import id_check_char
from copilot.commands import privacy
from copilot.privacy import pii_key, refs_for
from copilot.settings import get_settings
from copilot.store import audit, repo, scorecards
from copilot.store.db import make_engine, session_factory
from copilot.store.errors import InvalidInput
from copilot.store.models import (
    AuditRecord,
    Base,
    Call,
    Flag,
    FollowUp,
    ScorecardResult,
    Segment,
    utcnow,
)
from copilot.store.retention import cutoff_for, erase_number, purge_org, retention_days

from .conftest import World

OLD_PHONE, NEW_PHONE = "13912345678", "15800001111"
ID_CARD = "11010519491231002" + id_check_char("11010519491231002")


def _call_with_pii(s: Session, world: World, phone: str, days_ago: int, uploads: Path) -> str:
    when = utcnow() - timedelta(days=days_ago)
    call = repo.create_call(
        s, org_id=world.org.id, rep_id=world.rep_a1.id, source="stream", status="ended",
        started_at=when,
    )  # fmt: skip
    said = f"客户王总手机{phone}，身份证{ID_CARD}"
    repo.add_segment(s, call.id, segment_id="s1", speaker="rep", start=0, end=2, text=said)
    repo.add_insight(s, call.id, "s1", {"needs": [said]})
    repo.append_event(s, call.id, 1, "transcript.final", {"text": said})
    repo.update_call(s, call, summary={"notes": said})  # also scores the call
    rows = {row.item_key: row for row in scorecards.card(s, call).results}
    # The words quoted as an item's evidence, and a dispute that repeats the number.
    rows["budget"].evidence_segment_id, rows["budget"].evidence_text = "s1", said
    scorecards.dispute(s, call, world.who(world.rep_a1), "self_intro", f"说了，号码 {phone}")
    task = FollowUp(id=f"fu-{call.id}", org_id=world.org.id, call_id=call.id,
                    rep_id=world.rep_a1.id, subject=f"回电 {phone}", owner="rep")  # fmt: skip
    task.evidence = said
    s.add(task)
    start = said.index(phone)
    flag = repo.add_flag(
        s, org_id=world.org.id, rep_id=world.rep_a1.id, source="speech", text=said,
        rule_id="privacy.mobile_number", category="privacy", severity="high",
        start=start, end=start + 11, match=phone, call_id=call.id, segment_id="s1",
    )  # fmt: skip
    repo.set_flag_status(s, world.who(world.rep_a1), flag.id, "overridden", f"客户给的 {phone}")
    flag.created_at = when
    (uploads / f"{call.id}.wav").write_bytes(b"RIFF")
    return call.id


def _raw_pii_anywhere(s: Session, values: tuple[str, ...]) -> list[str]:
    """Every text or JSON column of every table that still holds one of ``values``."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            for cell in s.execute(select(column)).scalars():
                dumped = json.dumps(cell, ensure_ascii=False) if cell is not None else ""
                found += [f"{table.name}.{column.name}" for v in values if v in dumped]
    return found


def test_purge_deletes_old_content_and_leaves_no_personal_data(
    db_session: Session, world: World, tmp_path: Path
) -> None:
    s = db_session
    old = _call_with_pii(s, world, OLD_PHONE, 40, tmp_path)
    new = _call_with_pii(s, world, NEW_PHONE, 1, tmp_path)
    s.commit()
    assert _raw_pii_anywhere(s, (OLD_PHONE,))  # the store holds it before the purge
    before = audit.count_records(s, world.org.id)

    dry = purge_org(s, world.org.id, cutoff_for(30), dry_run=True, upload_root=tmp_path)
    assert (dry.calls, dry.segments, dry.insights, dry.events, dry.flags) == (1, 1, 1, 1, 1)
    assert dry.recordings == 1
    assert audit.count_records(s, world.org.id) == before and (tmp_path / f"{old}.wav").exists()

    done = purge_org(s, world.org.id, cutoff_for(30), older_than_days=30, upload_root=tmp_path)
    s.commit()
    assert done == dry
    assert not (tmp_path / f"{old}.wav").exists() and (tmp_path / f"{new}.wav").exists()
    assert repo.list_segments(s, old) == [] and len(repo.list_segments(s, new)) == 1
    assert _raw_pii_anywhere(s, (OLD_PHONE,)) == []
    assert _raw_pii_anywhere(s, (NEW_PHONE,))  # within retention: untouched
    record = s.scalars(audit.audit_query(world.org.id).limit(1)).one()
    assert record.action == "data.purged" and record.detail["segments"] == 1
    assert OLD_PHONE not in json.dumps(record.detail)
    flag = s.scalars(select(Flag).where(Flag.call_id == old)).one()
    assert flag.redacted_at is not None and flag.match == "139****5678" and flag.text == ""
    assert s.get(Call, old).purged_at is not None  # type: ignore[union-attr]
    kept = s.scalars(select(ScorecardResult).where(ScorecardResult.call_id == old)).all()
    assert kept and all(row.evidence_text is None for row in kept)  # pass/fail stays
    assert {row.item_key: row.dispute for row in kept}["self_intro"] == "open"
    assert s.get(FollowUp, f"fu-{old}").subject == "回电 139****5678"  # type: ignore[union-attr]
    # Purging again finds nothing new; purging everything leaves no number at all.
    assert purge_org(s, world.org.id, cutoff_for(30), dry_run=True).total() == 0
    purge_org(s, world.org.id, utcnow() + timedelta(seconds=1))
    s.commit()
    assert _raw_pii_anywhere(s, (OLD_PHONE, NEW_PHONE, ID_CARD, ID_CARD[:17])) == []
    assert s.scalar(select(Segment.id)) is None
    s.expire_all()
    assert audit.verify_chain(s, world.org.id).ok
    # And the chain was never edited: the triggers would have refused anyway.
    ids = [r.id for r in s.scalars(select(AuditRecord).where(AuditRecord.org_id == world.org.id))]
    assert len(ids) == audit.count_records(s, world.org.id) >= before + 2
    assert s.execute(text("SELECT 1")).scalar() == 1


def test_an_erasure_request_masks_one_number_everywhere(
    db_session: Session, world: World, tmp_path: Path
) -> None:
    s = db_session
    _call_with_pii(s, world, OLD_PHONE, 1, tmp_path)
    _call_with_pii(s, world, NEW_PHONE, 1, tmp_path)
    s.commit()
    with pytest.raises(InvalidInput):
        erase_number(s, world.org.id, "不是号码")
    changed = erase_number(s, world.org.id, "139-1234-5678", actor=world.who(world.admin))
    s.commit()
    # The segment, insight, event, summary (call), flag, scorecard rows and follow-up of one call.
    assert changed == 8
    assert _raw_pii_anywhere(s, (OLD_PHONE,)) == []
    assert _raw_pii_anywhere(s, (NEW_PHONE,))  # someone else's number stays
    record = s.scalars(audit.audit_query(world.org.id).limit(1)).one()
    assert record.action == "data.erased"
    assert record.detail["subject"] == refs_for(OLD_PHONE, pii_key())[0]
    assert audit.verify_chain(s, world.org.id).ok


def test_an_orgs_policy_overrides_the_service_default(db_session: Session, world: World) -> None:
    assert retention_days(world.org, 365) == 365
    world.org.policy = {"retention_days": 90}
    assert retention_days(world.org, 365) == 90


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    monkeypatch.setenv("COPILOT_DATABASE__URL", db_url)
    monkeypatch.setenv("COPILOT_SERVICE__UPLOAD_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_copilot_purge_command(cli_db: str, tmp_path: Path) -> None:
    app = typer.Typer()
    privacy.register(app)
    app.command("noop")(lambda: None)  # two commands: typer keeps "purge" as a subcommand
    engine = make_engine(cli_db)
    try:
        with session_factory(engine).begin() as s:
            org = repo.create_org(s, "保留期公司")
            rep = repo.create_user(s, org.id, name="rep", email="r@example.cn", role="rep")
            call = repo.create_call(
                s, org_id=org.id, rep_id=rep.id, source="stream", status="ended",
                started_at=utcnow() - timedelta(days=10),
            )  # fmt: skip
            repo.add_segment(s, call.id, segment_id="s1", speaker="rep", start=0, end=1,
                             text=f"手机{OLD_PHONE}")  # fmt: skip
            org_id = org.id
        runner = CliRunner()
        dry = runner.invoke(app, ["purge", "--org", org_id, "--older-than", "7", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        line = json.loads(dry.stdout.strip().splitlines()[-1])
        assert (line["segments"], line["dry_run"], line["older_than_days"]) == (1, True, 7)
        kept = runner.invoke(app, ["purge", "--org", org_id, "--older-than", "30"])
        assert json.loads(kept.stdout.strip())["segments"] == 0
        done = runner.invoke(app, ["purge", "--org", org_id, "--older-than", "7"])
        assert done.exit_code == 0 and json.loads(done.stdout.strip())["segments"] == 1
        with session_factory(engine)() as s:
            assert repo.list_segments(s, call.id) == []
            actions = [r.action for r in s.scalars(audit.audit_query(org_id))]
            assert actions.count("data.purged") == 2 and audit.verify_chain(s, org_id).ok
    finally:
        engine.dispose()
