"""The batch driver: plans a source into its run, feeds a pool, stores what comes back.

Only the driver touches the database. For each recognised recording it runs the same
``analyze_into_store`` as an uploaded recording (insights, flags with their audit records,
events, the summary), so a batch call reads exactly like one uploaded through the service.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copilot.batch import runs
from copilot.batch.pools import Pool
from copilot.batch.runs import PlannedItem, RunCounts
from copilot.batch.sources import Recording, content_hash
from copilot.batch.worker import TranscribeJob, TranscribeResult
from copilot.service.pipeline import Engines
from copilot.service.state import ServiceState
from copilot.settings import Settings
from copilot.store import repo
from copilot.store.errors import StoreError
from copilot.store.models import BatchItem, Org, User
from speech.correction import Term

logger = logging.getLogger(__name__)

# A recording whose job was lost with its worker this many times is given up on: it is the
# likeliest cause of the crashes.
MAX_ATTEMPTS = 3

ProgressHook = Callable[[RunCounts], None]


@dataclass(frozen=True)
class Owner:
    """Whose calls the recordings become when a manifest row does not say."""

    org: str | None = None
    rep: str | None = None


def batch_state(
    settings: Settings, sessions: sessionmaker[Session], engines: Engines | None = None
) -> ServiceState:
    """The service's engines and per-org caches, without a server: what
    ``analyze_into_store`` needs to store a call as the service does."""
    from copilot.service.app import build_engines

    return ServiceState(
        settings=settings,
        sessions=sessions,
        engines=engines or build_engines(settings),
        executor=ThreadPoolExecutor(1, thread_name_prefix="copilot-batch"),
    )


def close_state(state: ServiceState) -> None:
    state.executor.shutdown(wait=True)
    state.retrainer.shutdown()


def prepare(
    sessions: sessionmaker[Session],
    source: Path,
    recordings: list[Recording],
    owner: Owner,
    backend: str,
) -> str:
    """The source's run with every recording planned; returns the run id."""
    with sessions.begin() as session:
        default_org = repo.find_org(session, owner.org).id if owner.org else _only_org(session)
        run = runs.open_run(session, str(source.resolve()), default_org, backend)
        # A rerun of a large archive reads (hashes) only the files the run has not seen.
        known = runs.planned_paths(session, run.id)
        owners = _Owners(session, default_org, owner.rep)
        planned = [_plan_one(r, owners) for r in recordings if str(r.path) not in known]
        runs.plan(session, run.id, planned)
        return run.id


def _only_org(session: Session) -> str | None:
    orgs = list(session.scalars(select(Org.id).limit(2)))
    return orgs[0] if len(orgs) == 1 else None


class _Owners:
    """Org and rep ids by the names rows give, each looked up once."""

    def __init__(self, session: Session, default_org: str | None, default_rep: str | None):
        self._session = session
        self._default_org = default_org
        self._default_rep = default_rep
        self._orgs: dict[str, str] = {}
        self._reps: dict[tuple[str, str | None], str] = {}

    def of(self, recording: Recording) -> tuple[str, str]:
        org_id = self._default_org
        if recording.org:
            if recording.org not in self._orgs:
                self._orgs[recording.org] = repo.find_org(self._session, recording.org).id
            org_id = self._orgs[recording.org]
        if org_id is None:
            raise StoreError("which org? give --org (the database holds several)")
        rep = recording.rep or self._default_rep
        if (org_id, rep) not in self._reps:
            self._reps[(org_id, rep)] = _rep(self._session, org_id, rep)
        return org_id, self._reps[(org_id, rep)]


def _plan_one(recording: Recording, owners: _Owners) -> PlannedItem:
    """Whose the recording is must be known (else the command stops and says what to give);
    a file that cannot be read becomes a failed item and the batch goes on."""
    org_id, rep_id = owners.of(recording)
    error = None
    try:
        digest = content_hash(recording.path)
    except OSError as exc:
        digest, error = "", f"cannot read the file: {exc.strerror or exc}"
    return PlannedItem(
        path=recording.path,
        content_hash=digest,
        org_id=org_id,
        rep_id=rep_id,
        customer_name=recording.customer_name,
        error=error,
    )


def _rep(session: Session, org_id: str, rep: str | None) -> str:
    if rep:
        return repo.find_user(session, rep, org_id=org_id).id
    reps = list(
        session.scalars(select(User.id).where(User.org_id == org_id, User.role == "rep").limit(2))
    )
    if len(reps) != 1:
        raise StoreError("no rep: give --rep or a rep column (the org has several reps)")
    return reps[0]


