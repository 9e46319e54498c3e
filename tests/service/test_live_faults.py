"""The live call's error policy against the real server: a store outage, a failing
analysis stage, a recogniser that crashes, and ending a streaming call over HTTP.

Faults are injected for real: the database refuses writes (a SQLAlchemy hook raises the
driver's own OperationalError, as a full disk or a read-only file does), a suggester raises,
a transcriber raises. Nothing under test is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from copilot.client import replay_call
from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.service.write_buffer import WriteBuffer
from copilot.store.db import make_engine
from copilot.store.models import CallEvent, Flag, InsightRecord, Segment
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le
from speech.engine import SpeechEngine
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings
from tests.service.test_sockets import START, audio_url, events_url, token

FAST = {"max_audio_speed": 8.0}  # the tests replay faster than real time


@contextlib.contextmanager
def serving(db_url: str, engines: Engines, speech: Any, **service: object) -> Iterator[Service]:
    settings = service_settings(db_url, **{**FAST, **service})
    with running_service(settings, engines=engines, speech_engine=speech) as (url, key):
        yield Service(url, key, settings)


class WriteOutage:
    """The database refuses every write while ``on``: each INSERT/UPDATE/DELETE fails with
    the driver's OperationalError ("database or disk is full"), as a full disk does."""

    def __init__(self, db_url: str) -> None:
        self._database = make_url(db_url).database
        self.until = 0.0
        self.refused = 0

    @property
    def on(self) -> bool:
        return time.monotonic() < self.until

    def start(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def _refuse(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (
            self.on
            and conn.engine.url.database == self._database
            and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")
        ):
            self.refused += 1
            raise conn.dialect.loaded_dbapi.OperationalError("database or disk is full")

    def __enter__(self) -> WriteOutage:
        event.listen(Engine, "before_cursor_execute", self._refuse)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._refuse)


def stored_rows(db_url: str, call_id: str) -> dict[str, Any]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as db:
            count = lambda model: db.scalar(  # noqa: E731 - a local shorthand
                select(func.count()).select_from(model).where(model.call_id == call_id)
            )
            return {
                "segments": count(Segment),
                "insights": count(InsightRecord),
                "flags": count(Flag),
                "events": [
                    (row.seq, row.type)
                    for row in db.execute(
                        select(CallEvent.seq, CallEvent.type)
                        .where(CallEvent.call_id == call_id)
                        .order_by(CallEvent.seq)
                    )
                ],
            }
    finally:
        engine.dispose()


async def read_to_end(ws: Any, timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """Every message until the server closes the socket; fails if it never does."""

    async def read() -> list[dict[str, Any]]:
        messages = []
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in ws:
                messages.append(json.loads(raw))
        return messages

    try:
        return await asyncio.wait_for(read(), timeout_s)
    except TimeoutError:
        raise AssertionError(f"the server never closed the socket in {timeout_s:.0f} s") from None


def call_info(service: Service, call_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {service.rep_key}"}
    response = httpx.get(f"{service.url}/v1/calls/{call_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- a write outage ------------------------------------------------------------------------


def test_a_write_outage_during_a_call_loses_nothing(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    """10 s of a database that refuses writes, from the moment the call starts: speech goes
    on being transcribed and published, the client gets one non-fatal ``error``, /healthz
    says the store is unwritable, and once the store is back every segment, insight, flag
    and event is stored exactly once, in ``seq`` order."""
    audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
    health: list[dict[str, Any]] = []
    during: list[dict[str, Any]] = []

    with (
        serving(db_url, engines, speech_engine, store_retry_s=0.5) as service,
        WriteOutage(db_url) as outage,
    ):

        def on_event(item: dict[str, Any]) -> None:
            if item["type"] == "call.status" and item["status"] == "live":
                outage.start(10.0)
            elif outage.on:
                during.append(item)

        async def run() -> Any:
            async def watch_health() -> None:
                async with httpx.AsyncClient(base_url=service.url) as http:
                    while True:
                        health.append((await http.get("/healthz")).json())
                        await asyncio.sleep(0.5)

            watcher = asyncio.create_task(watch_health())
            try:
                return await replay_call(
                    service.url,
                    service.rep_key,
                    audio,
                    call_id="outage",
                    speed=5.0,
                    on_event=on_event,
                    timeout_s=60,
                )
            finally:
                watcher.cancel()

        result = asyncio.run(run())
        outage.until = 0.0
        # The summary may have gone out while the store was still down: wait for the queue.
        deadline = time.monotonic() + 20
        while httpx.get(f"{service.url}/healthz").json()["pending_writes"]:
            assert time.monotonic() < deadline, "the queued writes never reached the store"
            time.sleep(0.2)
        after = httpx.get(f"{service.url}/healthz").json()
        info = call_info(service, "outage")

        async def replay_stored() -> list[dict[str, Any]]:
            url = events_url(service, "outage", token(service, "outage"))
            async with websockets.connect(url) as ws:
                return await read_to_end(ws)

        replayed = asyncio.run(replay_stored())

    live = [e for e in result.events if e["type"] != "transcript.partial"]
    errors = [e for e in live if e["type"] == "error"]
    finals = [e for e in live if e["type"] == "transcript.final"]
    finals_during = [e for e in during if e["type"] == "transcript.final"]
    rows = stored_rows(db_url, "outage")
    print(
        f"\n[{make_url(db_url).get_backend_name()}] 10 s write outage: {outage.refused} writes "
        f"refused; {len(finals_during)} of {len(finals)} finals and "
        f"{sum(e['type'] != 'transcript.partial' for e in during)} events published during "
        f"it; peak pending writes "
        f"{max(h['pending_writes'] for h in health)}; stored after recovery: "
        f"{rows['segments']} segments, {rows['insights']} insights, {rows['flags']} flags, "
        f"{len(rows['events'])} events; error events seen: {[e['code'] for e in errors]}"
    )
    assert outage.refused > 0 and finals_during, "the outage covered part of the speech"
    assert [(e["code"], e["fatal"]) for e in errors] == [("store_unavailable", False)]
    assert any(h["store"] == "unwritable" and h["pending_writes"] > 0 for h in health)
    assert after["store"] == "ok" and after["status"] == "ok" and after["pending_writes"] == 0
    # Transcription never stopped: the nine turns, then the summary.
    assert len(finals) == 9 and result.summary is not None
    assert len(result.summary["transcript"]) == 9
    # Everything published is stored once, in the order it was published.
    assert info["status"] == "ended"
    assert rows["events"] == [(e["seq"], e["type"]) for e in live]
    assert rows["segments"] == 9
    assert rows["insights"] == sum(e["type"] == "insight" for e in live)
    assert rows["flags"] == sum(e["type"] == "compliance.flag" for e in live) == 1
    assert replayed == live


def test_queued_writes_go_out_in_order_once_the_store_is_back() -> None:
    written: list[str] = []
    broken = True

    def write(name: str) -> Any:
        def run() -> None:
            if broken:
                raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk is full"))
            written.append(name)

        return run

    stored: list[tuple[str, int]] = []
    buffer = WriteBuffer(lambda call, seq: stored.append((call, seq)), retry_interval_s=0)
    assert not buffer.write("a", write("a1"), 1)
    assert not buffer.write("b", write("b1"), 1)
    assert not buffer.write("a", write("a2"), 2)
    assert buffer.health()["store"] == "unwritable" and buffer.pending() == 3
    broken = False
    # The next write first empties the queue, in order, then goes straight in.
    assert buffer.write("a", write("a3"), 3)
    assert written == ["a1", "b1", "a2", "a3"]
    assert stored == [("a", 1), ("b", 1), ("a", 2)]
    assert buffer.health()["store"] == "ok"

    def bad_row() -> None:
        raise ValueError("bad row")

    with pytest.raises(ValueError):  # not an outage: a bug, raised at once, not queued
        buffer.write("a", bad_row, 4)
    assert buffer.pending() == 0


# -- analysis and recognition faults ------------------------------------------------------


class BrokenSuggester:
    """A retrieval backend that is down: every suggestion request raises."""

    def __init__(self) -> None:
        self.calls = 0

    def suggest(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise ConnectionError("vector store unreachable")


def test_a_failing_analysis_stage_is_reported_and_the_call_goes_on(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    broken = BrokenSuggester()
    audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
    faulty = dataclasses.replace(engines, suggester=broken)
    with serving(db_url, faulty, speech_engine) as service:
        result = asyncio.run(
            replay_call(
                service.url, service.rep_key, audio, call_id="no-rag", speed=5.0, timeout_s=60
            )
        )
        info = call_info(service, "no-rag")
    live = [e for e in result.events if e["type"] != "transcript.partial"]
    errors = [e for e in live if e["type"] == "error"]
    assert broken.calls > 0
    assert errors and {(e["code"], e["fatal"]) for e in errors} == {("analysis_failed", False)}
    assert "vector store unreachable" in errors[0]["message"]
    assert not any(e["type"] == "suggestion" for e in live)
    # The transcript, the other stages and the summary are all there.
    assert sum(e["type"] == "transcript.final" for e in live) == 9
    assert any(e["type"] == "insight" for e in live)
    assert result.summary is not None and len(result.summary["transcript"]) == 9
    assert info["status"] == "ended"
    # A failed attempt leaves no hole in seq: what was stored is what was published.
    assert stored_rows(db_url, "no-rag")["events"] == [(e["seq"], e["type"]) for e in live]


class CrashingSpeech:
    """The real speech engine, but each call's recogniser crashes after ``after_s`` of
    audio (a decoder bug, a GPU gone)."""

    def __init__(self, real: SpeechEngine, after_s: float) -> None:
        self._real = real
        self._after = int(after_s * SAMPLE_RATE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def new_call(self, *args: Any, **kwargs: Any) -> Any:
        transcriber = self._real.new_call(*args, **kwargs)
        feed = transcriber.feed_samples
        fed = 0

        def feed_samples(samples: np.ndarray) -> Any:
            nonlocal fed
            fed += samples.shape[1]
            if fed > self._after:
                raise RuntimeError("CUDA error: device lost (injected)")
            return feed(samples)

        transcriber.feed_samples = feed_samples  # type: ignore[method-assign]
        return transcriber


def test_a_recogniser_failure_ends_the_call_cleanly(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    pcm = to_pcm_s16le(audio.samples)
    speech = CrashingSpeech(speech_engine, after_s=12.0)

    async def run(service: Service) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
        tok = token(service, "crash")
        async with websockets.connect(audio_url(service, "crash", tok)) as ws:
            await ws.send(json.dumps(START))
            assert json.loads(await ws.recv())["type"] == "started"
            async with websockets.connect(events_url(service, "crash", tok)) as events_ws:

                async def push() -> None:
                    with contextlib.suppress(websockets.ConnectionClosed):
                        for offset in range(0, len(pcm), 6400):
                            await ws.send(pcm[offset : offset + 6400])
                            await asyncio.sleep(0.02)
                        await ws.send(json.dumps({"type": "stop"}))

                pusher = asyncio.create_task(push())
                replies = await read_to_end(ws)
                # The events socket ends by itself (no hang): read it to the end.
                events = await read_to_end(events_ws)
                pusher.cancel()
            return replies, events, ws.close_code

    with serving(db_url, engines, speech) as service:
        replies, events, close_code = asyncio.run(run(service))
        info = call_info(service, "crash")
        health = httpx.get(f"{service.url}/healthz").json()
    assert close_code == 4500
    assert replies[-1]["type"] == "error" and replies[-1]["fatal"] is True
    assert replies[-1]["code"] == "recognition_failed"
    assert "device lost" in replies[-1]["message"]
    assert [e["type"] for e in events[-2:]] == ["error", "call.status"]
    assert events[-2]["fatal"] is True and events[-1]["status"] == "failed"
    assert any(e["type"] == "transcript.final" for e in events), "finals before the crash"
    assert info["status"] == "failed"
    assert health["calls_live"] == 0
    rows = stored_rows(db_url, "crash")
    assert rows["events"][-2:] == [(events[-2]["seq"], "error"), (events[-1]["seq"], "call.status")]


# -- ending a streaming call over HTTP ----------------------------------------------------


def test_ending_a_streaming_call_over_http_closes_its_sockets(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    pcm = to_pcm_s16le(audio.samples)

    async def run(service: Service) -> tuple[Any, ...]:
        tok = token(service, "ended-by-http")
        headers = {"Authorization": f"Bearer {service.rep_key}"}
        async with (
            websockets.connect(audio_url(service, "ended-by-http", tok)) as ws,
            httpx.AsyncClient(base_url=service.url, headers=headers, timeout=60) as http,
        ):
            await ws.send(json.dumps(START))
            assert json.loads(await ws.recv())["type"] == "started"
            async with websockets.connect(events_url(service, "ended-by-http", tok)) as events_ws:
                for offset in range(0, 12 * SAMPLE_RATE * 4, 6400):
                    await ws.send(pcm[offset : offset + 6400])
                    await asyncio.sleep(0.02)
                ended = await http.post("/v1/calls/ended-by-http/end")
                # The client still streams a little: harmless.
                with contextlib.suppress(websockets.ConnectionClosed):
                    await ws.send(pcm[:6400])
                replies = await read_to_end(ws)
                with contextlib.suppress(websockets.ConnectionClosed):
                    await ws.send(json.dumps({"type": "stop"}))  # a late stop: harmless
                events = await read_to_end(events_ws)
            health = (await http.get("/healthz")).json()
        return ended, replies, ws.close_code, events, health

    with serving(db_url, engines, speech_engine) as service:
        ended, replies, close_code, events, health = asyncio.run(run(service))
        info = call_info(service, "ended-by-http")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert replies[-1] == {"type": "stopped", "call_id": "ended-by-http"}
    assert close_code == 1000
    assert [e["type"] for e in events[-2:]] == ["call.status", "call.summary"]
    assert info["status"] == "ended" and health["calls_live"] == 0
    rows = stored_rows(db_url, "ended-by-http")
    kinds = [kind for _seq, kind in rows["events"]]
    assert kinds.count("call.summary") == 1, "the summary is built once"
    assert rows["segments"] >= 2
