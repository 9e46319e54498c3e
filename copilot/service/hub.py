"""Fan-out of call events to the side panels watching a call, with resume after ``seq``.

Live events are published on the event loop; a subscriber gets every event with a ``seq``
above the one it asked for. Events persisted before it subscribed (or before a restart)
come from the store first, then live ones follow with nothing missed and nothing twice:
the subscriber registers before reading the store and drops what it already yielded.

While the database cannot be written (copilot/service/write_buffer.py), events are
published before they are stored; the hub keeps them until the store has them, so a
subscriber that joins meanwhile gets them after the stored ones, in ``seq`` order.

Other instances (copilot/service/bus.py): what is published here is also signalled on the
bus — a stored event as its call and ``seq``, a partial whole, the end of a call — and
signals from other instances reach this instance's subscribers through one follower task
per watched call, which reads the stored events from the store in order (so a panel on any
instance gets every event, once, in ``seq`` order). Events the database refused stay on
their instance until stored, then they are signalled.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from copilot.service.bus import Bus, CallSignal, LocalBus

logger = logging.getLogger(__name__)

EventJson = dict[str, Any]
# Persisted events of a call with seq > after, oldest first.
LoadAfter = Callable[[str, int], Awaitable[list[EventJson]]]

# A subscriber that falls this far behind is cut off: it reconnects with ``after=seq``
# and catches up from the store, instead of growing the server's memory without bound.
QUEUE_LIMIT = 1000


class SubscriberTooSlow(Exception):
    pass


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[EventJson | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def put(self, event: EventJson | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class EventHub:
    def __init__(self, load_after: LoadAfter, bus: Bus | None = None) -> None:
        self._load_after = load_after
        self.bus: Bus = bus if bus is not None else LocalBus("local")
        # Per watched call: signals from other instances, applied in order by one task,
        # and the highest stored seq read for them.
        self._remote: dict[str, asyncio.Queue[CallSignal]] = {}
        self._followers: dict[str, asyncio.Task[None]] = {}
        self._remote_seen: dict[str, int] = {}
        self._subscribers: dict[str, set[_Subscriber]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        # Per call: events published but not stored yet (seq → event), and the highest seq
        # known to be stored, so a late "not stored" publish is not kept.
        self._unstored: dict[str, dict[int, EventJson]] = defaultdict(dict)
        self._stored_upto: dict[str, int] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop subscribers live on, for publishing from worker threads."""
        self._loop = loop

    def publish_threadsafe(self, event: EventJson) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.publish, event)

    def publish(self, event: EventJson, *, stored: bool = True) -> None:
        """Hand one event to every subscriber of its call (call on the event loop);
        ``stored`` False: it is not in the database yet, keep it for late subscribers."""
        call_id = event["call_id"]
        if not stored and event["seq"] > self._stored_upto.get(call_id, 0):
            self._unstored[call_id][event["seq"]] = event
        for subscriber in self._subscribers.get(call_id, ()):
            subscriber.put(event)
        if event.get("type") == "transcript.partial":
            self.bus.publish(CallSignal(call_id, event=event))
        elif stored:
            self.bus.publish(CallSignal(call_id, seq=event["seq"]))

    def mark_stored(self, call_id: str, seq: int) -> None:
        """Events of ``call_id`` up to ``seq`` are in the database now (on the event loop)."""
        self._stored_upto[call_id] = max(seq, self._stored_upto.get(call_id, 0))
        self.bus.publish(CallSignal(call_id, seq=seq))
        kept = self._unstored.get(call_id)
        if kept is not None:
            for done in [s for s in kept if s <= seq]:
                del kept[done]
            if not kept:
                del self._unstored[call_id]

    def mark_stored_threadsafe(self, call_id: str, seq: int) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.mark_stored, call_id, seq)

    def unstored(self, call_id: str) -> int:
        return len(self._unstored.get(call_id, {}))

    def close_call(self, call_id: str) -> None:
        """The call is over: subscribers finish after the events already queued."""
        for subscriber in self._subscribers.get(call_id, ()):
            subscriber.put(None)
        self.bus.publish(CallSignal(call_id, closed=True))
        if call_id not in self._unstored:
            self._stored_upto.pop(call_id, None)

    def watchers(self, call_id: str) -> int:
        return len(self._subscribers.get(call_id, ()))

    async def subscribe(
        self, call_id: str, after: int, *, follow: bool = True
    ) -> AsyncIterator[EventJson]:
        """Events of ``call_id`` with ``seq > after``: stored ones, then live ones until the
        call closes (or only stored ones when ``follow`` is false)."""
        subscriber = _Subscriber()
        self._subscribers[call_id].add(subscriber)
        self._follow_remote(call_id, after)
        try:
            last = after
            for event in await self._load_after(call_id, after):
                last = max(last, event["seq"])
                yield event
            for seq, event in sorted(dict(self._unstored.get(call_id, {})).items()):
                if seq > last:
                    last = seq
                    yield event
            if not follow:
                return
            while True:
                live = await subscriber.queue.get()
                if subscriber.overflowed:
                    raise SubscriberTooSlow(call_id)
                if live is None:
                    return
                # What the store already gave us comes again from the queue: skip it.
                if live["seq"] <= last:
                    continue
                last = live["seq"]
                yield live
        finally:
            self._subscribers[call_id].discard(subscriber)
            if not self._subscribers[call_id]:
                del self._subscribers[call_id]
                self._unfollow_remote(call_id)

    # -- other instances (on the event loop) ---------------------------------------------

    def on_remote(self, signal: CallSignal) -> None:
        """A signal from another instance: queued for the call's follower, if it is watched
        here (an unwatched call's signals are nobody's business on this instance)."""
        queue = self._remote.get(signal.call_id)
        if queue is not None:
            queue.put_nowait(signal)

    def catch_up(self) -> None:
        """Signals may have been lost (the bus reconnected): re-read every watched call."""
        for call_id, queue in self._remote.items():
            queue.put_nowait(CallSignal(call_id, seq=_ANY_NEW))

    def _follow_remote(self, call_id: str, after: int) -> None:
        if call_id in self._remote:
            return
        self._remote[call_id] = asyncio.Queue()
        # Events stored before the first watcher joined come from its own store read.
        self._remote_seen[call_id] = after
        self._followers[call_id] = asyncio.get_running_loop().create_task(
            self._apply_remote(call_id), name=f"hub-remote-{call_id}"
        )

    def _unfollow_remote(self, call_id: str) -> None:
        self._remote.pop(call_id, None)
        self._remote_seen.pop(call_id, None)
        task = self._followers.pop(call_id, None)
        if task is not None:
            task.cancel()

    async def _apply_remote(self, call_id: str) -> None:
        queue = self._remote[call_id]
        while True:
            signal = await queue.get()
            try:
                if signal.seq and signal.seq > self._remote_seen.get(call_id, 0):
                    await self._read_remote(call_id, signal.seq)
                if signal.event is not None:
                    self._deliver(call_id, signal.event)
                if signal.closed:
                    await self._read_remote(call_id, _ANY_NEW)
                    self._deliver(call_id, None)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The store is away: the next signal (or the bus's catch-up) reads again.
                logger.warning("call %s: reading events signalled by another instance failed",
                               call_id, exc_info=True)  # fmt: skip

    async def _read_remote(self, call_id: str, upto: int) -> None:
        """Stored events up to ``upto`` not read yet; the ones after come with their own
        signals, behind the partials signalled before them (so partials are not skipped)."""
        for event in await self._load_after(call_id, self._remote_seen.get(call_id, 0)):
            if event["seq"] > upto:
                break
            self._remote_seen[call_id] = max(event["seq"], self._remote_seen.get(call_id, 0))
            self._deliver(call_id, event)
            if _ends_call(event):
                # The call ended elsewhere: finish even if its "closed" signal was lost.
                self._deliver(call_id, None)

    def _deliver(self, call_id: str, event: EventJson | None) -> None:
        for subscriber in self._subscribers.get(call_id, ()):
            subscriber.put(event)


# A "seq" above any stored one: read whatever the store has that was not read yet.
_ANY_NEW = 2**62


def _ends_call(event: EventJson) -> bool:
    return event.get("type") == "call.summary" or (
        event.get("type") == "call.status" and event.get("status") == "failed"
    )
