"""Kept recordings in the store: the org's policy, the 录音告知 seen in a rep's line, an
analysed upload kept or deleted, and ``copilot purge`` deleting them past their period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from copilot.insights import Insights
from copilot.service.jobs import _keep_or_delete
from copilot.service.pipeline import FinalResult, StageTimes
from copilot.service.recorder import SqlCallRecorder
from copilot.store import recordings, repo
from copilot.store.db import session_factory
from copilot.store.models import Call, User, utcnow
from copilot.store.retention import purge_org
from speech.types import Segment

from .conftest import World


@pytest.mark.parametrize(
    ("line", "notice"),
    [
        ("您好，本次通话会被录音，请您知悉", True),
        ("提醒您一下，这通电话正在录音", True),
        ("我们的通话全程录音", True),
        ("您那边的录音设备坏了吗", False),
        ("我把会议纪要发您", False),
    ],
)
def test_the_recording_notice_phrases(line: str, notice: bool) -> None:
    assert recordings.is_notice(line) is notice


def _call(s: Session, rep: User, *, days_ago: int = 0, status: str = "ended") -> Call:
    return repo.create_call(
        s, org_id=rep.org_id, rep_id=rep.id, source="upload", status=status,  # type: ignore[arg-type]
        started_at=utcnow() - timedelta(days=days_ago),
    )  # fmt: skip


def test_the_first_rep_line_giving_the_notice_is_when_it_was_given(
    db_engine: Engine, world: World, db_session: Session
) -> None:
    call = _call(db_session, world.rep_a1)
    db_session.commit()
    recorder = SqlCallRecorder(session_factory(db_engine), call.org_id, call.rep_id)
    for i, (speaker, text) in enumerate(
        [
            ("customer", "本次通话会被录音吗"),
            ("rep", "是的，本次通话会被录音"),
            ("rep", "再说一次，正在录音"),
        ]
    ):
        segment = Segment(id=f"s{i}", start=10.0 * i, end=10.0 * i + 5, speaker=speaker, text=text)  # type: ignore[arg-type]
        recorder.record_final(call.id, FinalResult(segment, [], Insights(), [], StageTimes()), [])
    db_session.expire_all()
    stored = db_session.get(Call, call.id)
    assert stored is not None and stored.recording_notice_at == call.started_at + timedelta(
        seconds=10
    )


def test_an_analysed_upload_is_kept_only_when_the_org_keeps_recordings(
    db_engine: Engine, world: World, db_session: Session, tmp_path: Path
) -> None:
    kept, dropped = _call(db_session, world.rep_a1), _call(db_session, world.other_rep)
    world.org.policy = {"keep_recordings": True}
    db_session.commit()
    state = SimpleNamespace(
        sessions=session_factory(db_engine),
        settings=SimpleNamespace(service=SimpleNamespace(upload_dir=tmp_path / "uploads")),
    )
    (tmp_path / "uploads").mkdir()
    for call in (kept, dropped):
        (tmp_path / "uploads" / f"{call.id}.mp3").write_bytes(b"ID3 audio")
        _keep_or_delete(state, call.id, tmp_path / "uploads" / f"{call.id}.mp3")  # type: ignore[arg-type]
    db_session.expire_all()
    assert db_session.get(Call, kept.id).recording_path == f"{kept.id}.mp3"  # type: ignore[union-attr]
    assert (tmp_path / "uploads" / "recordings" / f"{kept.id}.mp3").read_bytes() == b"ID3 audio"
    assert db_session.get(Call, dropped.id).recording_path is None  # type: ignore[union-attr]
    assert not (tmp_path / "uploads" / f"{dropped.id}.mp3").exists()


def test_purge_deletes_recordings_past_their_own_period(
    db_session: Session, world: World, tmp_path: Path
) -> None:
    s = db_session
    world.org.policy = {"keep_recordings": True, "recording_retention_days": 30}
    root = recordings.ensure_root(tmp_path / "uploads" / "recordings")
    calls = {"old": _call(s, world.rep_a1, days_ago=40), "new": _call(s, world.rep_a1, days_ago=5)}
    for call in calls.values():
        (root / f"{call.id}.wav").write_bytes(b"RIFF")
        call.recording_path = f"{call.id}.wav"
    s.flush()
    cutoff = utcnow() - timedelta(days=365)  # transcripts are kept a year
    dry = purge_org(s, world.org.id, cutoff, dry_run=True, upload_root=tmp_path / "uploads")
    assert dry.recordings == 1 and (root / f"{calls['old'].id}.wav").exists()
    counts = purge_org(s, world.org.id, cutoff, upload_root=tmp_path / "uploads")
    assert counts.recordings == 1 and counts.calls == 0  # the transcript stays
    assert not (root / f"{calls['old'].id}.wav").exists() and calls["old"].recording_path is None
    assert (root / f"{calls['new'].id}.wav").exists() and calls["new"].recording_path is not None
    # A recording never outlives its transcript, whatever its own period says.
    world.org.policy = {"keep_recordings": True, "recording_retention_days": 3650}
    purge_org(s, world.org.id, utcnow(), upload_root=tmp_path / "uploads")
    assert not (root / f"{calls['new'].id}.wav").exists()


def test_a_stored_path_never_leaves_the_recordings_directory(tmp_path: Path) -> None:
    (tmp_path / "secret.wav").write_bytes(b"x")
    root = recordings.ensure_root(tmp_path / "recordings")
    for stored in ("../secret.wav", "/etc/passwd", "a/b.wav", "", None):
        assert recordings.resolve(root, stored) is None
