"""The bus between instances (PostgreSQL LISTEN/NOTIFY) and the hub's side of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from copilot.service.bus import (
    BusReceiver,
    CallSignal,
    OrgSignal,
    PostgresBus,
    build_bus,
    decode,
    encode,
)
from copilot.service.hub import EventHub
from tests.dbfixtures import PgServer


def test_signals_round_trip_and_a_partial_too_large_is_not_sent() -> None:
    partial = {"type": "transcript.partial", "call_id": "c", "seq": 7, "segment": {"text": "价"}}
    for signal in (
        CallSignal("c", seq=12),
        CallSignal("c", event=partial),
        CallSignal("c", closed=True),
        OrgSignal("org", "feedback", {"entry_id": "kb-1", "action": "used"}),
    ):
        payload = encode("me", signal)
        assert payload is not None and decode(payload) == ("me", signal)
    huge = {**partial, "segment": {"text": "价" * 3000}}  # 9000 bytes of UTF-8
    assert encode("me", CallSignal("c", event=huge)) is None
    assert decode('{"unknown": 1}') is None


def test_the_bus_follows_the_database() -> None:
    assert type(build_bus("auto", "i", "sqlite:///x.db")).__name__ == "LocalBus"
    assert isinstance(build_bus("auto", "i", "postgresql+psycopg://u@h/db"), PostgresBus)
    # Heroku-style URLs reach the store as PostgreSQL, so they get its bus too.
    assert isinstance(build_bus("auto", "i", "postgres://u@h/db"), PostgresBus)
    assert type(build_bus("local", "i", "postgresql+psycopg://u@h/db")).__name__ == "LocalBus"
    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        build_bus("postgres", "i", "sqlite:///x.db")


@pytest.fixture
def pg_url(pg_cluster: PgServer) -> Iterator[str]:
    name = pg_cluster.create_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


class Heard:
    def __init__(self) -> None:
        self.signals: list[CallSignal | OrgSignal] = []
        self.reconnects = 0
        self.changed = asyncio.Event()

    def receiver(self) -> BusReceiver:
        return BusReceiver(self._heard, self._heard, self._reconnected)

    def _heard(self, signal: Any) -> None:
        self.signals.append(signal)
        self.changed.set()

    def _reconnected(self) -> None:
        self.reconnects += 1
        self.changed.set()

    async def until(self, done: Any) -> None:
        async def wait() -> None:
            while not done():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), 10)


@pytest.mark.postgresql
def test_signals_reach_the_other_instance_also_after_its_listener_dropped(
    pg_cluster: PgServer, pg_url: str
) -> None:
    async def run() -> None:
        one, two = PostgresBus("one", pg_url), PostgresBus("two", pg_url)
        heard_one, heard_two = Heard(), Heard()
        await one.start(heard_one.receiver())
        await two.start(heard_two.receiver())
        try:
            for seq in (1, 2, 3):
                one.publish(CallSignal("c", seq=seq))
            await heard_two.until(lambda: len(heard_two.signals) == 3)
            assert [s.seq for s in heard_two.signals if isinstance(s, CallSignal)] == [1, 2, 3]
            assert heard_one.signals == []  # its own signals are not handed back
            # The database drops instance two's listening connection.
            await asyncio.to_thread(
                pg_cluster.execute,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'copilot-bus-listen-two'",
            )
            await heard_two.until(lambda: heard_two.reconnects == 1)
            one.publish(OrgSignal("org", "feedback", {"entry_id": "kb-1", "action": "used"}))
            await heard_two.until(lambda: len(heard_two.signals) == 4)
            assert heard_two.signals[-1] == OrgSignal(
                "org", "feedback", {"entry_id": "kb-1", "action": "used"}
            )
        finally:
            await one.close()
            await two.close()

    asyncio.run(run())


def stored(call_id: str, seq: int, kind: str = "transcript.final") -> dict[str, Any]:
    return {"type": kind, "call_id": call_id, "seq": seq}


def test_the_hub_hands_other_instances_events_to_its_panels_in_order_once() -> None:
    store: list[dict[str, Any]] = [stored("c", 1, "call.status")]

    async def load_after(call_id: str, after: int) -> list[dict[str, Any]]:
        await asyncio.sleep(0.01)  # a database read takes a moment
        return [e for e in store if e["call_id"] == call_id and e["seq"] > after]

    async def run() -> list[dict[str, Any]]:
        hub = EventHub(load_after)
        got: list[dict[str, Any]] = []

        async def panel() -> None:
            async for event in hub.subscribe("c", 0):
                got.append(event)

        watching = asyncio.create_task(panel())
        await asyncio.sleep(0.05)
        # Another instance: final 2 stored, partial 3, final 4 and the summary 5 stored
        # before the signal for 2 is read, partial 3 must still come between them.
        store.extend([stored("c", 2), stored("c", 4), stored("c", 5, "call.summary")])
        hub.on_remote(CallSignal("c", seq=2))
        hub.on_remote(CallSignal("c", event=stored("c", 3, "transcript.partial")))
        hub.on_remote(CallSignal("c", seq=1))  # a late, repeated signal: nothing twice
        hub.on_remote(CallSignal("c", seq=4))
        hub.on_remote(CallSignal("c", event=stored("c", 3, "transcript.partial")))
        # The "closed" signal is lost; the stored summary ends the panel anyway.
        hub.catch_up()
        await asyncio.wait_for(watching, 5)
        assert hub.watchers("c") == 0
        return got

    assert [(e["seq"], e["type"]) for e in asyncio.run(run())] == [
        (1, "call.status"),
        (2, "transcript.final"),
        (3, "transcript.partial"),
        (4, "transcript.final"),
        (5, "call.summary"),
    ]