def run_batch(
    state: ServiceState,
    run_id: str,
    pool: Pool,
    *,
    retry_failed: bool = False,
    on_progress: ProgressHook | None = None,
) -> RunCounts:
    """Analyse the run's pending recordings through ``pool`` until none is left. Stopped
    (Ctrl-C, a kill), it leaves items ``running``; the next run of the source redoes them."""
    sessions = state.sessions
    with sessions.begin() as session:
        requeued = runs.requeue_interrupted(session, run_id, failed=retry_failed)
        pending = deque(runs.pending_ids(session, run_id))
    if requeued:
        logger.warning(
            "run %s: %d recording(s) interrupted before; starting them again", run_id, requeued
        )
    feed = _Feed(state, run_id, pool)
    progress = on_progress or (lambda _counts: None)
    progress(_counts(sessions, run_id))
    try:
        while pending or feed.in_flight:
            while pending and len(feed.in_flight) < 2 * pool.slots:
                feed.start(pending.popleft())
            for result in pool.results(timeout_s=0.5):
                retry = feed.store(result)
                if retry is not None:
                    pending.append(retry)
                progress(_counts(sessions, run_id))
        with sessions.begin() as session:
            runs.set_run_status(session, run_id, "finished")
    except BaseException:
        pool.close(cancel=True)
        with sessions.begin() as session:
            runs.set_run_status(session, run_id, "stopped")
        raise
    pool.close()
    counts = _counts(sessions, run_id)
    progress(counts)
    return counts


def _counts(sessions: sessionmaker[Session], run_id: str) -> RunCounts:
    with sessions() as session:
        return runs.counts(session, run_id)


class _Feed:
    """Starting items and storing their results; the org's recognition hints are looked up
    once per org."""

    def __init__(self, state: ServiceState, run_id: str, pool: Pool) -> None:
        self._state = state
        self._run_id = run_id
        self._pool = pool
        self._hints: dict[str, tuple[tuple[str, ...], tuple[Term, ...]]] = {}
        self.in_flight: dict[int, str] = {}  # item id -> call id

    def start(self, item_id: int) -> None:
        with self._state.sessions.begin() as session:
            item = runs.start_item(session, item_id, self._run_id)
            if item is None:
                return
            assert item.call_id is not None
            path, org_id, call_id = item.path, item.org_id, item.call_id
            audio = None
            if self._pool.ships_audio:
                try:
                    audio = Path(path).read_bytes()
                except OSError as exc:
                    runs.fail_item(session, item_id, f"cannot read the file: {exc.strerror}")
                    return
        hotwords, terms = self._hints_for(org_id)
        self.in_flight[item_id] = call_id
        self._pool.submit(TranscribeJob(item_id, path, hotwords, terms, audio))

    def store(self, result: TranscribeResult) -> int | None:
        """Store one result; returns the item id when its job is to be tried again."""
        from copilot.service.jobs import analyze_into_store

        call_id = self.in_flight.pop(result.item_id)
        sessions = self._state.sessions
        if result.lost:
            with sessions.begin() as session:
                item = session.get(BatchItem, result.item_id)
                if item is not None and item.attempts < MAX_ATTEMPTS:
                    runs.requeue_item(session, result.item_id)
                    return result.item_id
                runs.fail_item(
                    session, result.item_id, f"{result.error} ({MAX_ATTEMPTS} times on this one)"
                )
            return None
        if result.segments is None:
            with sessions.begin() as session:
                runs.fail_item(session, result.item_id, result.error or "not recognised")
            return None
        segments, duration = result.segments, result.duration_s
        try:
            analyze_into_store(self._state, call_id, lambda: (segments, duration))
        except Exception as exc:  # one recording's failure must not stop the batch
            logger.exception("batch: storing call %s failed", call_id)
            with sessions.begin() as session:
                runs.fail_item(session, result.item_id, f"analysis failed: {exc}")
            return None
        with sessions.begin() as session:
            runs.finish_item(session, result.item_id, duration)
        return None

    def _hints_for(self, org_id: str) -> tuple[tuple[str, ...], tuple[Term, ...]]:
        hints = self._hints.get(org_id)
        if hints is None:
            state = self._state
            hotwords = state.hotwords(list(state.engines_for(org_id).hotwords))
            hints = self._hints[org_id] = (tuple(hotwords), tuple(state.terms_for(org_id)))
        return hints
