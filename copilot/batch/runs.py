"""Batch runs and their items in the store: what is planned, running, done or failed.

The rules that make a batch resumable and idempotent live here, each in one transaction:

- a source (folder or manifest) has one run; running it again continues that run and adds
  only recordings it has not seen (:func:`open_run`, :func:`plan`);
- an item is started by creating its call and marking it ``running`` together
  (:func:`start_item`), so after a crash every ``running`` item has its call and is simply
  started again (:func:`requeue_interrupted`): the call continues after the segments it
  stored (recognition is deterministic, segment ids repeat) and is never created twice;
- a recording whose content an org already has as a call (this run or another) becomes a
  ``duplicate`` pointing at that call instead of a second analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from copilot.store import repo
from copilot.store.models import BatchItem, BatchRun, Call, utcnow

ItemStatus = Literal["pending", "running", "done", "failed", "duplicate"]
# Ended calls are analysed; a ``confirmed`` one was then reviewed by its rep.
ANALYSED = ("ended", "confirmed")


@dataclass(frozen=True)
class PlannedItem:
    path: Path
    content_hash: str
    org_id: str
    rep_id: str
    customer_name: str = ""
    # Why it cannot be analysed at all (a missing file, an unknown rep): stored as failed.
    error: str | None = None


@dataclass
class RunCounts:
    by_status: dict[str, int] = field(default_factory=dict)
    audio_s: float = 0.0  # recordings analysed so far in this run

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def __getitem__(self, status: str) -> int:
        return self.by_status.get(status, 0)

    @property
    def remaining(self) -> int:
        return self["pending"] + self["running"]


def open_run(session: Session, source: str, org_id: str | None, backend: str) -> BatchRun:
    """The source's run (the newest, if several), else a new one; marked running."""
    run = session.scalar(
        select(BatchRun).where(BatchRun.source == source).order_by(BatchRun.created_at.desc())
    )
    if run is None:
        run = BatchRun(source=source, org_id=org_id, backend=backend, status="running")
        session.add(run)
    else:
        run.status, run.backend = "running", backend
    session.flush()
    return run


def planned_paths(session: Session, run_id: str) -> set[str]:
    return set(session.scalars(select(BatchItem.path).where(BatchItem.run_id == run_id)))


def plan(session: Session, run_id: str, items: list[PlannedItem]) -> int:
    """Add the recordings the run does not hold yet; returns how many were added."""
    known = planned_paths(session, run_id)
    added = 0
    for item in items:
        if str(item.path) in known:
            continue
        known.add(str(item.path))
        session.add(
            BatchItem(
                run_id=run_id,
                path=str(item.path),
                content_hash=item.content_hash,
                org_id=item.org_id,
                rep_id=item.rep_id,
                customer_name=item.customer_name[:200],
                status="failed" if item.error else "pending",
                error=item.error,
                finished_at=utcnow() if item.error else None,
            )
        )
        added += 1
    session.flush()
    return added


def requeue_interrupted(session: Session, run_id: str, *, failed: bool = False) -> int:
    """Items left ``running`` by a crash or Ctrl-C go back to ``pending`` (keeping their
    call); ``failed``: failed ones too, for another try."""
    statuses = ["running", "failed"] if failed else ["running"]
    result = session.execute(
        update(BatchItem)
        .where(BatchItem.run_id == run_id, BatchItem.status.in_(statuses))
        .values(status="pending", error=None, finished_at=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending_ids(session: Session, run_id: str) -> list[int]:
    return list(
        session.scalars(
            select(BatchItem.id)
            .where(BatchItem.run_id == run_id, BatchItem.status == "pending")
            .order_by(BatchItem.id)
        )
    )


def start_item(session: Session, item_id: int, run_id: str) -> BatchItem | None:
    """Claim one pending item: its call is created (or reused after a crash) and the item
    marked running, in the caller's one transaction. None when nothing is left to
    recognise: the recording is already another item's call (``duplicate``), or its own
    call was fully stored before a crash (``done``)."""
    item = session.get(BatchItem, item_id)
    if item is None or item.status != "pending":
        return None
    now = utcnow()
    if item.call_id is not None:
        call = session.get(Call, item.call_id)
        if call is not None and call.status in ANALYSED:
            # Stored completely before the crash; only the item's own mark was missing.
            item.status, item.duration_s, item.finished_at = "done", call.duration_s, now
            return None
    else:
        original = _stored_as(session, item)
        if original is not None:
            item.status, item.call_id, item.finished_at = "duplicate", original.call_id, now
            item.duration_s = original.duration_s
            return None
    if item.call_id is None:
        call = repo.create_call(
            session,
            org_id=item.org_id,
            rep_id=item.rep_id,
            source="upload",
            customer_name=item.customer_name,
            status="analysing",
            audio_format={
                "batch_run": run_id,
                "file": Path(item.path).name,
                "sha256": item.content_hash,
            },
        )
        item.call_id = call.id
    else:
        call = session.get(Call, item.call_id)
        if call is not None and call.status == "failed":  # retried with --retry-failed
            call.status, call.ended_at = "analysing", None
            call.audio_format = {k: v for k, v in call.audio_format.items() if k != "error"}
    item.status, item.started_at = "running", now
    item.attempts += 1
    session.flush()
    return item


def _stored_as(session: Session, item: BatchItem) -> BatchItem | None:
    """Another item of the org, in any run, whose call is (being) this same recording."""
    return session.scalar(
        select(BatchItem)
        .where(
            BatchItem.org_id == item.org_id,
            BatchItem.content_hash == item.content_hash,
            BatchItem.id != item.id,
            BatchItem.status.in_(["running", "done"]),
            BatchItem.call_id.is_not(None),
        )
        .order_by(BatchItem.id)
        .limit(1)
    )


def finish_item(session: Session, item_id: int, duration_s: float) -> None:
    item = session.get(BatchItem, item_id)
    if item is not None:
        item.status, item.duration_s, item.finished_at = "done", duration_s, utcnow()
        item.error = None


def fail_item(session: Session, item_id: int, reason: str) -> None:
    """The item and its call fail with the reason (shown by the export and the dashboard)."""
    item = session.get(BatchItem, item_id)
    if item is None:
        return
    item.status, item.error, item.finished_at = "failed", reason, utcnow()
    call = session.get(Call, item.call_id) if item.call_id else None
    if call is not None and call.status not in ANALYSED:
        call.status, call.ended_at = "failed", utcnow()
        call.audio_format = {**call.audio_format, "error": reason}


def requeue_item(session: Session, item_id: int) -> None:
    """A job lost with its worker goes back to the queue (its call is kept)."""
    item = session.get(BatchItem, item_id)
    if item is not None and item.status == "running":
        item.status = "pending"


def counts(session: Session, run_id: str) -> RunCounts:
    rows = session.execute(
        select(BatchItem.status, func.count(), func.coalesce(func.sum(BatchItem.duration_s), 0.0))
        .where(BatchItem.run_id == run_id)
        .group_by(BatchItem.status)
    ).all()
    tally = RunCounts()
    for status, number, seconds in rows:
        tally.by_status[status] = int(number)
        if status == "done":
            tally.audio_s += float(seconds or 0.0)
    return tally


def set_run_status(session: Session, run_id: str, status: str) -> None:
    run = session.get(BatchRun, run_id)
    if run is not None:
        run.status = status
