"""What the running service holds: database sessions, engines, live calls, the event hub."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from compliance import Scanner
from copilot.crm.worker import DeliveryWorker
from copilot.engines import build_speech_engine
from copilot.service.bus import BusReceiver, OrgSignal, build_bus
from copilot.service.hub import EventHub
from copilot.service.instances import FEEDBACK_SIGNAL, InstanceRegistry, SharedFeedback
from copilot.service.live import FinalTiming, LiveCall
from copilot.service.org_engines import OrgEnginesCache, with_adjudicator, with_learned_models
from copilot.service.org_learning import OrgRetrainer, org_models_dir
from copilot.service.org_vocabulary import OrgVocabularyCache
from copilot.service.pipeline import Engines
from copilot.service.recorder import events_after
from copilot.service.write_buffer import WriteBuffer
from copilot.settings import Settings
from copilot.store.feedback import FeedbackAdjustments
from speech.config import SpeechConfig
from speech.correction import Term
from speech.engine import SpeechEngine


def service_speech_config(settings: Settings) -> SpeechConfig:
    """The speech settings with the service's decoding concurrency applied."""
    service = settings.service
    model = settings.speech.model.model_copy(
        update={"cpu_threads": service.asr_threads_per_worker, "num_workers": service.asr_workers}
    )
    return settings.speech.model_copy(update={"model": model})


def worker_threads(settings: Settings) -> int:
    """Threads of the pool that runs calls' recognition and analysis. Without batching
    each thread decodes on its own replica, so one per replica. With batching a thread
    mostly waits for the shared decoder (speech/batching.py), and a call whose thread is
    not running cannot add its utterance to a batch: one per live call."""
    service = settings.service
    if settings.speech.batch.enabled:
        return max(service.asr_workers, service.max_live_calls)
    return service.asr_workers


@dataclass
class ServiceStats:
    """Recent figures for /healthz: how long analysis of a final takes, how far behind
    recognition runs."""

    analysis_s: deque[float] = field(default_factory=lambda: deque(maxlen=2000))
    finals: int = 0
    max_lag_s: float = 0.0

    def record_final(self, timing: FinalTiming) -> None:
        self.finals += 1
        self.analysis_s.append(timing.analysis.total_s)

    def percentile_ms(self, q: float) -> float | None:
        if not self.analysis_s:
            return None
        ordered = sorted(self.analysis_s)
        return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


