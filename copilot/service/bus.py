"""Signals between service instances on one database: a call has new events, an org changed.

The bus carries signals, never the record: a call signal says "events of call C up to seq S
are stored" and the instance that receives it reads them from the store with the hub's
``load_after`` — the same read a panel's ``after=seq`` resume does — so ordering, resume and
deduplication stay where they are (copilot/service/hub.py). Partial transcripts are never
stored, so they travel whole (they are small; one too large for a notification is dropped:
the next partial or the final replaces it anyway).

- :class:`LocalBus`: one instance (SQLite, or a single process on PostgreSQL); the hub's
  own fan-out is all there is, signals go nowhere.
- :class:`PostgresBus`: ``LISTEN``/``NOTIFY`` on the service's own PostgreSQL database, one
  connection listening and one notifying. A dropped listener reconnects and tells the
  receiver to catch up (``on_reconnect``): the hub then re-reads every watched call from
  the store, so a signal lost meanwhile costs latency, not events.

docs/instances.md tells why PostgreSQL and not Redis, and how it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from copilot.store.db import libpq_url, normalise_url

logger = logging.getLogger(__name__)

CHANNEL = "copilot_bus"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7900
# Signals waiting to be sent while the database is away; past this the oldest go (the
# receivers catch up from the store when their listener reconnects).
MAX_BACKLOG = 10_000
RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# Signals sent in one transaction: NOTIFYs of one transaction arrive together, in order.
BATCH = 200


@dataclass(frozen=True)
class CallSignal:
    """``seq``: events up to it are stored; ``event``: an unstored event (a partial) carried
    whole; ``closed``: the call is over, its watchers finish."""

    call_id: str
    seq: int = 0
    event: dict[str, Any] | None = None
    closed: bool = False


@dataclass(frozen=True)
class OrgSignal:
    """Something an instance keeps in memory per org changed (``kind``; ``data`` says what)."""

    org_id: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class BusReceiver:
    """What a bus hands received signals to (on the event loop)."""

    on_call: Callable[[CallSignal], None]
    on_org: Callable[[OrgSignal], None]
    # The listener was away: signals may have been lost; catch up from the store.
    on_reconnect: Callable[[], None]


class Bus(ABC):
    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id

    @abstractmethod
    async def start(self, receiver: BusReceiver) -> None:
        """Begin receiving (on the event loop the service runs on)."""

    @abstractmethod
    def publish(self, signal: CallSignal | OrgSignal) -> None:
        """Send a signal to the other instances; never blocks (call from any thread)."""

    @abstractmethod
    async def close(self) -> None:
        """Stop receiving and sending."""


class LocalBus(Bus):
    """A single instance: nobody else to tell."""

    async def start(self, receiver: BusReceiver) -> None:
        return None

    async def close(self) -> None:
        return None

    def publish(self, signal: CallSignal | OrgSignal) -> None:
        return None


def encode(instance_id: str, signal: CallSignal | OrgSignal) -> str | None:
    """The NOTIFY payload of a signal, or None when it cannot fit one."""
    if isinstance(signal, CallSignal):
        body: dict[str, Any] = {"i": instance_id, "c": signal.call_id}
        if signal.seq:
            body["s"] = signal.seq
        if signal.event is not None:
            body["e"] = signal.event
        if signal.closed:
            body["x"] = 1
    else:
        body = {"i": instance_id, "o": signal.org_id, "k": signal.kind, "d": signal.data}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text if len(text.encode()) < MAX_PAYLOAD_BYTES else None


def decode(payload: str) -> tuple[str, CallSignal | OrgSignal] | None:
    """(sender instance, signal), or None for a payload this version does not know."""
    try:
        body = json.loads(payload)
        if "c" in body:
            return body["i"], CallSignal(
                str(body["c"]),
                seq=int(body.get("s", 0)),
                event=body.get("e"),
                closed=bool(body.get("x")),
            )
        return body["i"], OrgSignal(str(body["o"]), str(body["k"]), dict(body.get("d") or {}))
    except (ValueError, KeyError, TypeError):
        logger.warning("ignoring a bus message this version cannot read")
        return None


class PostgresBus(Bus):
    def __init__(self, instance_id: str, database_url: str) -> None:
        super().__init__(instance_id)
        self._conninfo = libpq_url(database_url)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._dropped = 0
        # Set once the listener has issued LISTEN (tests wait for it before publishing).
        self.listening = asyncio.Event()

    async def start(self, receiver: BusReceiver) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._listen(receiver), name="bus-listen"),
            asyncio.create_task(self._send(), name="bus-send"),
        ]
        # A few seconds for the first LISTEN; the service starts without the bus otherwise
        # (the listener keeps trying; panels catch up when it connects).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 5.0)

    def publish(self, signal: CallSignal | OrgSignal) -> None:
        payload = encode(self.instance_id, signal)
        if payload is None or self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._enqueue(payload)
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed: shutting down
                self._loop.call_soon_threadsafe(self._enqueue, payload)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _enqueue(self, payload: str) -> None:
        if self._outbox.qsize() >= MAX_BACKLOG:
            self._outbox.get_nowait()
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                logger.warning("bus backlog full: %d signal(s) dropped", self._dropped)
        self._outbox.put_nowait(payload)

    async def _connect(self, role: str) -> Any:
        import psycopg

        # Named, so pg_stat_activity tells the bus's connections apart from the pool's.
        name = f"copilot-bus-{role}-{self.instance_id}"[:63]
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, application_name=name
        )

    async def _listen(self, receiver: BusReceiver) -> None:
        attempt = 0
        connected_before = False
        while True:
            try:
                async with await self._connect("listen") as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    attempt = 0
                    if connected_before:
                        logger.info("bus listener reconnected; catching up from the store")
                        receiver.on_reconnect()
                    connected_before = True
                    async for notify in connection.notifies():
                        self._receive(receiver, notify.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                delay = RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)]
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    logger.warning("bus listener lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    def _receive(self, receiver: BusReceiver, payload: str) -> None:
        decoded = decode(payload)
        if decoded is None:
            return
        sender, signal = decoded
        if sender == self.instance_id:
            return  # our own: the hub already delivered it here
        try:
            if isinstance(signal, CallSignal):
                receiver.on_call(signal)
            else:
                receiver.on_org(signal)
        except Exception:
            logger.exception("bus signal handler failed")

    async def _send(self) -> None:
        attempt = 0
        batch: list[str] = []
        while True:
            try:
                async with await self._connect("send") as connection:
                    attempt = 0
                    while True:
                        if not batch:
                            batch.append(await self._outbox.get())
                            while len(batch) < BATCH and not self._outbox.empty():
                                batch.append(self._outbox.get_nowait())
                        async with connection.transaction(), connection.cursor() as cursor:
                            await cursor.executemany(
                                "SELECT pg_notify(%s, %s)", [(CHANNEL, p) for p in batch]
                            )
                        batch = []
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The batch is kept and sent again after reconnecting.
                delay = RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)]
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    logger.warning("bus sender lost (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)


def build_bus(choice: str, instance_id: str, database_url: str) -> Bus:
    """The bus the settings ask for: ``auto`` is PostgreSQL's on a PostgreSQL store."""
    backend = normalise_url(database_url).get_backend_name()
    if choice == "auto":
        choice = "postgres" if backend == "postgresql" else "local"
    if choice == "postgres":
        if backend != "postgresql":
            raise ValueError(
                "service.cluster.bus = postgres needs a PostgreSQL database "
                f"(COPILOT_DATABASE__URL is {backend})"
            )
        return PostgresBus(instance_id, database_url)
    return LocalBus(instance_id)
