"""Two service instances on one PostgreSQL: events cross, a dead instance's call moves, the
CRM outbox delivers once, org feedback reaches both (docs/instances.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import pytest
import websockets

from copilot.client import ws_url
from copilot.crm.outbox import enqueue
from copilot.store.db import make_engine, session_factory
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le
from tests.cluster.conftest import OWNER_STALE_S, Cluster, Instance
from tests.conftest import FIXTURES
from tests.service.conftest import DEVSET_AUDIO

pytestmark = pytest.mark.postgresql

START = {"type": "start", "sample_rate": 16000, "channels": 2, "encoding": "pcm_s16le"}
CHUNK = 12800  # 0.2 s of 16 kHz stereo int16


def token(cluster: Cluster, instance: Instance, call_id: str) -> str:
    response = httpx.post(
        f"{instance.url}/v1/auth/socket-token", json={"call_id": call_id}, headers=cluster.headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def audio_url(cluster: Cluster, instance: Instance, call_id: str) -> str:
    tok = token(cluster, instance, call_id)
    return ws_url(instance.url, f"/v1/calls/{call_id}/audio?token={tok}")


def events_url(cluster: Cluster, instance: Instance, call_id: str, after: int = 0) -> str:
    tok = token(cluster, instance, call_id)
    return ws_url(instance.url, f"/v1/calls/{call_id}/events?token={tok}&after={after}")


async def collect(
    url: str, into: list[dict[str, Any]], watching: asyncio.Event | None = None
) -> None:
    """Every event of a panel until the server closes it (``watching`` set at the first)."""
    async with websockets.connect(url) as ws:
        async for message in ws:
            into.append(json.loads(message))
            if watching is not None:
                watching.set()


async def send_audio(ws: Any, pcm: bytes) -> None:
    for offset in range(0, len(pcm), CHUNK):
        await ws.send(pcm[offset : offset + CHUNK])
        await asyncio.sleep(0.02)


async def stop(ws: Any) -> None:
    await ws.send(json.dumps({"type": "stop"}))
    while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "stopped":
        pass


def stored_only(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] != "transcript.partial"]


def test_a_panel_on_the_other_instance_gets_every_event_in_order(cluster: Cluster) -> None:
    one, two = cluster.instances
    pcm = to_pcm_s16le(decode_file(FIXTURES / "fx_short.stereo.wav").samples)
    call_id = "across"
    on_one: list[dict[str, Any]] = []
    on_two: list[dict[str, Any]] = []

    async def run() -> None:
        async with websockets.connect(audio_url(cluster, one, call_id)) as audio:
            await audio.send(json.dumps(START))
            assert json.loads(await audio.recv())["type"] == "started"
            watching = [asyncio.Event(), asyncio.Event()]
            panels = [
                asyncio.create_task(
                    collect(events_url(cluster, one, call_id), on_one, watching[0])
                ),
                asyncio.create_task(
                    collect(events_url(cluster, two, call_id), on_two, watching[1])
                ),
            ]
            # Both panels watch before speech starts (partials are never stored).
            await asyncio.wait_for(asyncio.gather(*(w.wait() for w in watching)), 10)
            await send_audio(audio, pcm)
            await stop(audio)
        await asyncio.wait_for(asyncio.gather(*panels), 30)

    asyncio.run(run())
    seqs = [e["seq"] for e in on_two]
    assert seqs == sorted(set(seqs)), "in seq order, none twice"
    assert on_two[-1]["type"] == "call.summary"
    assert any(e["type"] == "transcript.final" for e in on_two)
    assert any(e["type"] == "transcript.partial" for e in on_two), "partials cross too"
    # The panel on the other instance saw exactly what a panel on the call's own did.
    assert on_two == on_one

    async def read_all(instance: Instance, after: int) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        await collect(events_url(cluster, instance, call_id, after), events)
        return events

    stored = stored_only(on_two)
    assert asyncio.run(read_all(two, 0)) == stored
    middle = stored[len(stored) // 2]["seq"]
    assert asyncio.run(read_all(two, middle)) == [e for e in stored if e["seq"] > middle]


def test_the_crm_outbox_is_delivered_once_by_both_instances_workers(cluster: Cluster) -> None:
    engine = make_engine(cluster.db_url)
    with session_factory(engine).begin() as session:
        ids = [
            enqueue(session, cluster.org_id, None, "cluster.test", {"n": n}).id for n in range(16)
        ]
    engine.dispose()
    deadline = time.monotonic() + 20
    while set(cluster.crm.effects) < set(ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a duplicate would arrive now
    assert set(ids) <= set(cluster.crm.effects)
    sent = [r.msg_id for r in cluster.crm.requests if r.msg_id in ids]
    assert sorted(sent) == sorted(ids), "each message sent once"
    assert cluster.crm.state.duplicates == 0


def test_suggestion_feedback_on_one_instance_reranks_on_the_other(cluster: Cluster) -> None:
    one, two = cluster.instances
    ask = {"text": "你们的价格太贵了，比别家贵不少，预算不够", "k": 5}

    def scores(instance: Instance) -> dict[str, float]:
        response = httpx.post(f"{instance.url}/v1/suggest", json=ask, headers=cluster.headers)
        assert response.status_code == 200, response.text
        return {s["id"]: s["score"] for s in response.json()["suggestions"]}

    before = scores(two)  # instance 2 has the org's feedback in memory from here on
    entry = min(before, key=lambda entry_id: before[entry_id])
    for _ in range(6):
        response = httpx.post(
            f"{one.url}/v1/suggestions/feedback",
            json={"entry_id": entry, "action": "used"},
            headers=cluster.headers,
        )
        assert response.status_code == 204, response.text
    deadline = time.monotonic() + 5
    while (after := scores(two)).get(entry, 0.0) <= before[entry] + 0.02:
        assert time.monotonic() < deadline, f"instance 2 still ranks {entry} at {after}"
        time.sleep(0.1)
    assert after[entry] == pytest.approx(scores(one)[entry])


def test_a_call_whose_instance_dies_is_taken_over_by_the_other(cluster: Cluster) -> None:
    one, two = cluster.instances
    pcm = to_pcm_s16le(decode_file(DEVSET_AUDIO / "dc02.stereo.wav").samples)
    split = 14 * SAMPLE_RATE * 4
    call_id = "takeover"
    segments_url = f"{two.url}/v1/calls/{call_id}/segments"

    def stored_segments() -> list[dict[str, Any]]:
        response = httpx.get(segments_url, headers=cluster.headers)
        return list(response.json()) if response.status_code == 200 else []

    def wait_for_segments(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(stored_segments()) < count and time.monotonic() < deadline:
            time.sleep(0.2)

    async def first_half() -> tuple[int | None, str]:
        async with websockets.connect(audio_url(cluster, one, call_id)) as audio:
            await audio.send(json.dumps(START))
            assert json.loads(await audio.recv())["type"] == "started"
            await send_audio(audio, pcm[:split])
            await asyncio.to_thread(wait_for_segments, 2)
            await asyncio.sleep(1.0)  # recognition of the rest of the half catches up
            # Instance 1 is alive: the other instance refuses the call rather than split it.
            refusal = await refused(audio_url(cluster, two, call_id))
            one.kill()
            with contextlib.suppress(websockets.ConnectionClosed):
                await audio.recv()
        return refusal

    async def refused(url: str) -> tuple[int | None, str]:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps(START))
            message = json.loads(await ws.recv())
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.recv()
            return ws.close_code, str(message.get("message"))

    async def second_half() -> dict[str, Any]:
        deadline = time.monotonic() + OWNER_STALE_S + 10
        while True:  # a client reconnecting while the dead instance is not yet stale
            ws = await websockets.connect(audio_url(cluster, two, call_id))
            await ws.send(json.dumps(START))
            reply = json.loads(await ws.recv())
            if reply["type"] == "started":
                break
            await ws.close()
            assert reply["code"] == "4421" and time.monotonic() < deadline, reply
            await asyncio.sleep(0.3)
        async with ws:
            await send_audio(ws, pcm[split:])
            await stop(ws)
        return dict(reply)

    code, message = asyncio.run(first_half())
    assert code == 4421 and "streaming on instance" in message
    before = stored_segments()
    assert len(before) >= 2
    started = asyncio.run(second_half())
    assert started["resumed"] is True
    summary = httpx.get(f"{two.url}/v1/calls/{call_id}/summary", headers=cluster.headers).json()
    ids = [s["id"] for s in summary["transcript"]]
    assert len(ids) == len(set(ids)), "no segment twice"
    starts = [s["start"] for s in summary["transcript"]]
    assert starts == sorted(starts) and starts[-1] > 14, "the call went on after the takeover"
    kept = {s["id"]: s["text"] for s in summary["transcript"]}
    assert all(kept.get(s["id"]) == s["text"] for s in before), "no segment lost"
    call = httpx.get(f"{two.url}/v1/calls/{call_id}", headers=cluster.headers).json()
    assert call["status"] == "ended"
