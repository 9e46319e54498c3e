"""A batch stores each recording once, a rerun does nothing, a crash loses nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from copilot.batch import runs
from copilot.batch.pools import InlinePool
from copilot.batch.runner import MAX_ATTEMPTS, Owner, prepare, run_batch
from copilot.batch.sources import read_source
from copilot.batch.worker import TranscribeJob, TranscribeResult
from copilot.store.errors import StoreError
from copilot.store.models import BatchItem, Call, CallEvent, Segment
from speech.engine import SpeechEngine
from tests.batch.conftest import Store


class RecordingPool(InlinePool):
    """The real in-process recognition, remembering which items it was given."""

    def __init__(self, engine: SpeechEngine) -> None:
        super().__init__(engine)
        self.jobs: list[int] = []

    def submit(self, job: TranscribeJob) -> None:
        self.jobs.append(job.item_id)
        super().submit(job)


class Crash(Exception):
    pass


class CrashingPool(RecordingPool):
    """Dies (like a killed driver) when asked for results the second time: the results
    of the first two jobs are stored, the job submitted after them is left in flight."""

    calls = 0

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        self.calls += 1
        if self.calls == 2:
            raise Crash
        return super().results(timeout_s)


def start(store: Store, folder: Path) -> str:
    return prepare(store.sessions, folder, read_source(folder), Owner(), "test")


def calls_by_content(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as session:
        return Counter(c.audio_format["sha256"] for c in session.scalars(select(Call)))


def stored_rows(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    """(calls, segments, summary events): any of them twice shows here."""
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Call)) or 0,
            session.scalar(select(func.count()).select_from(Segment)) or 0,
            session.scalar(
                select(func.count()).select_from(CallEvent).where(CallEvent.type == "call.summary")
            )
            or 0,
        )


def test_each_recording_is_stored_once_and_a_rerun_does_nothing(
    store: Store, recordings: Path, speech_engine: SpeechEngine
) -> None:
    # The same recording under another name is the same call.
    (recordings / "copy_of_clip0.wav").write_bytes((recordings / "clip0.wav").read_bytes())
    run_id = start(store, recordings)
    counts = run_batch(store.state, run_id, RecordingPool(speech_engine))
    assert counts.by_status == {"done": 3, "duplicate": 1}
    assert counts.audio_s == pytest.approx(3 * 0.4 * 16.29, abs=0.2)
    assert set(calls_by_content(store.sessions).values()) == {1}
    with store.sessions() as session:
        for call in session.scalars(select(Call)):
            assert call.status == "ended" and call.summary is not None
            assert call.summary["transcript"], "each clip has speech"
    before = stored_rows(store.sessions)
    assert before[0] == 3 and before[2] == 3

    again = RecordingPool(speech_engine)
    assert start(store, recordings) == run_id  # the same source continues its run
    assert run_batch(store.state, run_id, again).by_status == counts.by_status
    assert again.jobs == []
    assert stored_rows(store.sessions) == before

    # Another source naming the same files: recognised as already stored, not analysed.
    manifest = recordings.parent / "manifest.csv"
    manifest.write_text("path\n" + "\n".join(str(p) for p in sorted(recordings.iterdir())))
    other = RecordingPool(speech_engine)
    counts = run_batch(store.state, start(store, manifest), other)
    assert counts.by_status == {"duplicate": 4}
    assert other.jobs == []
    assert stored_rows(store.sessions) == before


def test_a_crash_loses_nothing_and_redoes_nothing_done(
    store: Store, recordings: Path, speech_engine: SpeechEngine
) -> None:
    run_id = start(store, recordings)
    crashing = CrashingPool(speech_engine)
    with pytest.raises(Crash):
        run_batch(store.state, run_id, crashing)
    with store.sessions() as session:
        assert runs.counts(session, run_id).by_status == {"done": 2, "running": 1}
        finished = session.scalar(select(BatchItem).where(BatchItem.status == "done"))
        assert finished is not None
    # And one stored completely whose own mark was lost (a crash between the two commits).
    with store.sessions.begin() as session:
        session.execute(
            update(BatchItem).where(BatchItem.id == finished.id).values(status="running")
        )

    resumed = RecordingPool(speech_engine)
    counts = run_batch(store.state, run_id, resumed)
    assert counts.by_status == {"done": 3}
    assert finished.id not in resumed.jobs  # its call was complete: not recognised again
    assert len(resumed.jobs) == 1  # the one in flight at the crash
    assert set(calls_by_content(store.sessions).values()) == {1}
    calls, _, summaries = stored_rows(store.sessions)
    assert calls == summaries == 3
    with store.sessions() as session:
        assert {c.status for c in session.scalars(select(Call))} == {"ended"}


def test_a_malformed_recording_fails_with_its_reason_and_the_batch_goes_on(
    store: Store, recordings: Path, speech_engine: SpeechEngine
) -> None:
    (recordings / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all")
    run_id = start(store, recordings)
    counts = run_batch(store.state, run_id, RecordingPool(speech_engine))
    assert counts.by_status == {"done": 3, "failed": 1}
    with store.sessions() as session:
        item = session.scalar(select(BatchItem).where(BatchItem.status == "failed"))
        assert item is not None and item.path.endswith("broken.wav")
        assert item.error and "audio" in item.error
        call = session.get(Call, item.call_id)
        assert call is not None and call.status == "failed"
        assert call.audio_format["error"] == item.error


class LosingPool:
    """A pool whose worker dies on every job (the recording that crashes its worker)."""

    name, slots, ships_audio = "losing", 1, False

    def __init__(self) -> None:
        self.jobs: list[int] = []

    def submit(self, job: TranscribeJob) -> None:
        self.jobs.append(job.item_id)

    def results(self, timeout_s: float) -> list[TranscribeResult]:
        lost = [
            TranscribeResult(i, None, error="a worker process died", lost=True) for i in self.jobs
        ]
        self.jobs.clear()
        return lost

    def close(self, *, cancel: bool = False) -> None:
        pass


def test_a_recording_that_keeps_killing_its_worker_is_given_up_on(
    store: Store, recordings: Path
) -> None:
    for extra in list(recordings.iterdir())[1:]:
        extra.unlink()
    run_id = start(store, recordings)
    counts = run_batch(store.state, run_id, LosingPool())
    assert counts.by_status == {"failed": 1}
    with store.sessions() as session:
        item = session.scalars(select(BatchItem)).one()
        assert item.attempts == MAX_ATTEMPTS
        assert item.error and "worker process died" in item.error


def test_a_row_naming_an_unknown_rep_stops_the_batch_before_anything_is_planned(
    store: Store, recordings: Path
) -> None:
    manifest = recordings.parent / "calls.csv"
    manifest.write_text(f"path,rep\n{recordings / 'clip0.wav'},nobody@demo.example\n")
    with pytest.raises(StoreError, match="nobody@demo.example"):
        start(store, manifest)
    with store.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BatchItem)) == 0