@dataclass
class ServiceState:
    settings: Settings
    sessions: sessionmaker[Session]
    engines: Engines
    executor: ThreadPoolExecutor
    speech_engine: SpeechEngine | None = None
    crm_worker: DeliveryWorker | None = None
    live: dict[str, LiveCall] = field(default_factory=dict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    stats: ServiceStats = field(default_factory=ServiceStats)
    # Per organisation: reps' reactions to suggestions, loaded once, kept current.
    _feedback: dict[str, FeedbackAdjustments] = field(default_factory=dict)
    # Per organisation: the engines with its own KB, vendors and rule overrides layered on.
    orgs: OrgEnginesCache = field(init=False)
    hub: EventHub = field(init=False)
    # Live calls' writes the database refused, kept in order until it takes them.
    writes: WriteBuffer = field(init=False)
    # Retrains an org's own model in the background once it has enough new labels.
    retrainer: OrgRetrainer = field(init=False)
    # Per organisation: its vocabulary as correction terms (copilot vocab, managers' fixes).
    vocabulary: OrgVocabularyCache = field(init=False)
    # This instance among others on the database: its heartbeat and the calls it holds.
    instances: InstanceRegistry = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.engines = with_learned_models(self.engines)
        learning = self.settings.service.learning
        if learning.adjudicate:
            self.engines = with_adjudicator(self.engines, self.settings.insights.llm)
        self.orgs = OrgEnginesCache(
            self.engines,
            self.sessions,
            self.settings.insights,
            self.settings.compliance,
            org_models_dir=org_models_dir(learning),
        )
        self.retrainer = OrgRetrainer(self.sessions, learning)
        self.vocabulary = OrgVocabularyCache(self.sessions)
        cluster = self.settings.service.cluster
        self.instances = InstanceRegistry(
            self.sessions,
            instance_id=cluster.instance_id,
            heartbeat_s=cluster.heartbeat_s,
            stale_s=cluster.owner_stale_s,
        )
        bus = build_bus(cluster.bus, self.instances.instance_id, self.settings.database.url)
        self.hub = EventHub(self._load_after, bus)
        self.writes = WriteBuffer(
            self.hub.mark_stored_threadsafe,
            retry_interval_s=self.settings.service.store_retry_s,
        )

    def speech(self) -> SpeechEngine:
        """The shared speech engine, loaded on first use (call from a worker thread)."""
        with self._lock:
            if self.speech_engine is None:
                self.speech_engine = build_speech_engine(
                    self.settings.model_copy(
                        update={"speech": service_speech_config(self.settings)}
                    )
                )
            return self.speech_engine

    def feedback_for(self, org_id: str) -> FeedbackAdjustments:
        """The org's suggestion feedback for ranking (blocking on first use: call it from a
        worker thread)."""
        with self._lock:
            signal = self._feedback.get(org_id)
        if signal is None:
            with self.sessions() as session:
                loaded = SharedFeedback.load_shared(session, org_id, self.hub.bus.publish)
            with self._lock:
                signal = self._feedback.setdefault(org_id, loaded)
        return signal

    async def start_cluster(self) -> None:
        """Join the other instances: register, beat, listen (on the event loop)."""
        await asyncio.to_thread(self.instances.register)
        self.spawn(self.instances.run_heartbeat())
        await self.hub.bus.start(
            BusReceiver(self.hub.on_remote, self._on_org_signal, self._on_bus_reconnect)
        )

    async def stop_cluster(self) -> None:
        await self.hub.bus.close()
        try:
            await asyncio.to_thread(self.instances.retire)
        except Exception as exc:  # the others take its calls over once it is stale
            logging.getLogger(__name__).warning("instance not retired: %s", exc)

    def _on_org_signal(self, signal: OrgSignal) -> None:
        """Another instance changed what this one keeps in memory for an org."""
        with self._lock:
            feedback = self._feedback.get(signal.org_id)
            if signal.kind != FEEDBACK_SIGNAL:
                self._feedback.pop(signal.org_id, None)
        if signal.kind == FEEDBACK_SIGNAL and isinstance(feedback, SharedFeedback):
            feedback.apply_remote(str(signal.data["entry_id"]), str(signal.data["action"]))
        elif signal.kind != FEEDBACK_SIGNAL:
            self.orgs.invalidate(signal.org_id)

    def _on_bus_reconnect(self) -> None:
        # Signals may have been lost: re-read watched calls; reload feedback on next use.
        self.hub.catch_up()
        with self._lock:
            self._feedback.clear()

    def engines_for(self, org_id: str) -> Engines:
        """The engines with the org's own content and policy layered on the shared ones.
        Reads the org row each time (one primary-key read) so a change made with ``copilot
        orgs …`` applies without a restart (call from a worker thread)."""
        return self.orgs.get(org_id)

    def terms_for(self, org_id: str) -> tuple[Term, ...]:
        """The org's vocabulary as correction terms, for a call about to start (one cheap
        version read; call from a worker thread)."""
        return self.vocabulary.terms(org_id)

    def scanner_for(self, org_id: str) -> Scanner:
        """The compliance scanner with the org's policy (its discount authority) and rule
        overrides (call from a worker thread)."""
        return self.engines_for(org_id).scanner

    def hotwords(self, extra: list[str] | None = None) -> list[str]:
        return list(dict.fromkeys([*self.settings.vocabulary.hotwords(), *(extra or [])]))

    async def run_db(self, fn: Any, *args: Any) -> Any:
        # to_thread carries the context over: the log ids of the request or call.
        return await asyncio.to_thread(fn, *args)

    async def _load_after(self, call_id: str, after: int) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            with self.sessions() as session:
                return events_after(session, call_id, after)

        result: list[dict[str, Any]] = await self.run_db(load)
        return result

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """A background task the service keeps a reference to (and awaits at shutdown)."""
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    def max_lag_s(self) -> float:
        lag = max((call.lag_s for call in self.live.values()), default=0.0)
        self.stats.max_lag_s = max(self.stats.max_lag_s, lag)
        return lag
